import argparse
import importlib

BENCHMARKS = {
    name: f"bse_platform_tests.benchmarks.{name}" for name in ("ingest", "features", "ui_backfill", "online", "executor", "training", "api")
}

parser = argparse.ArgumentParser(prog="python -m bse_platform_tests.benchmarks")
parser.add_argument("name", nargs="?", choices=sorted(BENCHMARKS), help="which benchmark (default: all)")
args = parser.parse_args()
for name in [args.name] if args.name else sorted(BENCHMARKS):
    importlib.import_module(BENCHMARKS[name]).main()

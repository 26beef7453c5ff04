import argparse
import importlib

BENCHMARKS = {"ingest": "bse_platform_tests.benchmarks.ingest", "features": "bse_platform_tests.benchmarks.features", "online": "bse_platform_tests.benchmarks.online",
              "executor": "bse_platform_tests.benchmarks.executor"}

parser = argparse.ArgumentParser(prog="python -m bse_platform_tests.benchmarks")
parser.add_argument("name", nargs="?", choices=sorted(BENCHMARKS), help="which benchmark (default: all)")
args = parser.parse_args()
for name in [args.name] if args.name else sorted(BENCHMARKS):
    importlib.import_module(BENCHMARKS[name]).main()

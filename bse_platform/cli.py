"""``bse-platform``: the feature catalog, training sets and the lookup API from a terminal.

    bse-platform catalog list [--family F]
    bse-platform catalog describe <feature|family>
    bse-platform training labels --start D --end D --out labels.parquet [--horizons 1,5]
    bse-platform training build --events labels.parquet --features momentum,ret_1d --out train.parquet
    bse-platform api [--host 127.0.0.1] [--port 8000]

Stores come from the deployment's settings (README, "Settings"), as in the Dagster UI.
"""

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from bse_platform.deployment import TRADING_CALENDAR, object_store
from bse_platform.features.catalog import FAMILIES, FEATURES, definitions_version, entry, family_entry
from bse_platform.training import DEFAULT_MAX_STALENESS, LABEL_HORIZONS, forward_return_labels, point_in_time_join


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.command(args)
    except (KeyError, ValueError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        print(f"bse-platform: {message}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bse-platform", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="command")

    catalog = commands.add_parser("catalog", help="the features: names, formulas, windows, units").add_subparsers(required=True, metavar="action")
    listing = catalog.add_parser("list", help="every feature, one line each")
    listing.add_argument("--family", choices=sorted(FAMILIES), help="only this family's features")
    listing.set_defaults(command=_catalog_list)
    describe = catalog.add_parser("describe", help="one feature or family, in full (JSON)")
    describe.add_argument("name", help="a feature (e.g. rsi_14) or a family (e.g. momentum)")
    describe.set_defaults(command=_catalog_describe)

    training = commands.add_parser("training", help="point-in-time training sets").add_subparsers(required=True, metavar="action")
    labels = training.add_parser("labels", help="forward-return label events for a range of trade dates")
    labels.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first trade date (ISO)")
    labels.add_argument("--end", type=dt.date.fromisoformat, required=True, help="last trade date (ISO)")
    labels.add_argument("--horizons", type=_integers, default=LABEL_HORIZONS,
                        help=f"trade dates ahead, comma-separated (default {','.join(map(str, LABEL_HORIZONS))})")  # fmt: skip
    labels.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    labels.set_defaults(command=_training_labels)
    build = training.add_parser("build", help="join label events to the features known before each")
    build.add_argument("--events", type=Path, required=True, help="Parquet or CSV: security_code, event_time (tz-aware), labels")
    build.add_argument("--features", type=_names, default=list(FAMILIES), help="features and families, comma-separated (default all)")
    build.add_argument("--max-staleness-days", type=float, default=DEFAULT_MAX_STALENESS / pd.Timedelta(days=1),
                       help=f"older values are null (default {DEFAULT_MAX_STALENESS.days})")  # fmt: skip
    build.add_argument("--drop-missing", action="store_true", help="drop events lacking a value of some family")
    build.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    build.set_defaults(command=_training_build)

    api = commands.add_parser("api", help="serve the feature lookup API (OpenAPI at /docs)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(command=_api)
    return parser


def _integers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _catalog_list(args: argparse.Namespace) -> None:
    rows = [entry(name) for name in (FAMILIES[args.family].columns if args.family else FEATURES)]
    table = pd.DataFrame(rows)[["name", "family", "unit", "window", "warm_up", "formula"]]
    print(table.to_string(index=False))
    print(f"\n{len(rows)} features; definitions version {definitions_version()}")


def _catalog_describe(args: argparse.Namespace) -> None:
    if args.name in FAMILIES:
        described = family_entry(args.name)
    elif args.name in FEATURES:
        described = entry(args.name)
    else:
        raise KeyError(f"{args.name!r} is neither a feature nor a family; `bse-platform catalog list` shows them")
    print(json.dumps(described, indent=2))


def _training_labels(args: argparse.Namespace) -> None:
    labels = forward_return_labels(object_store(), TRADING_CALENDAR, args.start, args.end, horizons=args.horizons)
    labels.to_parquet(args.out, index=False)
    print(f"{len(labels):,} label events ({labels['security_code'].nunique():,} securities) -> {args.out}")


def _training_build(args: argparse.Namespace) -> None:
    events = pd.read_csv(args.events, parse_dates=["event_time"]) if args.events.suffix == ".csv" else pd.read_parquet(args.events)
    staleness = pd.Timedelta(days=args.max_staleness_days)
    training = point_in_time_join(object_store(), events, args.features, max_staleness=staleness, drop_missing=args.drop_missing)
    if not training.audit.passed:
        raise ValueError(f"leakage audit failed: {training.audit.violations} value(s) not known before their event; nothing written")
    training.frame.to_parquet(args.out, index=False)
    print(json.dumps({"out": str(args.out), "features": sum(map(len, training.features.values())),
                      "partitions_read": training.partitions_read, "audit": training.audit.as_dict()}, indent=2))  # fmt: skip


def _api(args: argparse.Namespace) -> None:
    from bse_platform.api import serve  # FastAPI and uvicorn: imported only to serve

    serve(host=args.host, port=args.port)


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`: the main job on embedded defaults, offline.

Starts the BSE mirror on loopback (a synthetic market in BSE's formats, at BSE's URL paths), runs
the ``ingest_bhavcopy`` job for each of the last N trade dates, then ``build_features`` once over the
whole range, then the ``daily_trade_date`` job for the last date (through to the online store in
Redis: REDIS_URL's, or an embedded one), through the Dagster instance at ``DAGSTER_HOME`` (so the UI
shows the runs, materializations and checks), and prints what it made, ending with feature vectors
read back through the online client and a point-in-time training set of forward-return labels.
Storage follows ``BSE_STORAGE_URI`` (default ./data), as in the UI.
"""

import argparse
import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import DagsterInstance

from bse_platform.calendar import BSE_TIMEZONE
from bse_platform.definitions import build_definitions
from bse_platform.defs.ingestion import CLEAN_CHECK, RAW_CHECK
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.defs.resources import BseSourceResource, RedisResource, StorageResource
from bse_platform.defs.tracking import tracking_location
from bse_platform.deployment import TRADING_CALENDAR
from bse_platform.training import forward_return_labels, point_in_time_join
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def last_trade_dates(count: int) -> list[dt.date]:
    """The last ``count`` trade-date partitions before today (IST): the days already published."""
    today = dt.datetime.now(ZoneInfo(BSE_TIMEZONE)).date()
    keys = TRADE_DATE_PARTITIONS.get_partition_keys()
    return [d for d in map(partition_trade_date, keys) if d < today][-count:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60, help="trade dates to ingest (default 60)")
    parser.add_argument("--securities", type=int, default=1000, help="securities in the mirror's market")
    parser.add_argument("--seed", type=int, default=7, help="the mirror's seed: same seed, same files")
    args = parser.parse_args()

    os.makedirs(os.environ.setdefault("DAGSTER_HOME", os.path.abspath(".dagster_home")), exist_ok=True)
    trade_dates = last_trade_dates(args.days)
    print(f"Generating a market of {args.securities} securities over {len(trade_dates)} trade dates "
          f"({trade_dates[0]} .. {trade_dates[-1]}), seed {args.seed} ...")  # fmt: skip
    site = MirrorSite(generate_market(args.securities, trade_dates, seed=args.seed))
    storage, online = StorageResource(), RedisResource()
    instance = DagsterInstance.get()

    with serve_mirror(site) as mirror:
        print(f"BSE mirror serving at {mirror.base_url}\nDagster instance: {os.environ['DAGSTER_HOME']}\n")
        bse = BseSourceResource(mirror_url=mirror.root_url, min_rows=100, min_interval_seconds=0)
        definitions = build_definitions(storage, bse, online)
        job = definitions.resolve_job_def("ingest_bhavcopy")
        print(f"{'trade date':<11} {'published file':<42} {'format':<16} {'rows':>5} {'checks':<13} {'s':>5}")
        failed = []
        started = time.perf_counter()
        for day in trade_dates:
            run_started = time.perf_counter()
            result = job.execute_in_process(
                partition_key=day.isoformat(), instance=instance, run_config=QUIET_LOGS, raise_on_error=False
            )
            checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
            verdict = "passed" if checks.get(RAW_CHECK) and checks.get(CLEAN_CHECK) else "FAILED"
            if not result.success:
                failed.append(day)
            raw_meta = _materialization_metadata(result, "raw_bhavcopy")
            print(f"{day!s:<11} {raw_meta.get('file_name', '-'):<42} {raw_meta.get('format', '-'):<16} "
                  f"{raw_meta.get('rows', 0):>5} {verdict:<13} {time.perf_counter() - run_started:5.2f}")  # fmt: skip
        elapsed = time.perf_counter() - started

        ingested = [d for d in trade_dates if d not in failed]
        print(f"\nBuilding corporate actions and every feature family for {ingested[0]} .. {ingested[-1]} in one run ...")
        started = time.perf_counter()
        features = definitions.resolve_job_def("build_features").execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False,
            tags={"dagster/asset_partition_range_start": ingested[0].isoformat(), "dagster/asset_partition_range_end": ingested[-1].isoformat()},
        )  # fmt: skip
        checks = features.get_asset_check_evaluations()
        print(f"  {'done' if features.success else 'FAILED'} in {time.perf_counter() - started:.1f} s: "
              f"{len(features.get_asset_materialization_events())} partitions materialized, "
              f"{sum(e.passed for e in checks)} of {len(checks)} check evaluations passed")  # fmt: skip

        print(f"\nRunning the daily job for {ingested[-1]} (download to online store) ...")
        daily = definitions.resolve_job_def("daily_trade_date").execute_in_process(
            partition_key=ingested[-1].isoformat(), instance=instance, run_config=QUIET_LOGS, raise_on_error=False
        )
        print(f"  {'done' if daily.success else 'FAILED'}: {online.store().client().snapshot().rows:,} vectors online")

    store = storage.store()
    clean = store.read_partitions("clean_bhavcopy", [d for d in trade_dates if d not in failed])
    print(f"\n{len(trade_dates) - len(failed)} of {len(trade_dates)} trade dates ingested in {elapsed:.1f} s "
          f"({elapsed / len(trade_dates):.2f} s per Dagster run).")  # fmt: skip
    print(f"Raw files:   {store.uri('raw_bhavcopy')}/trade_date=YYYY-MM-DD/<file as published>")
    print(f"Clean table: {store.uri('clean_bhavcopy')}/trade_date=YYYY-MM-DD/data.parquet")
    print(f"  {len(clean):,} rows, {clean['security_code'].nunique():,} securities; rows by instrument class:")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in clean["instrument_class"].value_counts().items()))
    latest = clean[clean["trade_date"] == clean["trade_date"].max()]
    columns = ["trade_date", "security_code", "symbol", "isin", "instrument_class", "open", "high", "low", "close", "volume"]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"\nA few rows of {clean['trade_date'].max().date()}:\n{latest[columns].head(8).to_string(index=False)}")
    last = ingested[-1]
    features_of_last = pd.concat(
        [store.read_partitions(family, [last]).set_index(["trade_date", "security_code"]) for family in ("returns", "moving_averages", "momentum", "volatility")],
        axis=1,
    ).reset_index()  # fmt: skip
    shown = ["security_code", "ret_1d", "ret_20d", "sma_20", "ema_12", "rsi_14", "macd", "vol_20", "atr_14"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4f}".format):
        print(f"\nFeatures of {last} (split-adjusted; long windows stay null until 200+ days exist):\n"
              f"{features_of_last[shown].dropna(subset=['rsi_14']).head(8).to_string(index=False)}")  # fmt: skip
    client = online.store().client()
    codes = features_of_last["security_code"].head(3).tolist()
    print(f"\nOnline vectors read back through the client ({online.url and 'REDIS_URL' or 'embedded Redis'}):")
    for vector in client.get_many(codes, features=["ret_1d", "sma_20", "rsi_14", "vol_20", "volume_ratio_20"]):
        shown_values = ", ".join(f"{k}={v:.4f}" if v is not None else f"{k}=null" for k, v in vector.values.items())
        print(f"  {vector.security_code} @ {vector.trade_date} (known from {vector.available_at}): {shown_values}")
    print(f"  one full vector has {len(client.get(codes[0]).values)} features")
    _print_training_set(store, ingested)
    print(f"\nMLflow runs of the feature builds: .venv/bin/mlflow ui --backend-store-uri {tracking_location(storage)[0]}")
    print("See it in the Dagster UI: make ui  (then open http://127.0.0.1:3000, groups 'ingestion', 'corporate_actions', 'features', 'online')")
    if failed or not features.success or not daily.success:
        raise SystemExit(f"{len(failed)} trade date(s) failed to ingest ({', '.join(map(str, failed))}); "
                         f"features ok: {features.success}; daily job ok: {daily.success}")  # fmt: skip


def _print_training_set(store, trade_dates: list[dt.date]) -> None:
    """A point-in-time training set over the demo's dates, as `bse-platform training` builds one."""
    labels = forward_return_labels(store, TRADING_CALENDAR, trade_dates[0], trade_dates[-1])
    training = point_in_time_join(store, labels, ["rsi_14", "macd", "vol_20", "volume_ratio_20"])
    audit = training.audit
    print(f"\nPoint-in-time training set: {audit.events:,} forward-return label events joined to the features known "
          f"before each ({sum(training.partitions_read.values())} partitions read); leakage audit "
          f"{'passed' if audit.passed else 'FAILED'}: {audit.violations} violations, {audit.without_values:,} events without values")  # fmt: skip
    shown = ["security_code", "event_time", "fwd_ret_1d", "fwd_ret_5d", "momentum_trade_date", "rsi_14", "vol_20"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4f}".format):
        print(training.frame[shown].dropna().tail(5).to_string(index=False))


def _materialization_metadata(result, asset_name: str) -> dict[str, object]:
    for event in result.get_asset_materialization_events():
        if event.asset_key.path[-1] == asset_name:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    return {}


if __name__ == "__main__":
    main()

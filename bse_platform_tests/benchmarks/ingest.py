"""Ingestion: download + parse + clean of one trade date (5,000 securities) and of a 60-day range.

Files come from the BSE mirror over loopback HTTP, through the real client. Each figure is measured
twice: the pure path (client.fetch, read_bhavcopy, ObjectStore writes) and Dagster runs of the
``ingest_bhavcopy`` job (in process, on a SQLite instance; the runs' own bookkeeping is part of
that figure): the range in runs of INGEST_TRADE_DATES_PER_RUN dates, as a backfill runs it, and a
run per date, as the sensor runs the evening's.
"""

import datetime as dt
import statistics
import tempfile
import time

from dagster import instance_for_test

from bse_platform.bse.client import BseClient
from bse_platform.bse.parser import DEFAULT_MAX_BAD_ROW_SHARE, clean_raw_bhavcopy, read_raw_bhavcopy
from bse_platform.bse.raw_schema import raw_bhavcopy_schema
from bse_platform.calendar import TradingCalendar
from bse_platform.definitions import build_definitions
from bse_platform.defs.partitions import INGEST_TRADE_DATES_PER_RUN
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror
from bse_platform.storage import ObjectStore, partition_dir
from bse_platform.validation import validate

SECURITIES = 5_000
RANGE_DAYS = 60
SINGLE_DAY_REPEATS = 5
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
STAGES = ("download", "write raw", "parse+clean+validate", "write")
PARSE_GOAL_MS = 50
# The parts of "parse+clean+validate", as the assets take them (validate_raw_bhavcopy, clean_raw_bhavcopy).
PARSE_PARTS = ("read raw", "check raw", "clean + check clean")


def pure_ingest(client: BseClient, store: ObjectStore, day) -> dict[str, float]:
    """One trade date through the pure modules; seconds per stage."""
    seconds = {}
    started = time.perf_counter()
    published = client.fetch(day)
    seconds["download"] = time.perf_counter() - started

    started = time.perf_counter()
    store.write_bytes(f"{partition_dir('raw_bhavcopy', day)}/{published.file_name}", published.content)
    seconds["write raw"] = time.perf_counter() - started

    started = time.perf_counter()
    raw = read_raw_bhavcopy(published.content, published.file_name, max_bad_row_share=DEFAULT_MAX_BAD_ROW_SHARE)
    raw.trade_date(day)
    seconds["read raw"] = time.perf_counter() - started
    started = time.perf_counter()
    raw_report = validate(raw.table, raw_bhavcopy_schema(raw.format, min_rows=1000))
    seconds["check raw"] = time.perf_counter() - started
    started = time.perf_counter()
    parsed = clean_raw_bhavcopy(raw, day, instrument_classes=None)
    seconds["clean + check clean"] = time.perf_counter() - started
    assert raw_report.passed and parsed.validation.passed, parsed.validation.summary()
    seconds["parse+clean+validate"] = sum(seconds[part] for part in PARSE_PARTS)

    started = time.perf_counter()
    store.write_partition("clean_bhavcopy", day, parsed.frame)
    seconds["write"] = time.perf_counter() - started
    return seconds


def main() -> None:
    sessions = TradingCalendar().sessions(dt.date(2025, 1, 1), dt.date(2025, 12, 31))[-RANGE_DAYS:]
    started = time.perf_counter()
    market = generate_market(SECURITIES, sessions, seed=1)
    print(f"ingest benchmark: {SECURITIES:,} securities, {len(sessions)} trade dates "
          f"({sessions[0]} .. {sessions[-1]}); market generated in {time.perf_counter() - started:.1f} s")  # fmt: skip
    site = MirrorSite(market)
    for day in sessions:  # render every file up front: the benchmark times ingestion, not the mirror
        site.content(day)
    rows_per_day = statistics.mean(len(market.day(d)) for d in sessions)
    print(f"  rows per file: {rows_per_day:,.0f}; bytes per file: {len(site.content(sessions[-1])):,}")

    with serve_mirror(site) as mirror, tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        client = BseClient(mirror.base_url, min_interval_seconds=0)
        store = ObjectStore(f"{folder}/pure")
        day = sessions[-1]

        stages = [pure_ingest(client, store, day) for _ in range(SINGLE_DAY_REPEATS)]
        print(f"\n  one trade date, pure path (median of {SINGLE_DAY_REPEATS}):")
        for stage in STAGES:
            goal = f"  (goal < {PARSE_GOAL_MS} ms)" if stage == "parse+clean+validate" else ""
            print(f"    {stage:<22} {statistics.median(s[stage] for s in stages) * 1000:8.1f} ms{goal}")
            if stage == "parse+clean+validate":
                for part in PARSE_PARTS:
                    print(f"      {part:<20} {statistics.median(s[part] for s in stages) * 1000:8.1f} ms")
        total = statistics.median(sum(s[stage] for stage in STAGES) for s in stages)
        print(f"    {'total':<22} {total * 1000:8.1f} ms")

        bse = BseSourceResource(mirror_url=mirror.root_url, min_rows=1000, min_interval_seconds=0)
        job = build_definitions(StorageResource(base_uri=f"{folder}/dagster"), bse).resolve_job_def("ingest_bhavcopy")

        def dagster_run(first, last=None) -> float:
            """One run of the ingest job: one trade date, or the range first..last (as a backfill runs it)."""
            last = last or first
            tags = {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}
            started = time.perf_counter()
            assert job.execute_in_process(instance=instance, tags=tags, run_config=QUIET_LOGS).success
            return time.perf_counter() - started

        runs = [dagster_run(day) for _ in range(SINGLE_DAY_REPEATS)]
        print(f"  one trade date, one Dagster run (median of {SINGLE_DAY_REPEATS}): {statistics.median(runs):.2f} s")

        started = time.perf_counter()
        for trade_date in sessions:
            pure_ingest(client, store, trade_date)
        pure_range = time.perf_counter() - started
        chunks = [sessions[i : i + INGEST_TRADE_DATES_PER_RUN] for i in range(0, len(sessions), INGEST_TRADE_DATES_PER_RUN)]
        dagster_range = sum(dagster_run(chunk[0], chunk[-1]) for chunk in chunks)
        per_date_runs = sum(dagster_run(trade_date) for trade_date in sessions)
        total_rows = rows_per_day * len(sessions)
        print(f"\n  {len(sessions)}-day range, pure path:      {pure_range:6.1f} s  ({total_rows / pure_range:,.0f} rows/s)")
        print(f"  {len(sessions)}-day range, Dagster, {len(chunks)} runs of up to {INGEST_TRADE_DATES_PER_RUN} dates (as a backfill runs it): "
              f"{dagster_range:6.1f} s  ({total_rows / dagster_range:,.0f} rows/s, {dagster_range / len(sessions):.2f} s per date)")
        print(f"  {len(sessions)}-day range, Dagster, a run per date: {per_date_runs:6.1f} s  ({per_date_runs / len(sessions):.2f} s per run)")

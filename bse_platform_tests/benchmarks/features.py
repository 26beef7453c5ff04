"""Feature families: 5,000 securities x 500 trade dates.

(a) backfill of corporate actions and all six families over the 500 dates as the product runs it
    (the build_features job, one run per MAX_TRADE_DATES_PER_RUN dates, as BackfillPolicy.multi_run
    splits a UI backfill); wall seconds and rows/s, on a SQLite instance (the local instance's storage);
(a') the same on a PostgreSQL instance (a database of its own on 127.0.0.1:5432, with the compose
    stack's storage and its batched event writes, DAGSTER_EVENT_BATCH_SIZE);
(b) the same dates one partition per run: a sample of dates, extrapolated; and the ratio (b)/(a);
(c) one daily partition with its full lookback (the last date), wall seconds;
(d) peak memory (max RSS) of (a), runs of 250 dates.
(a), (a') and (c) print where the time went: Dagster's bookkeeping (run creation, events), object
store reads/writes, compute (``breakdown``), and the events stored per trade date.
Each part runs in a fresh process (so (d) is the backfill's own peak), in process on the Dagster
instance, against clean partitions written beforehand and the BSE mirror (its own process) on loopback.
"""

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager, nullcontext

from bse_platform.calendar import TradingCalendar
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN
from bse_platform_tests.benchmarks.breakdown import Breakdown, describe

SECURITIES = 5_000
TRADE_DATES = 500
SAMPLED_SINGLE_DATES = 4
GOALS = {"sqlite": 150, "postgres": 90, "single": 3, "peak_mb": 3 * 1024}  # seconds; MB
EVENT_BATCH_SIZE = "1000"  # DAGSTER_EVENT_BATCH_SIZE of the PostgreSQL part
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def sessions() -> list[dt.date]:
    return TradingCalendar().sessions(dt.date(2023, 1, 1), dt.date(2025, 12, 31))[-TRADE_DATES:]


SEED = 2


def _market():
    from bse_platform.mirror.generator import generate_market

    return generate_market(SECURITIES, sessions(), seed=SEED)


@contextmanager
def _mirror_process():
    """The same market served by a process of its own, so a part's peak memory is its run's alone."""
    days = sessions()
    command = [sys.executable, "-m", "bse_platform.mirror", "--securities", str(SECURITIES), "--seed", str(SEED),
               "--start", days[0].isoformat(), "--end", days[-1].isoformat(), "--port", "0"]  # fmt: skip
    mirror = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        for line in mirror.stdout:
            if "BSE_MIRROR_URL=" in line:
                yield line.split("BSE_MIRROR_URL=")[1].split()[0]
                return
        raise RuntimeError("the mirror process ended before serving")
    finally:
        mirror.terminate()
        mirror.wait(timeout=30)


def prepare(folder: str) -> int:
    """Write every date's clean partition, straight from the generated market; its equity rows."""
    from bse_platform.storage import ObjectStore

    market = _market()
    store = ObjectStore(f"{folder}/data")
    for day, rows in market.quotes.groupby("trade_date"):
        store.write_partition("clean_bhavcopy", day.date(), rows)
    return int(market.quotes["instrument_class"].isin(["equity", "sme"]).sum())


@contextmanager
def _postgres_database():
    """A database of its own on the machine's PostgreSQL, dropped afterwards."""
    import psycopg2

    admin = psycopg2.connect(dbname="test", connect_timeout=5, **POSTGRES)
    admin.autocommit = True
    name = f"bse_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        # psycopg2, the driver dagster-postgres ships (SQLAlchemy 2.1 would pick psycopg 3 for postgresql://)
        yield f"postgresql+psycopg2://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


@contextmanager
def _instance(part: str):
    """A Dagster instance with the storage of the local one (SQLite) or of the compose stack's (PostgreSQL)."""
    from dagster import instance_for_test

    with tempfile.TemporaryDirectory() as home, _postgres_database() if part == "range-postgres" else nullcontext() as url:
        storage = (
            {"class": "PooledPostgresStorage", "config": {"postgres_url": url}} if url
            else {"class": "HeldSqliteStorage", "config": {"base_dir": home}}
        )  # fmt: skip
        with instance_for_test(overrides={"storage": {"custom": {"module": "bse_platform.dagster_instance", **storage}}}) as instance:
            yield instance


def run_part(folder: str, part: str, mirror_url: str) -> dict:
    """One measured part, in this (fresh) process."""

    from bse_platform.definitions import build_definitions
    from bse_platform.defs.resources import BseSourceResource, StorageResource

    days = sessions()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with _instance(part) as instance:
        bse = BseSourceResource(mirror_url=mirror_url, min_interval_seconds=0)
        job = build_definitions(StorageResource(base_uri=f"{folder}/data"), bse).resolve_job_def("build_features")

        def execute(chunk: list[dt.date], breakdown: Breakdown) -> float:
            # A date alone as the publication sensor requests it (a partition key), a range as a backfill's run.
            if len(chunk) == 1:
                partition = {"partition_key": chunk[0].isoformat()}
            else:
                partition = {"tags": {"dagster/asset_partition_range_start": chunk[0].isoformat(),
                                      "dagster/asset_partition_range_end": chunk[-1].isoformat()}}  # fmt: skip
            with breakdown.measuring(instance):
                assert job.execute_in_process(instance=instance, run_config=quiet, **partition).success
            return breakdown.wall

        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if part.startswith("range"):
            chunks = [days[i : i + MAX_TRADE_DATES_PER_RUN] for i in range(0, len(days), MAX_TRADE_DATES_PER_RUN)]
            breakdowns = [Breakdown() for _ in chunks]
            seconds = sum(execute(chunk, breakdown) for chunk, breakdown in zip(chunks, breakdowns))
            return {"seconds": seconds, "runs": len(chunks),
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": baseline / 1024,
                    "breakdown": Breakdown.combined(breakdowns)}  # fmt: skip
        sample = days[:: len(days) // SAMPLED_SINGLE_DATES][:SAMPLED_SINGLE_DATES - 1] + [days[-1]]
        breakdowns = {day.isoformat(): Breakdown() for day in sample}
        timings = {day.isoformat(): execute([day], breakdowns[day.isoformat()]) for day in sample}
        return {"seconds_by_date": timings, "last_breakdown": breakdowns[days[-1].isoformat()].as_dict()}


def _in_fresh_process(folder: str, part: str, mirror_url: str, **environment: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bse_platform_tests.benchmarks.features", part, folder, mirror_url],
        capture_output=True, text=True, env=os.environ | environment,
    )  # fmt: skip
    if completed.returncode:
        raise RuntimeError(f"the {part} part failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _postgres_reachable() -> str | None:
    """Why the PostgreSQL part cannot run, or None."""
    try:
        with _postgres_database():
            return None
    except Exception as error:  # noqa: BLE001 (no driver, no server, no rights: all say the same here)
        return f"{type(error).__name__}: {error}".strip()


def main() -> None:
    days = sessions()
    print(f"features benchmark: {SECURITIES:,} securities x {len(days)} trade dates ({days[0]} .. {days[-1]})")
    with tempfile.TemporaryDirectory() as folder, _mirror_process() as mirror_url:
        started = time.perf_counter()
        rows = prepare(folder)
        print(f"  clean partitions written in {time.perf_counter() - started:.1f} s")
        backfill = _in_fresh_process(folder, "range", mirror_url)
        print(f"\n  (a) backfill, corporate actions + 6 families, {backfill['runs']} runs, SQLite instance: {backfill['seconds']:.1f} s "
              f"(goal < {GOALS['sqlite']} s), {rows / backfill['seconds']:,.0f} input rows/s ({rows:,} equity rows)")
        print("\n".join(f"      {line}" for line in describe(backfill["breakdown"], len(days))), flush=True)
        if unreachable := _postgres_reachable():
            print(f"  (a') PostgreSQL part not run: no PostgreSQL at {POSTGRES['host']}:{POSTGRES['port']} ({unreachable})")
        else:
            on_postgres = _in_fresh_process(folder, "range-postgres", mirror_url, DAGSTER_EVENT_BATCH_SIZE=EVENT_BATCH_SIZE)
            print(f"  (a') the same on PostgreSQL, DAGSTER_EVENT_BATCH_SIZE={EVENT_BATCH_SIZE}: {on_postgres['seconds']:.1f} s "
                  f"(goal < {GOALS['postgres']} s, bookkeeping under half of it)")
            print("\n".join(f"      {line}" for line in describe(on_postgres["breakdown"], len(days))), flush=True)
        single = _in_fresh_process(folder, "single", mirror_url)

    per_date = statistics.mean(single["seconds_by_date"].values())
    one_at_a_time = per_date * len(days)
    print(f"  (b) one partition per run: {per_date:.2f} s a date (mean of {len(single['seconds_by_date'])} sampled: "
          + ", ".join(f"{d} {s:.2f} s" for d, s in single["seconds_by_date"].items())
          + f"), {one_at_a_time:.0f} s extrapolated for {len(days)} dates")
    print(f"      ratio (b)/(a): {one_at_a_time / backfill['seconds']:.1f}x faster as a range")
    last = days[-1].isoformat()
    print(f"  (c) one daily partition with full lookback ({last}): {single['seconds_by_date'][last]:.2f} s (goal < {GOALS['single']} s)")
    print("\n".join(f"      {line}" for line in describe(single["last_breakdown"], 1)))
    print(f"  (d) peak memory of (a), runs of {MAX_TRADE_DATES_PER_RUN} dates: {backfill['peak_rss_mb']:,.0f} MB max RSS "
          f"(goal < {GOALS['peak_mb']:,} MB; process at start: {backfill['rss_before_mb']:,.0f} MB)")


if __name__ == "__main__":
    if len(sys.argv) == 4:
        print(json.dumps(run_part(sys.argv[2], sys.argv[1], sys.argv[3])))
    else:
        main()

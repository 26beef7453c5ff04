"""Feature families: 5,000 securities x 500 trade dates.

(a) backfill of corporate actions and all six families over the 500 dates as the product runs it
    (the build_features job, one run per MAX_TRADE_DATES_PER_RUN dates, as BackfillPolicy.multi_run
    splits a UI backfill); wall seconds and rows/s;
(b) the same dates one partition per run: a sample of dates, extrapolated; and the ratio (b)/(a);
(c) one daily partition with its full lookback (the last date), wall seconds;
(d) peak memory (max RSS) of (a).
Each part runs in a fresh process (so (d) is the backfill's own peak), in process on a SQLite
Dagster instance, against clean partitions written beforehand and the BSE mirror on loopback.
"""

import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bse_platform.calendar import TradingCalendar

SECURITIES = 5_000
TRADE_DATES = 500
SAMPLED_SINGLE_DATES = 4


def sessions() -> list[dt.date]:
    return TradingCalendar().sessions(dt.date(2023, 1, 1), dt.date(2025, 12, 31))[-TRADE_DATES:]


def _market():
    from bse_platform.mirror.generator import generate_market

    return generate_market(SECURITIES, sessions(), seed=2)


def prepare(folder: str) -> None:
    """Write every date's clean partition, straight from the generated market."""
    from bse_platform.storage import ObjectStore

    market = _market()
    store = ObjectStore(f"{folder}/data")
    for day, rows in market.quotes.groupby("trade_date"):
        store.write_partition("clean_bhavcopy", day.date(), rows)


def run_part(folder: str, part: str) -> dict:
    """One measured part, in this (fresh) process."""
    from dagster import instance_for_test

    from bse_platform.definitions import build_definitions
    from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN
    from bse_platform.defs.resources import BseSourceResource, StorageResource
    from bse_platform.mirror.server import MirrorSite, serve_mirror

    days = sessions()
    market = _market()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with serve_mirror(MirrorSite(market)) as mirror, instance_for_test() as instance:
        bse = BseSourceResource(mirror_url=mirror.root_url, min_interval_seconds=0)
        job = build_definitions(StorageResource(base_uri=f"{folder}/data"), bse).resolve_job_def("build_features")

        def execute(chunk: list[dt.date]) -> float:
            tags = {"dagster/asset_partition_range_start": chunk[0].isoformat(), "dagster/asset_partition_range_end": chunk[-1].isoformat()}
            started = time.perf_counter()
            assert job.execute_in_process(instance=instance, tags=tags, run_config=quiet).success
            return time.perf_counter() - started

        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if part == "range":
            chunks = [days[i : i + MAX_TRADE_DATES_PER_RUN] for i in range(0, len(days), MAX_TRADE_DATES_PER_RUN)]
            seconds = sum(execute(chunk) for chunk in chunks)
            return {"seconds": seconds, "runs": len(chunks), "rows": int(market.quotes["instrument_class"].isin(["equity", "sme"]).sum()),
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": baseline / 1024}  # fmt: skip
        sample = days[:: len(days) // SAMPLED_SINGLE_DATES][:SAMPLED_SINGLE_DATES - 1] + [days[-1]]
        timings = {day.isoformat(): execute([day]) for day in sample}
        return {"seconds_by_date": timings}


def _in_fresh_process(folder: str, part: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bse_platform_tests.benchmarks.features", part, folder],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    days = sessions()
    print(f"features benchmark: {SECURITIES:,} securities x {len(days)} trade dates ({days[0]} .. {days[-1]})")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        prepare(folder)
        print(f"  clean partitions written in {time.perf_counter() - started:.1f} s")
        backfill = _in_fresh_process(folder, "range")
        single = _in_fresh_process(folder, "single")

    per_date = statistics.mean(single["seconds_by_date"].values())
    one_at_a_time = per_date * len(days)
    print(f"\n  (a) backfill, corporate actions + 6 families, {backfill['runs']} runs: {backfill['seconds']:.1f} s, "
          f"{backfill['rows'] / backfill['seconds']:,.0f} input rows/s ({backfill['rows']:,} equity rows)")
    print(f"  (b) one partition per run: {per_date:.2f} s a date (mean of {len(single['seconds_by_date'])} sampled: "
          + ", ".join(f"{d} {s:.2f} s" for d, s in single["seconds_by_date"].items())
          + f"), {one_at_a_time:.0f} s extrapolated for {len(days)} dates")
    print(f"      ratio (b)/(a): {one_at_a_time / backfill['seconds']:.1f}x faster as a range")
    last = days[-1].isoformat()
    print(f"  (c) one daily partition with full lookback ({last}): {single['seconds_by_date'][last]:.2f} s")
    print(f"  (d) peak memory of (a): {backfill['peak_rss_mb']:,.0f} MB max RSS (process at start: {backfill['rss_before_mb']:,.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(run_part(sys.argv[2], sys.argv[1])))
    else:
        main()

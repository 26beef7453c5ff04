"""Point-in-time training set: 1,000,000 label events over 5,000 securities x 5 years, all families.

Every family's partitions (5,000 securities, random values) are written for five years of sessions,
then, in a fresh process (so its peak memory is the join's own), ``point_in_time_join`` of 1,000,000
events at random moments of those years, for random securities, with every feature (53). Prints wall
seconds, events per second and the peak memory (max RSS) beside their goals.
"""

import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from bse_platform.calendar import TradingCalendar

SECURITIES = 5_000
EVENTS = 1_000_000
GOALS = {"seconds": 15.0, "peak_rss_mb": 4096}


def sessions() -> list[dt.date]:
    return TradingCalendar().sessions(dt.date(2021, 1, 1), dt.date(2025, 12, 31))


def prepare(folder: str) -> None:
    from bse_platform.features.catalog import feature_names
    from bse_platform.storage import ObjectStore
    from bse_platform_tests.training import write_feature_partitions

    store = ObjectStore(folder)
    rng = np.random.default_rng(5)
    codes = np.arange(500_000, 500_000 + SECURITIES)
    for day in sessions():
        values = pd.DataFrame(rng.normal(size=(SECURITIES, len(feature_names()))), columns=feature_names())
        write_feature_partitions(store, day, values.assign(security_code=codes))


def run_join(folder: str) -> dict:
    """The measured join, in this (fresh) process."""
    from bse_platform.features.catalog import FAMILIES
    from bse_platform.storage import ObjectStore
    from bse_platform.training import point_in_time_join
    from bse_platform_tests.training import published

    days = sessions()
    rng = np.random.default_rng(6)
    start, end = published(days[0]), published(days[-1])
    offsets = rng.integers(0, (end - start).value, EVENTS)
    events = pd.DataFrame({
        "security_code": rng.integers(500_000, 500_000 + SECURITIES, EVENTS),
        "event_time": pd.to_datetime(start.value + offsets, utc=True),
        "label": rng.normal(size=EVENTS),
    })  # fmt: skip
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    training = point_in_time_join(ObjectStore(folder), events, list(FAMILIES))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": baseline / 1024,
        "columns": training.frame.shape[1],
        "partitions_read": sum(training.partitions_read.values()),
        "audit": training.audit.as_dict(),
    }


def main() -> None:
    days = sessions()
    print(f"training benchmark: {EVENTS:,} events, {SECURITIES:,} securities x {len(days)} trade dates ({days[0]} .. {days[-1]}), every family")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        prepare(folder)
        print(f"  feature partitions written in {time.perf_counter() - started:.1f} s")
        completed = subprocess.run(
            [sys.executable, "-m", "bse_platform_tests.benchmarks.training", folder], check=True, capture_output=True, text=True
        )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    audit = figures["audit"]
    print(f"  point-in-time join: {figures['seconds']:.1f} s (goal < {GOALS['seconds']:.0f} s), "
          f"{EVENTS / figures['seconds']:,.0f} events/s, {figures['partitions_read']:,} partitions read, {figures['columns']} columns")
    print(f"  peak memory: {figures['peak_rss_mb']:,.0f} MB max RSS (goal < {GOALS['peak_rss_mb']:,} MB; "
          f"{figures['rss_before_mb']:,.0f} MB before the join, with the events)")
    print(f"  audit: kept {audit['kept']:,}, without values {audit['without_values']:,}, stale values {audit['stale_values']:,}, "
          f"violations {audit['violations']}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 2:
        print(json.dumps(run_join(sys.argv[1])))
    else:
        main()

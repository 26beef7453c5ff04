"""Executors: one trade date end to end (the ``daily_trade_date`` job: raw, clean, corporate actions,
every feature family, the online store: five steps) as the sensor runs it, under Dagster's in-process
executor (the code location's default) and its multiprocess executor started by ``spawn`` (Dagster's
default) and by ``forkserver`` (the daily job's: ``bse_platform.defs.jobs.STEP_PROCESS_EXECUTOR``).

Each executor runs the same dates on a fresh data folder, instance and embedded Redis, one run per
date (``execute_job``, the run's steps in child processes where the executor starts them), against
the BSE mirror on loopback. Printed: median seconds per run and per step.
"""

import datetime as dt
import statistics
import tempfile
import time

from dagster import (
    JobDefinition,
    build_reconstructable_job,
    execute_job,
    in_process_executor,
    instance_for_test,
    multiprocess_executor,
)

from bse_platform.calendar import TradingCalendar
from bse_platform.defs.jobs import STEP_PROCESS_EXECUTOR

SECURITIES = 2_000
TRADE_DATES = 6  # the first warms the imports of the benchmark's own process
STEPS = 5
EXECUTORS = {
    "in_process (the code location's default)": in_process_executor,
    "multiprocess, spawn (Dagster's default)": multiprocess_executor.configured({"start_method": {"spawn": {}}}),
    "multiprocess, forkserver (the daily job's)": STEP_PROCESS_EXECUTOR,
}
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def sessions() -> list[dt.date]:
    return TradingCalendar().sessions(dt.date(2025, 1, 1), dt.date(2025, 12, 31))[-TRADE_DATES:]


def daily_job(executor: str, folder: str, mirror_url: str) -> JobDefinition:
    """The daily job on the benchmark's resources; rebuilt the same way in every step process."""
    from bse_platform.definitions import build_definitions
    from bse_platform.defs.resources import BseSourceResource, RedisResource, StorageResource

    definitions = build_definitions(
        StorageResource(base_uri=f"{folder}/data"),
        BseSourceResource(mirror_url=mirror_url, min_rows=100, min_interval_seconds=0),
        RedisResource(url=None, embedded_path=f"{folder}/redis.db"),
    )
    return definitions.resolve_job_def("daily_trade_date").with_executor_def(EXECUTORS[executor])


def main() -> None:
    from bse_platform.mirror.generator import generate_market
    from bse_platform.mirror.server import MirrorSite, serve_mirror

    days = sessions()
    print(f"executor benchmark: daily_trade_date ({STEPS} steps), {SECURITIES:,} securities, "
          f"{len(days) - 1} measured runs of one trade date each ({days[1]} .. {days[-1]})")  # fmt: skip
    site = MirrorSite(generate_market(SECURITIES, days, seed=3))
    with serve_mirror(site) as mirror:
        for executor in EXECUTORS:
            with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
                job = build_reconstructable_job(
                    "bse_platform_tests.benchmarks.executor", "daily_job", reconstructable_args=(executor, folder, mirror.root_url)
                )
                seconds = []
                for day in days:
                    started = time.perf_counter()
                    with execute_job(job, instance, run_config=QUIET_LOGS, tags={"dagster/partition": day.isoformat()}) as result:
                        assert result.success, f"{executor}: {day} failed"
                    seconds.append(time.perf_counter() - started)
                run = statistics.median(seconds[1:])
                print(f"  {executor:<48} {run:6.2f} s per run ({run / STEPS:.2f} s per step)")

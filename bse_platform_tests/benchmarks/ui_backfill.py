"""The user's path: a backfill of 250 trade dates, raw -> features, launched through the webserver's
GraphQL (``launchPartitionBackfill``, what the UI's Materialize dialog sends) and executed by the
daemon with the instance's run launcher (a run worker process per run), 5,000 securities, the BSE
mirror on loopback with no throttle, the local (SQLite) instance of ``make ui``.

Timed from the launch to the backfill's end; then, from the instance: the runs launched, where
their time went (launch: queued -> started, i.e. waiting in the queue, the run worker's start and
code import; steps; the rest of the run: Dagster's bookkeeping around the steps, and a run waiting
for the download pool), the events stored per partition, and the estimate for ten years of trade
dates at the measured rate. ``BSE_BENCH_TRADE_DATES`` sets another number of trade dates.
"""

import datetime as dt
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bse_platform.calendar import TradingCalendar
from bse_platform.features.catalog import FAMILIES
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror
from bse_platform_tests.ui.dagster_ui import dagster_ui
from bse_platform_tests.ui.queries import counts_by_asset, finished_backfill, launch_backfill

SECURITIES = 5_000
TRADE_DATES = int(os.environ.get("BSE_BENCH_TRADE_DATES", 250))
GOAL_SECONDS = 600
TEN_YEARS = 2_500  # trade dates
ASSETS = ["raw_bhavcopy", "clean_bhavcopy", "corporate_actions", *FAMILIES]


def sessions() -> list[dt.date]:
    # Old dates: the publication sensor (on by default) finds nothing of today's in this mirror.
    return TradingCalendar().sessions(dt.date(2024, 1, 1), dt.date(2025, 12, 31))[-TRADE_DATES:]


def main() -> None:
    days = sessions()
    print(f"UI-path backfill benchmark: {SECURITIES:,} securities x {len(days)} trade dates ({days[0]} .. {days[-1]}), "
          f"{len(ASSETS)} assets, GraphQL launchPartitionBackfill + daemon, SQLite instance (deploy/local/dagster.yaml)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder, serve_mirror(MirrorSite(generate_market(SECURITIES, days, seed=3))) as mirror:
        home = Path(folder) / "dagster_home"
        environment = {
            "BSE_MIRROR_URL": mirror.root_url,
            "BSE_STORAGE_URI": str(home / "data"),
            "BSE_EMBEDDED_REDIS_PATH": str(home / "redis.db"),
            "BSE_REQUEST_INTERVAL_SECONDS": "0",
        }
        with dagster_ui(home, environment) as ui:
            started = time.monotonic()
            backfill_id = launch_backfill(ui, ASSETS, [day.isoformat() for day in days])
            backfill = finished_backfill(ui, backfill_id, timeout=3 * 3600)
            wall = time.monotonic() - started
        report(home, backfill_id, backfill, wall, len(days))


def report(home: Path, backfill_id: str, backfill: dict, wall: float, dates: int) -> None:
    from dagster import DagsterInstance, RunsFilter

    os.environ["DAGSTER_HOME"] = str(home)
    instance = DagsterInstance.get()
    runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))
    failed = {asset: c["failed"] for asset, c in counts_by_asset(backfill).items() if c["failed"]}
    print(f"\n  backfill {backfill['status']}{f', failed partitions: {failed}' if failed else ''}")
    per_date = wall / dates
    print(f"  wall, launch -> last partition: {wall:.0f} s (goal < {GOAL_SECONDS} s), {per_date:.2f} s per trade date")
    print(f"  ten years ({TEN_YEARS:,} trade dates) at this rate: {TEN_YEARS * per_date / 60:.0f} min")

    by_kind: dict[str, list] = defaultdict(list)
    for run in runs:
        kind = "ingest (raw + clean)" if "raw_bhavcopy" in {k.path[-1] for k in run.asset_selection or ()} else "features"
        by_kind[kind].append(run)
    print(f"  runs launched: {len(runs)} ({', '.join(f'{len(r)} {kind}' for kind, r in sorted(by_kind.items()))})")
    total_events = 0
    for kind, kind_runs in sorted(by_kind.items()):
        launch, steps, rest, events = [], [], [], []
        for run in kind_runs:
            record = instance.get_run_record_by_id(run.run_id)
            stats = instance.get_run_stats(run.run_id)
            step_seconds = sum((s.end_time or 0) - (s.start_time or 0) for s in instance.get_run_step_stats(run.run_id))
            launch.append((stats.start_time or 0) - record.create_timestamp.timestamp())
            steps.append(step_seconds)
            rest.append((stats.end_time or 0) - (stats.start_time or 0) - step_seconds)
            events.append(len(instance.get_records_for_run(run.run_id, limit=1_000_000).records))
        total_events += sum(events)
        print(f"    {kind}: {len(kind_runs)} runs; summed over runs: created -> started {sum(launch):.0f} s "
              f"(median {statistics.median(launch):.1f} s a run: queue, worker start, code import), steps {sum(steps):.0f} s, "
              f"outside steps {sum(rest):.0f} s (Dagster's bookkeeping; for ingest, also waiting for the one download slot); {sum(events):,} events")  # fmt: skip
    partitions = dates * len(ASSETS)
    print(f"  events stored: {total_events:,}, {total_events / dates:.1f} per trade date, {total_events / partitions:.1f} per asset partition")


if __name__ == "__main__":
    main()

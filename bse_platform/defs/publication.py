"""The daily run's triggers: the 8 PM publication sensor and a late-evening fallback schedule.

Settings (environment, read when the code location loads):
  BSE_PUBLICATION_TIME           HH:MM IST from which a trade date's file is expected (default 20:00)
  BSE_SENSOR_INTERVAL_SECONDS    least time between two sensor ticks (default 300)
  BSE_SENSOR_MAX_CATCH_UP        most missed trade dates requested by one tick (default 5)

The sensor asks BSE whether each due trade date's file is published (a cheap request, see
``BseClient.is_published``) and requests ``daily_trade_date_job`` for it once, keyed by trade date;
its cursor is the last trade date requested (``publication.plan_tick`` decides). The schedule runs
the same job at 22:30 IST on trading days for that day's partition, unless a run of it exists that
did not fail (the sensor's, usually); a run whose file is still missing fails with raw_bhavcopy's
"not published" message.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    schedule,
    sensor,
)
from dagster._core.storage.tags import PARTITION_NAME_TAG

from bse_platform.calendar import BSE_TIMEZONE
from bse_platform.defs.jobs import daily_trade_date_job
from bse_platform.defs.partitions import TRADING_CALENDAR
from bse_platform.defs.resources import BseSourceResource
from bse_platform.publication import DEFAULT_MAX_CATCH_UP, DEFAULT_PUBLICATION_TIME, plan_tick

PUBLICATION_TIME = dt.time.fromisoformat(os.getenv("BSE_PUBLICATION_TIME", DEFAULT_PUBLICATION_TIME.strftime("%H:%M")))
SENSOR_INTERVAL_SECONDS = int(os.getenv("BSE_SENSOR_INTERVAL_SECONDS", "300"))
MAX_CATCH_UP = int(os.getenv("BSE_SENSOR_MAX_CATCH_UP", str(DEFAULT_MAX_CATCH_UP)))

FALLBACK_HOUR, FALLBACK_MINUTE = 22, 30


# A trade date whose earlier run ended like this gets the fallback run.
_RETRYABLE = frozenset({DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED})


def _now() -> dt.datetime:
    """The tick's time (tests replace it: Dagster's sensor context carries no evaluation time)."""
    return dt.datetime.now(dt.timezone.utc)


def run_key_for(trade_date: dt.date) -> str:
    return f"trade-date-{trade_date.isoformat()}"


@sensor(
    job=daily_trade_date_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        f"From {PUBLICATION_TIME:%H:%M} IST on BSE trading days, requests the daily run for a trade date "
        f"once BSE has published its bhavcopy; catches up on at most {MAX_CATCH_UP} missed trade dates"
    ),
)
def bse_publication_sensor(context: SensorEvaluationContext, bse: BseSourceResource):
    cursor = dt.date.fromisoformat(context.cursor) if context.cursor else None
    client = bse.client()
    try:
        plan = plan_tick(
            _now(),
            cursor,
            TRADING_CALENDAR,
            client.is_published,
            publication_time=PUBLICATION_TIME,
            max_catch_up=MAX_CATCH_UP,
        )
    finally:
        client.close()
    if not plan.run_dates:
        yield SkipReason(plan.skip_reason)
        return
    for trade_date in plan.run_dates:
        yield RunRequest(run_key=run_key_for(trade_date), partition_key=trade_date.isoformat())
    context.update_cursor(plan.cursor.isoformat())


@schedule(
    job=daily_trade_date_job,
    cron_schedule=f"{FALLBACK_MINUTE} {FALLBACK_HOUR} * * 1-5",
    execution_timezone=BSE_TIMEZONE,
    name="daily_trade_date_fallback",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        f"Fallback for the publication sensor: at {FALLBACK_HOUR}:{FALLBACK_MINUTE:02d} IST on trading days, runs "
        "the daily job for that day's trade date unless a run for it exists (a missing file fails 'not published')"
    ),
)
def daily_schedule(context: ScheduleEvaluationContext):
    # Not build_schedule_from_partitioned_job: with exclusions and end_offset=1 (Dagster 1.13) its
    # tick on a holiday or a Saturday requests the NEXT session's partition, whose run key then
    # blocks that session's own tick.
    trade_date = context.scheduled_execution_time.astimezone(ZoneInfo(BSE_TIMEZONE)).date()
    if not TRADING_CALENDAR.sessions(trade_date, trade_date):
        return SkipReason(f"{trade_date.isoformat()} is not a trading day (weekend or BSE holiday)")
    partition_key = trade_date.isoformat()
    existing = context.instance.get_run_records(
        RunsFilter(job_name=daily_trade_date_job.name, tags={PARTITION_NAME_TAG: partition_key}), limit=20
    )
    alive = [record.dagster_run for record in existing if record.dagster_run.status not in _RETRYABLE]
    if alive:
        return SkipReason(
            f"a {alive[0].status.value} run for {partition_key} exists already ({alive[0].run_id}); nothing to fall back for"
        )
    return RunRequest(run_key=run_key_for(trade_date), partition_key=partition_key)

"""What runs by itself: the evening's triggers, the freshness watch, and late corporate actions.

* ``bse_publication_sensor``: from the publication time (BSE_PUBLICATION_TIME, 20:00 IST) on trade
  dates, asks BSE whether the day's file is published (a cheap request, ``BseClient.is_published``)
  and requests ``daily_trade_date_job`` for it once, keyed by trade date; a date not published yet
  waits in its cursor, checked on every tick without holding back later dates, until it is given up
  (``publication_plan.plan_tick`` decides). Settings: BSE_SENSOR_INTERVAL_SECONDS,
  BSE_SENSOR_MAX_CATCH_UP, BSE_SENSOR_GIVE_UP_DAYS.
* ``daily_trade_date_fallback``: at 22:30 IST on trading days, the same job for that day's partition,
  unless a run of it exists that did not fail (the sensor's, usually); a run whose file is still
  missing fails with raw_bhavcopy's "not published" message.
* ``online_freshness_sensor``: once a trade date's deadline (BSE_ONLINE_DEADLINE, 23:00 IST) has
  passed without its vectors online, reports the ``online_by_deadline`` check of that partition as
  failed (a materialization reports it itself).
* ``recompute_features_after_late_corporate_actions``: when a corporate_actions partition is
  re-materialized with different actions, re-runs the feature partitions already built whose history
  reads the rows those actions adjust. The features read their history themselves (Dagster sees only
  the same-date dependency), so the dependency is followed here explicitly.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)
from dagster._core.storage.tags import PARTITION_NAME_TAG

from bse_platform.calendar import BSE_TIMEZONE
from bse_platform.defs import clock
from bse_platform.defs.corporate_actions import ACTION_SECURITIES, DIGEST, corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.defs.jobs import build_features_job, daily_trade_date_job
from bse_platform.defs.online import ONLINE_FRESHNESS_CHECK, online_deadline
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN, TRADING_CALENDAR, partition_trade_date, trade_dates_through
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.features.catalog import FAMILIES, LONGEST_HISTORY
from bse_platform.features.history import last_date_reading_before
from bse_platform.publication_plan import Cursor, plan_tick
from bse_platform.settings import SETTINGS

FALLBACK_HOUR, FALLBACK_MINUTE = 22, 30
_IST = ZoneInfo(BSE_TIMEZONE)

# A trade date whose earlier run ended like this gets the fallback run.
_RETRYABLE = frozenset({DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED})


def run_key_for(trade_date: dt.date) -> str:
    return f"trade-date-{trade_date.isoformat()}"


# A tick must end well within Dagster's 60 s sensor limit: each check of BSE is bounded (time-out,
# one retry, short waits) and the tick stops checking after its budget; unchecked dates wait.
_PROBE_LIMITS = {"timeout_seconds": 10.0, "retries": 1, "backoff_seconds": 0.5, "max_wait_seconds": 5.0, "deadline_seconds": 10.0}
_TICK_BUDGET_SECONDS = 20.0


@sensor(
    job=daily_trade_date_job,
    minimum_interval_seconds=SETTINGS.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        f"From {SETTINGS.publication_time:%H:%M} IST on BSE trading days, requests the daily run for a trade date "
        f"once BSE has published its bhavcopy; catches up on at most {SETTINGS.max_catch_up} missed trade dates; "
        f"a date still unpublished is retried on every tick for {SETTINGS.give_up_days} days without holding back later ones"
    ),
)
def bse_publication_sensor(context: SensorEvaluationContext, bse: BseSourceResource):
    budget_ends = time.monotonic() + _TICK_BUDGET_SECONDS
    client = bse.client(**_PROBE_LIMITS)
    try:
        plan = plan_tick(
            clock.now(),
            Cursor.parse(context.cursor),
            TRADING_CALENDAR,
            client.is_published,
            publication_time=SETTINGS.publication_time,
            max_catch_up=SETTINGS.max_catch_up,
            give_up_after=dt.timedelta(days=SETTINGS.give_up_days),
            has_time=lambda: time.monotonic() < budget_ends,
        )
    finally:
        client.close()
    if plan.message:
        context.log.info(plan.message)
    waiting = {"bse/waiting_for": ",".join(map(str, plan.waiting))} if plan.waiting else {}
    return SensorResult(
        run_requests=[RunRequest(run_key=run_key_for(day), partition_key=day.isoformat(), tags=waiting) for day in plan.run_dates],
        skip_reason=None if plan.run_dates else plan.message,
        cursor=plan.cursor.serialize(),
    )


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
    trade_date = context.scheduled_execution_time.astimezone(_IST).date()
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


@sensor(
    minimum_interval_seconds=SETTINGS.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description=f"After {SETTINGS.online_deadline:%H:%M} IST on trade dates, fails the {ONLINE_FRESHNESS_CHECK} check of a "
    "trade date whose vectors are not online",
)
def online_freshness_sensor(context: SensorEvaluationContext):
    now = clock.now()
    today = now.astimezone(_IST).date()
    cursor = dt.date.fromisoformat(context.cursor) if context.cursor else None
    recent = TRADING_CALENDAR.sessions(max(today - dt.timedelta(days=14), TRADING_CALENDAR.start), today)
    due = [day for day in recent if online_deadline(day) <= now and (cursor is None or day > cursor)]
    due = due[-SETTINGS.max_catch_up :] if cursor else due[-1:]  # a first tick judges the latest date only
    if not due:
        return SkipReason(f"no trade date past its {SETTINGS.online_deadline:%H:%M} IST deadline since {cursor}")
    key = AssetKey("online_features")
    online = context.instance.get_materialized_partitions(key)
    late = [day for day in due if day.isoformat() not in online]
    return SensorResult(
        asset_events=[
            AssetCheckEvaluation(
                asset_key=key,
                check_name=ONLINE_FRESHNESS_CHECK,
                passed=False,
                partition=day.isoformat(),
                severity=AssetCheckSeverity.WARN,
                metadata={"deadline": online_deadline(day).isoformat(), "online": "no"},
            )
            for day in late
        ],
        cursor=due[-1].isoformat(),
    )


@sensor(
    job=build_features_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="When a corporate_actions partition is re-materialized with different actions, re-run "
    "the feature partitions already built whose history reads the securities' rows before it",
)
def recompute_features_after_late_corporate_actions(context: SensorEvaluationContext, storage: StorageResource):
    instance = context.instance
    records = instance.fetch_materializations(
        AssetRecordsFilter(corporate_actions.key, after_storage_id=int(context.cursor) if context.cursor else None),
        limit=200,
        ascending=True,
    ).records
    built = instance.get_materialized_partitions(AssetKey(next(iter(FAMILIES))))  # the families are built together
    for record in records:
        partition = record.asset_materialization.partition
        earlier = instance.fetch_materializations(
            AssetRecordsFilter(corporate_actions.key, asset_partitions=[partition], before_storage_id=record.storage_id), limit=1
        ).records
        if not earlier or _metadata(earlier[0], DIGEST) == _metadata(record, DIGEST):
            continue
        day = partition_trade_date(partition)
        after = [d for d in trade_dates_through(max(map(partition_trade_date, built), default=day)) if d >= day]
        securities = set(_metadata(earlier[0], ACTION_SECURITIES) or []) | set(_metadata(record, ACTION_SECURITIES) or [])
        last = last_date_reading_before(storage.store(), after, securities, LONGEST_HISTORY)
        affected = [d.isoformat() for d in after if last is not None and d <= last and d.isoformat() in built]
        for chunk in range(0, len(affected), MAX_TRADE_DATES_PER_RUN):
            dates = affected[chunk : chunk + MAX_TRADE_DATES_PER_RUN]
            yield RunRequest(
                run_key=f"corporate-actions-{partition}-{record.storage_id}-{dates[0]}",
                asset_selection=list(feature_families.keys),
                tags={
                    "dagster/asset_partition_range_start": dates[0],
                    "dagster/asset_partition_range_end": dates[-1],
                    "bse/changed_corporate_actions": partition,
                },
            )
    if records:
        context.update_cursor(str(records[-1].storage_id))


def _metadata(record, label: str):
    value = record.asset_materialization.metadata.get(label)
    return value.value if value is not None else None

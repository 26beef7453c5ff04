"""The publication sensor and the fallback schedule, ticked at explicit IST times.

The sensor asks the real client against the loopback BSE mirror (sessions 2025-08-18..29, the 27th
a holiday); ``clock.now`` stands in for the tick's clock.
"""

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterRunStatus, build_schedule_context, build_sensor_context
from dagster._core.test_utils import create_run_for_test

from bse_platform.bse import AccessDeniedError, SourceUnavailableError
from bse_platform.definitions import defs
from bse_platform.defs import automation, clock
from bse_platform.defs.jobs import daily_trade_date_job
from bse_platform.defs.automation import bse_publication_sensor, daily_schedule
from bse_platform.defs.resources import BseSourceResource
from bse_platform.publication_plan import Cursor

IST = ZoneInfo("Asia/Kolkata")


def at(day: str, hh_mm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hh_mm}").replace(tzinfo=IST)


@pytest.fixture
def tick(mirror, instance, monkeypatch):
    """Evaluate one sensor tick at ``now`` from ``cursor``: (run requests, skip message, new cursor).
    A plain ISO date is a cursor too (what earlier versions wrote; ``Cursor.parse`` reads it)."""
    repository = defs.get_repository_def()

    def run(now: dt.datetime, cursor: str | None):
        monkeypatch.setattr(clock, "now", lambda: now)
        bse = BseSourceResource(mirror_url=mirror.root_url, min_interval_seconds=0, retries=0, backoff_seconds=0.01)
        context = build_sensor_context(instance=instance, cursor=cursor, resources={"bse": bse}, repository_def=repository)
        data = bse_publication_sensor.evaluate_tick(context)
        return data.run_requests, data.skip_message, data.cursor

    return run


def test_sensor_and_schedule_are_in_the_code_location():
    assert defs.get_sensor_def("bse_publication_sensor").job_name == daily_trade_date_job.name
    assert defs.get_schedule_def("daily_trade_date_fallback").job_name == daily_trade_date_job.name
    assert bse_publication_sensor.minimum_interval_seconds == 300


def cursor_at(day: str, *waiting: str) -> str:
    return Cursor(dt.date.fromisoformat(day), tuple(map(dt.date.fromisoformat, waiting))).serialize()


def test_before_publication_time_skips_with_the_reason(tick):
    requests, skip, cursor = tick(at("2025-08-26", "19:59"), "2025-08-25")
    assert requests == [] and skip == "before publication time 20:00 IST for 2025-08-26"
    assert cursor == cursor_at("2025-08-25")  # not moved


@pytest.mark.parametrize(("day", "cursor"), [("2025-08-27", "2025-08-26"), ("2025-08-24", "2025-08-22")], ids=["holiday", "weekend"])
def test_holiday_and_weekend_skip(tick, day, cursor):
    requests, skip, new_cursor = tick(at(day, "21:00"), cursor)
    assert requests == [] and skip == f"{day} is not a trading day (weekend or BSE holiday)"
    assert new_cursor == cursor_at(cursor)


def test_not_yet_published_waits_in_the_cursor(tick, mirror):
    mirror.site.published_through = dt.date(2025, 8, 25)
    requests, skip, cursor = tick(at("2025-08-26", "20:05"), "2025-08-25")
    assert requests == [] and skip == "waiting for BSE to publish 2025-08-26"
    assert cursor == cursor_at("2025-08-26", "2025-08-26")


def test_published_requests_exactly_one_run_then_no_duplicate(tick, mirror):
    mirror.site.published_through = dt.date(2025, 8, 25)
    requests, _, waiting = tick(at("2025-08-26", "20:05"), "2025-08-25")
    assert requests == []
    mirror.site.published_through = dt.date(2025, 8, 26)
    requests, skip, cursor = tick(at("2025-08-26", "20:10"), waiting)
    assert skip is None and cursor == cursor_at("2025-08-26")
    assert [(r.run_key, r.partition_key) for r in requests] == [("trade-date-2025-08-26", "2025-08-26")]
    again, skip, cursor_after = tick(at("2025-08-26", "20:15"), cursor)
    assert again == [] and "2025-08-26 was already requested" in skip
    assert cursor_after == cursor


def test_an_unpublished_date_does_not_hold_back_the_next_and_is_named_until_given_up(tick, mirror):
    mirror.site.set_fault(mirror.site.file_name(dt.date(2025, 8, 21)), 404, times=None)  # never published
    requests, _, cursor = tick(at("2025-08-22", "20:30"), "2025-08-20")
    assert [r.partition_key for r in requests] == ["2025-08-22"]
    assert requests[0].tags["bse/waiting_for"] == "2025-08-21"  # named on the run it lets through
    assert cursor == cursor_at("2025-08-22", "2025-08-21")
    requests, skip, cursor = tick(at("2025-08-22", "21:00"), cursor)  # asked again on every tick
    assert requests == [] and skip == "waiting for BSE to publish 2025-08-21"
    requests, skip, cursor = tick(at("2025-08-25", "20:30"), cursor)  # three days on: given up, by name
    assert [r.partition_key for r in requests] == ["2025-08-25"] and cursor == cursor_at("2025-08-25")


def test_source_error_fails_the_tick_and_keeps_the_cursor(tick, mirror):
    mirror.site.set_fault(mirror.site.file_name(dt.date(2025, 8, 26)), 503, times=None)
    with pytest.raises(SourceUnavailableError, match="503"):  # the tick shows the error; no cursor is written
        tick(at("2025-08-26", "20:10"), "2025-08-25")
    mirror.site.clear_faults()
    requests, _, cursor = tick(at("2025-08-26", "20:15"), "2025-08-25")  # the next tick retries that date
    assert [r.partition_key for r in requests] == ["2025-08-26"] and cursor == cursor_at("2025-08-26")


def test_a_source_that_never_answers_holds_a_tick_well_under_a_minute(tick, mirror):
    mirror.site.set_fault(mirror.site.file_name(dt.date(2025, 8, 26)), 503, body=b"", times=None, delay_seconds=30)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError):
        tick(at("2025-08-26", "20:10"), "2025-08-25")
    assert time.monotonic() - started < 45


def test_source_refusal_fails_the_tick(mirror, instance, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at("2025-08-26", "20:10"))
    bse = BseSourceResource(mirror_url=mirror.root_url, headers={"User-Agent": "curl"}, min_interval_seconds=0, retries=0)
    context = build_sensor_context(instance=instance, cursor="2025-08-25", resources={"bse": bse}, repository_def=defs.get_repository_def())
    with pytest.raises(AccessDeniedError, match="403"):
        bse_publication_sensor.evaluate_tick(context)


def test_catch_up_after_missed_days_is_bounded(tick, monkeypatch):
    requests, skip, cursor = tick(at("2025-08-29", "21:00"), "2025-08-19")
    # Missed 20, 21, 22, 25, 26, 28, 29 (27 a holiday): the last five are requested, in order.
    assert [r.partition_key for r in requests] == ["2025-08-22", "2025-08-25", "2025-08-26", "2025-08-28", "2025-08-29"]
    assert len({r.run_key for r in requests}) == 5 and skip is None and cursor == cursor_at("2025-08-29")
    monkeypatch.setattr(automation, "SETTINGS", dataclasses.replace(automation.SETTINGS, max_catch_up=2))
    requests, _, cursor = tick(at("2025-08-29", "21:00"), "2025-08-19")
    assert [r.partition_key for r in requests] == ["2025-08-28", "2025-08-29"] and cursor == cursor_at("2025-08-29")


def test_settings_come_from_the_environment():
    environment = os.environ | {"BSE_SENSOR_INTERVAL_SECONDS": "60", "BSE_PUBLICATION_TIME": "19:30", "BSE_SENSOR_MAX_CATCH_UP": "3"}
    code = (
        "from bse_platform.defs import automation as a; from bse_platform.defs.features import FeatureConfig; "
        "print(a.bse_publication_sensor.minimum_interval_seconds, a.SETTINGS.publication_time, a.SETTINGS.max_catch_up, "
        "FeatureConfig().publication_time)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)
    # The sensor and the features' available_at follow the same publication time.
    assert completed.stdout.split() == ["60", "19:30:00", "3", "19:30"], completed.stderr[-2000:]


# ---------------------------------------------------------------------------------------------
# The fallback schedule


def schedule_tick(instance, when: dt.datetime):
    context = build_schedule_context(instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def())
    data = daily_schedule.evaluate_tick(context)
    return data.run_requests or [], data.skip_message


def test_schedule_runs_late_evening_ist_on_weekdays():
    assert daily_schedule.cron_schedule == "30 22 * * 1-5"
    assert daily_schedule.execution_timezone == "Asia/Kolkata"


@pytest.mark.parametrize("day", ["2025-08-26", "2025-08-28", "2025-08-29"])
def test_schedule_targets_the_same_trade_date(instance, day):
    requests, skip = schedule_tick(instance, at(day, "22:30"))
    assert skip is None
    assert [(r.partition_key, r.run_key) for r in requests] == [(day, f"trade-date-{day}")]


def test_schedule_tick_at_utc_time_still_targets_the_ist_date(instance):
    requests, _ = schedule_tick(instance, dt.datetime(2025, 8, 26, 17, 0, tzinfo=dt.timezone.utc))  # 22:30 IST
    assert [r.partition_key for r in requests] == ["2025-08-26"]


@pytest.mark.parametrize("day", ["2025-08-27", "2025-08-15"])
def test_schedule_skips_bse_holidays(instance, day):
    requests, skip = schedule_tick(instance, at(day, "22:30"))
    assert requests == [] and skip == f"{day} is not a trading day (weekend or BSE holiday)"


def test_schedule_skips_a_trade_date_the_sensor_already_ran(instance):
    run = create_run_for_test(instance, job_name=daily_trade_date_job.name, tags={"dagster/partition": "2025-08-26"},
                              status=DagsterRunStatus.SUCCESS)  # fmt: skip
    requests, skip = schedule_tick(instance, at("2025-08-26", "22:30"))
    assert requests == [] and run.run_id in skip
    # Another date is unaffected; a failed run of the date gets its fallback run.
    assert [r.partition_key for r in schedule_tick(instance, at("2025-08-28", "22:30"))[0]] == ["2025-08-28"]
    instance.report_run_failed(run)
    assert [r.partition_key for r in schedule_tick(instance, at("2025-08-26", "22:30"))[0]] == ["2025-08-26"]

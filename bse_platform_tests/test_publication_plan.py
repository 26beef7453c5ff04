"""plan_tick: which trade dates the publication sensor requests, at explicit IST times.

Pure logic: ``is_published`` is a plain function over a set of dates (no HTTP here; the sensor's
tests ask the real client against the mirror). Dates are in the last two weeks of August 2025:
sessions 18-22, 25, 26, 28, 29; 23/24 and 30/31 are weekends, 27 a BSE holiday (Ganesh Chaturthi).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.publication_plan import TickPlan, plan_tick

IST = ZoneInfo("Asia/Kolkata")
CALENDAR = TradingCalendar()
D = dt.date


def at(day: str, hh_mm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hh_mm}").replace(tzinfo=IST)


class Published:
    """BSE's answer for a set of published dates, recording what was asked."""

    def __init__(self, *dates: dt.date, through: dt.date | None = None):
        self.dates, self.through, self.asked = set(dates), through, []

    def __call__(self, day: dt.date) -> bool:
        self.asked.append(day)
        return day in self.dates or (self.through is not None and day <= self.through)


def test_before_publication_time_skips_with_the_time_and_asks_nothing():
    published = Published(through=D(2025, 8, 31))
    plan = plan_tick(at("2025-08-26", "19:59"), D(2025, 8, 25), CALENDAR, published)
    assert plan == TickPlan([], D(2025, 8, 25), "before publication time 20:00 IST for 2025-08-26")
    assert published.asked == []


def test_publication_time_is_configurable():
    published = Published(through=D(2025, 8, 31))
    early = plan_tick(at("2025-08-26", "18:30"), D(2025, 8, 25), CALENDAR, published, publication_time=dt.time(18, 0))
    assert early.run_dates == [D(2025, 8, 26)]
    late = plan_tick(at("2025-08-26", "20:30"), D(2025, 8, 25), CALENDAR, published, publication_time=dt.time(21, 15))
    assert late.skip_reason == "before publication time 21:15 IST for 2025-08-26"


def test_publication_moment_is_in_ist_whatever_the_clock_zone():
    published = Published(through=D(2025, 8, 31))
    # 14:29 UTC is 19:59 IST; 14:30 UTC is 20:00 IST.
    before = plan_tick(dt.datetime(2025, 8, 26, 14, 29, tzinfo=dt.timezone.utc), D(2025, 8, 25), CALENDAR, published)
    on_time = plan_tick(dt.datetime(2025, 8, 26, 14, 30, tzinfo=dt.timezone.utc), D(2025, 8, 25), CALENDAR, published)
    assert before.run_dates == [] and on_time.run_dates == [D(2025, 8, 26)]
    # 19:00 UTC on the 26th is already 00:30 IST on the holiday, the 27th.
    holiday = plan_tick(dt.datetime(2025, 8, 26, 19, 0, tzinfo=dt.timezone.utc), D(2025, 8, 26), CALENDAR, published)
    assert holiday.skip_reason == "2025-08-27 is not a trading day (weekend or BSE holiday)"


@pytest.mark.parametrize(("now", "cursor"), [(at("2025-08-27", "21:00"), D(2025, 8, 26)), (at("2025-08-23", "20:30"), D(2025, 8, 22))])
def test_holiday_and_weekend_skip_as_not_a_trading_day(now, cursor):
    published = Published(through=D(2025, 8, 31))
    plan = plan_tick(now, cursor, CALENDAR, published)
    assert plan == TickPlan([], cursor, f"{now.date().isoformat()} is not a trading day (weekend or BSE holiday)")
    assert published.asked == []


def test_not_yet_published_skips_and_keeps_the_cursor():
    published = Published(through=D(2025, 8, 25))
    plan = plan_tick(at("2025-08-26", "20:05"), D(2025, 8, 25), CALENDAR, published)
    assert plan == TickPlan([], D(2025, 8, 25), "BSE has not published 2025-08-26 yet")
    assert published.asked == [D(2025, 8, 26)]


def test_published_day_is_requested_once_and_becomes_the_cursor():
    published = Published(through=D(2025, 8, 26))
    first = plan_tick(at("2025-08-26", "20:05"), D(2025, 8, 25), CALENDAR, published)
    assert first == TickPlan([D(2025, 8, 26)], D(2025, 8, 26), None)
    second = plan_tick(at("2025-08-26", "20:10"), first.cursor, CALENDAR, published)
    assert second.run_dates == [] and second.cursor == D(2025, 8, 26)
    assert "2025-08-26 was already requested" in second.skip_reason
    assert published.asked == [D(2025, 8, 26)]  # the second tick asks BSE nothing


def test_day_after_a_holiday_waits_for_its_own_publication_time():
    # Thursday morning after Wednesday's holiday: Tuesday was requested, Thursday is not due.
    plan = plan_tick(at("2025-08-28", "09:00"), D(2025, 8, 26), CALENDAR, Published(through=D(2025, 8, 31)))
    assert plan.skip_reason == "before publication time 20:00 IST for 2025-08-28"


def test_no_cursor_requests_only_the_latest_eligible_session():
    published = Published(through=D(2025, 8, 31))
    assert plan_tick(at("2025-08-26", "20:30"), None, CALENDAR, published).run_dates == [D(2025, 8, 26)]
    # Before 20:00 the latest eligible session is the previous one; on a holiday, the last session.
    assert plan_tick(at("2025-08-26", "10:00"), None, CALENDAR, published).run_dates == [D(2025, 8, 25)]
    assert plan_tick(at("2025-08-27", "21:00"), None, CALENDAR, published).run_dates == [D(2025, 8, 26)]


def test_catch_up_requests_each_missed_session_in_order():
    published = Published(through=D(2025, 8, 31))
    plan = plan_tick(at("2025-08-26", "21:00"), D(2025, 8, 20), CALENDAR, published)
    assert plan.run_dates == [D(2025, 8, 21), D(2025, 8, 22), D(2025, 8, 25), D(2025, 8, 26)]
    assert plan.cursor == D(2025, 8, 26) and plan.skip_reason is None


def test_catch_up_is_bounded_to_the_latest_sessions():
    published = Published(through=D(2025, 8, 31))
    # Missed: 20, 21, 22, 25, 26, 28, 29 (the 27th is a holiday); only the last five, or the last two.
    plan = plan_tick(at("2025-08-29", "21:00"), D(2025, 8, 19), CALENDAR, published)
    assert plan.run_dates == [D(2025, 8, 22), D(2025, 8, 25), D(2025, 8, 26), D(2025, 8, 28), D(2025, 8, 29)]
    two = plan_tick(at("2025-08-29", "21:00"), D(2025, 8, 19), CALENDAR, published, max_catch_up=2)
    assert two.run_dates == [D(2025, 8, 28), D(2025, 8, 29)]
    # A cursor months back still yields only the last five sessions.
    old = plan_tick(at("2025-08-29", "21:00"), D(2025, 1, 2), CALENDAR, published)
    assert old.run_dates == plan.run_dates


def test_catch_up_stops_at_the_first_unpublished_date():
    published = Published(D(2025, 8, 21), D(2025, 8, 25), D(2025, 8, 26))  # 22nd missing
    plan = plan_tick(at("2025-08-26", "21:00"), D(2025, 8, 20), CALENDAR, published)
    assert plan == TickPlan([D(2025, 8, 21)], D(2025, 8, 21), None)
    assert published.asked == [D(2025, 8, 21), D(2025, 8, 22)]  # later ones wait for the 22nd
    nothing = plan_tick(at("2025-08-26", "21:00"), D(2025, 8, 21), CALENDAR, published)
    assert nothing == TickPlan([], D(2025, 8, 21), "BSE has not published 2025-08-22 yet")


def test_a_source_error_propagates():
    def unreachable(day):
        raise ConnectionError("BSE is down")

    with pytest.raises(ConnectionError, match="BSE is down"):
        plan_tick(at("2025-08-26", "20:30"), D(2025, 8, 25), CALENDAR, unreachable)


def test_naive_now_and_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_tick(dt.datetime(2025, 8, 26, 20, 30), None, CALENDAR, Published())
    with pytest.raises(ValueError, match="max_catch_up"):
        plan_tick(at("2025-08-26", "20:30"), None, CALENDAR, Published(), max_catch_up=0)

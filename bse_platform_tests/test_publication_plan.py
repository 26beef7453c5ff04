"""plan_tick: which trade dates the publication sensor requests, at explicit IST times.

Pure logic: ``is_published`` is a plain function over a set of dates (no HTTP here; the sensor's
tests ask the real client against the mirror). Dates are in the last two weeks of August 2025:
sessions 18-22, 25, 26, 28, 29; 23/24 and 30/31 are weekends, 27 a BSE holiday (Ganesh Chaturthi).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.publication_plan import Cursor, plan_tick

IST = ZoneInfo("Asia/Kolkata")
CALENDAR = TradingCalendar()
D = dt.date


def through(day: dt.date | None, *waiting: dt.date) -> Cursor:
    return Cursor(day, tuple(waiting))


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
    plan = plan_tick(at("2025-08-26", "19:59"), through(D(2025, 8, 25)), CALENDAR, published)
    assert plan.run_dates == [] and plan.message == "before publication time 20:00 IST for 2025-08-26"
    assert plan.cursor == through(D(2025, 8, 25)) and published.asked == []


def test_publication_time_is_configurable():
    published = Published(through=D(2025, 8, 31))
    early = plan_tick(at("2025-08-26", "18:30"), through(D(2025, 8, 25)), CALENDAR, published, publication_time=dt.time(18, 0))
    assert early.run_dates == [D(2025, 8, 26)]
    late = plan_tick(at("2025-08-26", "20:30"), through(D(2025, 8, 25)), CALENDAR, published, publication_time=dt.time(21, 15))
    assert late.message == "before publication time 21:15 IST for 2025-08-26"


def test_publication_moment_is_in_ist_whatever_the_clock_zone():
    published = Published(through=D(2025, 8, 31))
    cursor = through(D(2025, 8, 25))
    # 14:29 UTC is 19:59 IST; 14:30 UTC is 20:00 IST.
    before = plan_tick(dt.datetime(2025, 8, 26, 14, 29, tzinfo=dt.timezone.utc), cursor, CALENDAR, published)
    on_time = plan_tick(dt.datetime(2025, 8, 26, 14, 30, tzinfo=dt.timezone.utc), cursor, CALENDAR, published)
    assert before.run_dates == [] and on_time.run_dates == [D(2025, 8, 26)]
    # 19:00 UTC on the 26th is already 00:30 IST on the holiday, the 27th.
    holiday = plan_tick(dt.datetime(2025, 8, 26, 19, 0, tzinfo=dt.timezone.utc), through(D(2025, 8, 26)), CALENDAR, published)
    assert holiday.message == "2025-08-27 is not a trading day (weekend or BSE holiday)"


@pytest.mark.parametrize(("now", "cursor"), [(at("2025-08-27", "21:00"), D(2025, 8, 26)), (at("2025-08-23", "20:30"), D(2025, 8, 22))])
def test_holiday_and_weekend_skip_as_not_a_trading_day(now, cursor):
    published = Published(through=D(2025, 8, 31))
    plan = plan_tick(now, through(cursor), CALENDAR, published)
    assert (plan.run_dates, plan.cursor) == ([], through(cursor))
    assert plan.message == f"{now.date().isoformat()} is not a trading day (weekend or BSE holiday)"
    assert published.asked == []


def test_not_yet_published_waits_in_the_cursor_and_is_asked_again():
    published = Published(through=D(2025, 8, 25))
    plan = plan_tick(at("2025-08-26", "20:05"), through(D(2025, 8, 25)), CALENDAR, published)
    assert plan.run_dates == [] and plan.cursor == through(D(2025, 8, 26), D(2025, 8, 26))
    assert plan.message == "waiting for BSE to publish 2025-08-26"
    published.through = D(2025, 8, 26)
    later = plan_tick(at("2025-08-26", "20:10"), plan.cursor, CALENDAR, published)
    assert later.run_dates == [D(2025, 8, 26)] and later.cursor == through(D(2025, 8, 26))
    assert published.asked == [D(2025, 8, 26), D(2025, 8, 26)]


def test_published_day_is_requested_once():
    published = Published(through=D(2025, 8, 26))
    first = plan_tick(at("2025-08-26", "20:05"), through(D(2025, 8, 25)), CALENDAR, published)
    assert first.run_dates == [D(2025, 8, 26)] and first.cursor == through(D(2025, 8, 26)) and first.message == ""
    second = plan_tick(at("2025-08-26", "20:10"), first.cursor, CALENDAR, published)
    assert second.run_dates == [] and second.cursor == first.cursor
    assert "2025-08-26 was already requested" in second.message
    assert published.asked == [D(2025, 8, 26)]  # the second tick asks BSE nothing


def test_day_after_a_holiday_waits_for_its_own_publication_time():
    # Thursday morning after Wednesday's holiday: Tuesday was requested, Thursday is not due.
    plan = plan_tick(at("2025-08-28", "09:00"), through(D(2025, 8, 26)), CALENDAR, Published(through=D(2025, 8, 31)))
    assert plan.message == "before publication time 20:00 IST for 2025-08-28"


def test_no_cursor_requests_only_the_latest_eligible_session():
    published = Published(through=D(2025, 8, 31))
    assert plan_tick(at("2025-08-26", "20:30"), Cursor(), CALENDAR, published).run_dates == [D(2025, 8, 26)]
    # Before 20:00 the latest eligible session is the previous one; on a holiday, the last session.
    assert plan_tick(at("2025-08-26", "10:00"), Cursor(), CALENDAR, published).run_dates == [D(2025, 8, 25)]
    assert plan_tick(at("2025-08-27", "21:00"), Cursor(), CALENDAR, published).run_dates == [D(2025, 8, 26)]


def test_catch_up_requests_each_missed_session_in_order():
    published = Published(through=D(2025, 8, 31))
    plan = plan_tick(at("2025-08-26", "21:00"), through(D(2025, 8, 20)), CALENDAR, published)
    assert plan.run_dates == [D(2025, 8, 21), D(2025, 8, 22), D(2025, 8, 25), D(2025, 8, 26)]
    assert plan.cursor == through(D(2025, 8, 26)) and plan.message == ""


def test_catch_up_is_bounded_to_the_latest_sessions():
    published = Published(through=D(2025, 8, 31))
    # Missed: 20, 21, 22, 25, 26, 28, 29 (the 27th is a holiday); only the last five, or the last two.
    plan = plan_tick(at("2025-08-29", "21:00"), through(D(2025, 8, 19)), CALENDAR, published)
    assert plan.run_dates == [D(2025, 8, 22), D(2025, 8, 25), D(2025, 8, 26), D(2025, 8, 28), D(2025, 8, 29)]
    two = plan_tick(at("2025-08-29", "21:00"), through(D(2025, 8, 19)), CALENDAR, published, max_catch_up=2)
    assert two.run_dates == [D(2025, 8, 28), D(2025, 8, 29)]
    # A cursor months back still yields only the last five sessions.
    old = plan_tick(at("2025-08-29", "21:00"), through(D(2025, 1, 2)), CALENDAR, published)
    assert old.run_dates == plan.run_dates


def test_an_unpublished_date_does_not_hold_back_later_ones():
    published = Published(D(2025, 8, 21), D(2025, 8, 25), D(2025, 8, 26))  # 22nd missing
    plan = plan_tick(at("2025-08-26", "21:00"), through(D(2025, 8, 20)), CALENDAR, published)
    assert plan.run_dates == [D(2025, 8, 21), D(2025, 8, 25), D(2025, 8, 26)]
    assert plan.cursor == through(D(2025, 8, 26), D(2025, 8, 22)) and plan.waiting == [D(2025, 8, 22)]
    assert plan.message == "waiting for BSE to publish 2025-08-22"
    # The next day's tick asks for the 22nd again besides the 28th; BSE publishes it late.
    published.dates |= {D(2025, 8, 22), D(2025, 8, 28)}
    next_day = plan_tick(at("2025-08-28", "20:30"), plan.cursor, CALENDAR, published, give_up_after=dt.timedelta(days=7))
    assert next_day.run_dates == [D(2025, 8, 22), D(2025, 8, 28)] and next_day.cursor == through(D(2025, 8, 28))


def test_a_date_never_published_is_given_up_by_name_after_the_limit():
    published = Published(D(2025, 8, 25), D(2025, 8, 26), D(2025, 8, 28))
    cursor = through(D(2025, 8, 22), D(2025, 8, 22))
    still = plan_tick(at("2025-08-25", "21:00"), cursor, CALENDAR, published, give_up_after=dt.timedelta(days=4))
    assert still.run_dates == [D(2025, 8, 25)] and still.waiting == [D(2025, 8, 22)] and still.given_up == []
    gone = plan_tick(at("2025-08-25", "21:00"), cursor, CALENDAR, published, give_up_after=dt.timedelta(days=3))
    assert gone.run_dates == [D(2025, 8, 25)] and gone.given_up == [D(2025, 8, 22)]
    assert gone.cursor == through(D(2025, 8, 25))  # no longer asked for
    assert "gave up on 2025-08-22 after 3 days unpublished" in gone.message


def test_when_the_tick_runs_out_of_time_the_unchecked_dates_wait():
    published = Published(through=D(2025, 8, 31))
    checks_left = iter([True, True])
    plan = plan_tick(at("2025-08-26", "21:00"), through(D(2025, 8, 20)), CALENDAR, published, has_time=lambda: next(checks_left, False))
    assert plan.run_dates == [D(2025, 8, 21), D(2025, 8, 22)] and plan.waiting == [D(2025, 8, 25), D(2025, 8, 26)]
    assert published.asked == [D(2025, 8, 21), D(2025, 8, 22)]


def test_a_source_error_propagates():
    def unreachable(day):
        raise ConnectionError("BSE is down")

    with pytest.raises(ConnectionError, match="BSE is down"):
        plan_tick(at("2025-08-26", "20:30"), through(D(2025, 8, 25)), CALENDAR, unreachable)


def test_cursor_round_trips_and_reads_the_old_plain_date():
    cursor = through(D(2025, 8, 26), D(2025, 8, 22))
    assert Cursor.parse(cursor.serialize()) == cursor
    assert Cursor.parse("2025-08-26") == through(D(2025, 8, 26)) and Cursor.parse(None) == Cursor()


def test_naive_now_and_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_tick(dt.datetime(2025, 8, 26, 20, 30), Cursor(), CALENDAR, Published())
    with pytest.raises(ValueError, match="max_catch_up"):
        plan_tick(at("2025-08-26", "20:30"), Cursor(), CALENDAR, Published(), max_catch_up=0)

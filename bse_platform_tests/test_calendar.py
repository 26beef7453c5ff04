"""BSE trade dates: XBOM sessions, special sessions on top, every weekday past XBOM's horizon."""

import datetime as dt
import logging

import exchange_calendars
import pytest

from bse_platform import calendar as calendar_module
from bse_platform.calendar import MUHURAT_SESSIONS, TradingCalendar

# BSE's published 2025 trading holidays that fall on weekdays (Diwali Laxmi Pujan, 21 Oct, had a
# Muhurat session and so is a trade date).
BSE_WEEKDAY_HOLIDAYS_2025 = {
    dt.date(2025, 2, 26),  # Mahashivratri
    dt.date(2025, 3, 14),  # Holi
    dt.date(2025, 3, 31),  # Id-ul-Fitr
    dt.date(2025, 4, 10),  # Mahavir Jayanti
    dt.date(2025, 4, 14),  # Ambedkar Jayanti
    dt.date(2025, 4, 18),  # Good Friday
    dt.date(2025, 5, 1),  # Maharashtra Day
    dt.date(2025, 8, 15),  # Independence Day
    dt.date(2025, 8, 27),  # Ganesh Chaturthi
    dt.date(2025, 10, 2),  # Gandhi Jayanti / Dussehra
    dt.date(2025, 10, 22),  # Diwali Balipratipada
    dt.date(2025, 11, 5),  # Guru Nanak Jayanti
    dt.date(2025, 12, 25),  # Christmas
}


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def calendar() -> TradingCalendar:
    return TradingCalendar()


@pytest.fixture
def fresh_horizon_warning():
    """The past-horizon warning is logged once per process; forget that it was, for this test."""
    calendar_module._warn_past_horizon_once.cache_clear()
    yield
    calendar_module._warn_past_horizon_once.cache_clear()


def test_sessions_exclude_weekends_and_holidays(calendar):
    sessions = calendar.sessions(dt.date(2025, 8, 1), dt.date(2025, 10, 31))
    assert sessions == sorted(sessions)
    assert all(day.weekday() < 5 for day in sessions)
    assert dt.date(2025, 8, 15) not in sessions  # Independence Day, a Friday
    assert dt.date(2025, 10, 2) not in sessions  # Gandhi Jayanti, a Thursday
    assert {dt.date(2025, 8, 14), dt.date(2025, 8, 18), dt.date(2025, 10, 1), dt.date(2025, 10, 3)} <= set(sessions)


def test_2025_weekday_holidays_are_bses(calendar):
    non_sessions = calendar.non_sessions(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert {day for day in non_sessions if day.weekday() < 5} == BSE_WEEKDAY_HOLIDAYS_2025


@pytest.mark.parametrize(
    "day",
    [dt.date(2024, 1, 20), dt.date(2025, 2, 1)],  # special Saturday session; Budget-day Saturday
)
def test_special_saturday_sessions(calendar, day):
    assert day.weekday() == 5
    assert day in calendar.sessions(day - dt.timedelta(days=7), day + dt.timedelta(days=7))
    assert calendar.is_session(day)
    assert not calendar.is_session(day + dt.timedelta(days=1))  # the Sunday after
    assert not calendar.is_session(day + dt.timedelta(days=7))  # the next Saturday


@pytest.mark.parametrize("day", [dt.date(2024, 11, 1), dt.date(2025, 10, 21)])
def test_muhurat_sessions_are_extra_sessions(day):
    assert day in MUHURAT_SESSIONS
    assert day in TradingCalendar().sessions(day - dt.timedelta(days=3), day + dt.timedelta(days=3))
    # They come from extra_sessions: XBOM alone calls them holidays.
    without = TradingCalendar(extra_sessions=frozenset())
    assert day not in without.sessions(day - dt.timedelta(days=3), day + dt.timedelta(days=3))
    assert not without.is_session(day)


def test_custom_extra_session():
    sunday = dt.date(2025, 3, 9)
    assert sunday.weekday() == 6
    assert not TradingCalendar().is_session(sunday)
    custom = TradingCalendar(extra_sessions=frozenset({sunday}))
    assert custom.is_session(sunday)
    assert sunday in custom.sessions(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert sunday not in custom.non_sessions(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    # Extra sessions outside the range are not returned.
    assert sunday not in custom.sessions(dt.date(2025, 3, 10), dt.date(2025, 3, 31))


def test_non_sessions_are_the_complement(calendar):
    start, end = dt.date(2024, 10, 1), dt.date(2025, 3, 31)
    sessions = calendar.sessions(start, end)
    non_sessions = calendar.non_sessions(start, end)
    assert non_sessions == sorted(non_sessions)
    assert not set(sessions) & set(non_sessions)
    assert sorted(set(sessions) | set(non_sessions)) == days(start, end)
    assert {dt.date(2024, 10, 5), dt.date(2024, 10, 6), dt.date(2024, 12, 25)} <= set(non_sessions)
    assert dt.date(2024, 11, 1) not in non_sessions  # Muhurat


def test_single_day_and_empty_ranges(calendar):
    assert calendar.sessions(dt.date(2025, 8, 14), dt.date(2025, 8, 14)) == [dt.date(2025, 8, 14)]
    assert calendar.sessions(dt.date(2025, 8, 15), dt.date(2025, 8, 17)) == []  # holiday + weekend
    assert calendar.sessions(dt.date(2025, 8, 20), dt.date(2025, 8, 19)) == []
    assert calendar.non_sessions(dt.date(2025, 8, 20), dt.date(2025, 8, 19)) == []


def test_before_the_calendars_start(calendar):
    with pytest.raises(ValueError, match=str(calendar.start)):
        calendar.sessions(calendar.start - dt.timedelta(days=1), calendar.start + dt.timedelta(days=10))


def test_a_start_that_is_no_session_still_gives_the_sessions_after_it():
    calendar = TradingCalendar(start=dt.date(2010, 1, 1))  # a holiday: XBOM's first session is the 4th
    assert calendar.sessions(dt.date(2010, 1, 1), dt.date(2010, 1, 6))[0] == dt.date(2010, 1, 4)


def test_past_the_horizon_every_weekday_is_a_session(calendar, fresh_horizon_warning, caplog):
    start = calendar.horizon + dt.timedelta(days=1)
    end = calendar.horizon + dt.timedelta(days=45)
    weekdays = [day for day in days(start, end) if day.weekday() < 5]
    assert calendar.sessions(start, end) == weekdays
    assert calendar.non_sessions(start, end) == [day for day in days(start, end) if day.weekday() >= 5]
    with caplog.at_level(logging.WARNING, logger="bse_platform.calendar"):
        assert calendar.is_session(weekdays[0])
    assert str(calendar.horizon) in caplog.text


def test_range_across_the_horizon_joins_both_parts(calendar):
    start = calendar.horizon - dt.timedelta(days=20)
    end = calendar.horizon + dt.timedelta(days=20)
    sessions = calendar.sessions(start, end)
    before = calendar.sessions(start, calendar.horizon)
    after = [day for day in days(calendar.horizon + dt.timedelta(days=1), end) if day.weekday() < 5]
    assert sessions == before + after
    assert after and before


def test_no_warning_within_the_horizon(calendar, fresh_horizon_warning, caplog):
    with caplog.at_level(logging.WARNING, logger="bse_platform.calendar"):
        calendar.sessions(calendar.horizon - dt.timedelta(days=30), calendar.horizon)
        calendar.is_session(calendar.horizon)
    assert caplog.text == ""


def test_weekdays_only_keeps_the_sessions_partitions_can_hold():
    """Dagster partitions cannot include weekend sessions; this calendar is the one they use."""
    full, weekdays = TradingCalendar(), TradingCalendar(weekdays_only=True)
    days = (dt.date(2025, 1, 27), dt.date(2025, 2, 7))
    assert dt.date(2025, 2, 1) in full.sessions(*days)  # Budget-day Saturday session
    assert dt.date(2025, 2, 1) not in weekdays.sessions(*days)
    assert set(full.sessions(*days)) - set(weekdays.sessions(*days)) == {dt.date(2025, 2, 1)}


def test_xboms_sessions_read_from_its_data_are_exchange_calendars_own(calendar):
    """The calendar reads XBOM's rules (weekmasks, holidays) without building exchange_calendars'
    session index; over the whole range, the sessions must be the ones that index holds."""
    xbom = exchange_calendars.get_calendar("XBOM", start=calendar.start)
    expected = {d.date() for d in xbom.sessions} | set(calendar.extra_sessions)
    assert calendar.horizon == xbom.last_session.date()
    assert calendar.sessions(calendar.start, calendar.horizon) == sorted(expected)

"""When to request a trade date's run: the publication sensor's decision, free of Dagster and HTTP.

BSE publishes a session's bhavcopy in the evening (from about 20:00 IST). Each sensor tick asks
``plan_tick`` which trade dates to request now, given the last one requested (the cursor):

* eligible trade dates are sessions up to today (IST) whose publication moment (the date at
  ``publication_time`` IST) has passed;
* the candidates are the eligible sessions after the cursor, at most the last ``max_catch_up`` of
  them (with no cursor, only the latest eligible session);
* candidates are checked with ``is_published`` in date order and requested up to the first one
  that is not published yet (later ones wait, so the cursor never skips a date);
* the new cursor is the last requested date. An ``is_published`` that raises (the source is
  unreachable or refuses) propagates, so the tick reports the error and the cursor stays.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from bse_platform.calendar import BSE_PUBLICATION_TIME, BSE_TIMEZONE, ist_datetime

DEFAULT_MAX_CATCH_UP = 5

_IST = ZoneInfo(BSE_TIMEZONE)
# Calendar days looked back for the eligible sessions: max_catch_up sessions plus weekends and the
# longest runs of BSE holidays fit in this with room to spare.
_LOOKBACK_SLACK_DAYS = 21


class SessionCalendar(Protocol):
    """What ``plan_tick`` needs of a calendar (``TradingCalendar`` is one)."""

    start: dt.date

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]: ...


@dataclass(frozen=True)
class TickPlan:
    run_dates: list[dt.date] = field(default_factory=list)
    cursor: dt.date | None = None  # the new cursor: the last requested date, else the old one
    skip_reason: str | None = None  # set when run_dates is empty


def plan_tick(
    now: dt.datetime,
    cursor: dt.date | None,
    calendar: SessionCalendar,
    is_published: Callable[[dt.date], bool],
    *,
    publication_time: dt.time = BSE_PUBLICATION_TIME,
    max_catch_up: int = DEFAULT_MAX_CATCH_UP,
) -> TickPlan:
    """The trade dates to request at ``now`` (tz-aware) after ``cursor``; see the module docstring."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    if max_catch_up < 1:
        raise ValueError(f"max_catch_up must be at least 1, got {max_catch_up}")
    now = now.astimezone(_IST)
    today = now.date()

    window_start = today - dt.timedelta(days=2 * max_catch_up + _LOOKBACK_SLACK_DAYS)
    if cursor is not None:
        window_start = max(window_start, cursor + dt.timedelta(days=1))
    window_start = max(window_start, calendar.start)
    recent = calendar.sessions(window_start, today) if window_start <= today else []
    eligible = [day for day in recent if ist_datetime(day, publication_time) <= now]
    after_cursor = [day for day in eligible if cursor is None or day > cursor]
    candidates = after_cursor[-1:] if cursor is None else after_cursor[-max_catch_up:]

    if not candidates:
        today_is_session = bool(calendar.sessions(today, today)) if today >= calendar.start else False
        return TickPlan([], cursor, _nothing_due_reason(today, today_is_session, cursor, publication_time))

    run_dates = []
    for day in candidates:
        if not is_published(day):
            break
        run_dates.append(day)
    if not run_dates:
        return TickPlan([], cursor, f"BSE has not published {candidates[0].isoformat()} yet")
    return TickPlan(run_dates, run_dates[-1], None)


def _nothing_due_reason(
    today: dt.date, today_is_session: bool, cursor: dt.date | None, publication_time: dt.time
) -> str:
    if not today_is_session:
        return f"{today.isoformat()} is not a trading day (weekend or BSE holiday)"
    if cursor is None or cursor < today:
        return f"before publication time {publication_time:%H:%M} IST for {today.isoformat()}"
    return f"the run for {cursor.isoformat()} was already requested; next: the next trade date after {publication_time:%H:%M} IST"

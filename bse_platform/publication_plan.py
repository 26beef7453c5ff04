"""When to request a trade date's run: the publication sensor's decision, free of Dagster and HTTP.

BSE publishes a session's bhavcopy in the evening (from about 20:00 IST). Each sensor tick asks
``plan_tick`` which trade dates to request now, given its cursor: the last eligible date it has
handled (``through``) and the dates still ``waiting`` for their file.

* eligible trade dates are sessions up to today (IST) whose publication moment (the date at
  ``publication_time`` IST) has passed;
* the new ones are the eligible sessions after ``through``, at most the last ``max_catch_up`` of them
  (with no cursor, only the latest eligible session);
* the waiting dates and the new ones are checked with ``is_published`` in date order: a published
  one is requested; one that is not waits, without holding back the dates after it, and is checked
  again on every tick until ``give_up_after`` past its publication moment, when the tick reports it
  given up (a date BSE never publishes is not lost silently: it is named on every tick);
* ``has_time`` is asked before each check: when the tick's time is up, the unchecked dates wait
  for the next tick;
* an ``is_published`` that raises (the source is unreachable or refuses) propagates, so the tick
  reports the error and the cursor stays.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from bse_platform.calendar import BSE_PUBLICATION_TIME, BSE_TIMEZONE, ist_datetime

DEFAULT_MAX_CATCH_UP = 5
DEFAULT_GIVE_UP_AFTER = dt.timedelta(days=3)

_IST = ZoneInfo(BSE_TIMEZONE)
# Calendar days looked back for the eligible sessions: max_catch_up sessions plus weekends and the
# longest runs of BSE holidays fit in this with room to spare.
_LOOKBACK_SLACK_DAYS = 21


class SessionCalendar(Protocol):
    """What ``plan_tick`` needs of a calendar (``TradingCalendar`` is one)."""

    start: dt.date

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]: ...


@dataclass(frozen=True)
class Cursor:
    through: dt.date | None = None  # every eligible date up to here was requested or is waiting
    waiting: tuple[dt.date, ...] = ()  # not published when last checked

    def serialize(self) -> str:
        return json.dumps({"through": self.through and self.through.isoformat(), "waiting": [d.isoformat() for d in self.waiting]})

    @classmethod
    def parse(cls, text: str | None) -> "Cursor":
        """A cursor as ``serialize`` wrote it; a bare ISO date (what earlier versions wrote) is ``through``."""
        if not text:
            return cls()
        if not text.startswith("{"):
            return cls(dt.date.fromisoformat(text))
        data = json.loads(text)
        through = dt.date.fromisoformat(data["through"]) if data.get("through") else None
        return cls(through, tuple(dt.date.fromisoformat(d) for d in data.get("waiting", [])))


@dataclass(frozen=True)
class TickPlan:
    run_dates: list[dt.date] = field(default_factory=list)
    cursor: Cursor = field(default_factory=Cursor)
    message: str = ""  # what the tick says: why nothing runs, and the dates waiting or given up
    waiting: list[dt.date] = field(default_factory=list)
    given_up: list[dt.date] = field(default_factory=list)


def plan_tick(
    now: dt.datetime,
    cursor: Cursor,
    calendar: SessionCalendar,
    is_published: Callable[[dt.date], bool],
    *,
    publication_time: dt.time = BSE_PUBLICATION_TIME,
    max_catch_up: int = DEFAULT_MAX_CATCH_UP,
    give_up_after: dt.timedelta = DEFAULT_GIVE_UP_AFTER,
    has_time: Callable[[], bool] = lambda: True,
) -> TickPlan:
    """The trade dates to request at ``now`` (tz-aware) from ``cursor``; see the module docstring."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    if max_catch_up < 1:
        raise ValueError(f"max_catch_up must be at least 1, got {max_catch_up}")
    now = now.astimezone(_IST)
    today = now.date()

    window_start = today - dt.timedelta(days=2 * max_catch_up + _LOOKBACK_SLACK_DAYS)
    if cursor.through is not None:
        window_start = max(window_start, cursor.through + dt.timedelta(days=1))
    window_start = max(window_start, calendar.start)
    recent = calendar.sessions(window_start, today) if window_start <= today else []
    eligible = [day for day in recent if ist_datetime(day, publication_time) <= now]
    new = [day for day in eligible if cursor.through is None or day > cursor.through]
    new = new[-max_catch_up:] if cursor.through is not None else new[-1:]

    given_up = [day for day in cursor.waiting if ist_datetime(day, publication_time) + give_up_after <= now]
    candidates = sorted({*(d for d in cursor.waiting if d not in given_up), *new})
    run_dates, waiting = [], []
    for day in candidates:
        (run_dates if has_time() and is_published(day) else waiting).append(day)

    through = max(new, default=cursor.through)
    plan_cursor = Cursor(through, tuple(waiting))
    notes = []
    if waiting:
        notes.append(f"waiting for BSE to publish {', '.join(map(str, waiting))}")
    if given_up:
        notes.append(
            f"gave up on {', '.join(map(str, given_up))} after {give_up_after.days} days unpublished: materialize it by hand "
            "if BSE publishes it late, or list it in BSE_EXTRA_HOLIDAYS if there was no session"
        )
    if not run_dates and not waiting and not given_up:
        today_is_session = bool(calendar.sessions(today, today)) if today >= calendar.start else False
        notes.append(_nothing_due_reason(today, today_is_session, cursor.through, publication_time))
    return TickPlan(run_dates, plan_cursor, "; ".join(notes), waiting, given_up)


def _nothing_due_reason(
    today: dt.date, today_is_session: bool, cursor: dt.date | None, publication_time: dt.time
) -> str:
    if not today_is_session:
        return f"{today.isoformat()} is not a trading day (weekend or BSE holiday)"
    if cursor is None or cursor < today:
        return f"before publication time {publication_time:%H:%M} IST for {today.isoformat()}"
    return f"the run for {cursor.isoformat()} was already requested; next: the next trade date after {publication_time:%H:%M} IST"

"""Which dates are BSE trade dates.

The exchange calendar ``XBOM`` (exchange_calendars) knows weekends, holidays and some special
Saturday sessions, but lists Muhurat-trading evenings as holidays although BSE publishes a
bhavcopy for them, so extra session dates are added on top. The calendar only knows holidays
about a year ahead: past its horizon every weekday counts as a session, and ``is_session`` and the
partitions definition log a warning when they reach past it.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import cache, cached_property
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from exchange_calendars.exchange_calendar_xbom import XBOMExchangeCalendar

log = logging.getLogger(__name__)

BSE_TIMEZONE = "Asia/Kolkata"
# When a session's bhavcopy is published, and so when its values count as known (IST).
BSE_PUBLICATION_TIME = dt.time(20, 0)


def ist_datetime(day: dt.date, time_of_day: dt.time) -> dt.datetime:
    """``day`` at ``time_of_day`` in India Standard Time (tz-aware)."""
    return dt.datetime.combine(day, time_of_day, tzinfo=ZoneInfo(BSE_TIMEZONE))

# Diwali Muhurat-trading evenings: BSE publishes a bhavcopy, XBOM calls them holidays.
MUHURAT_SESSIONS: tuple[dt.date, ...] = (
    dt.date(2018, 11, 7),
    dt.date(2019, 10, 27),
    dt.date(2020, 11, 14),
    dt.date(2021, 11, 4),
    dt.date(2022, 10, 24),
    dt.date(2023, 11, 12),
    dt.date(2024, 11, 1),
    dt.date(2025, 10, 21),
)


@dataclass(frozen=True)
class TradingCalendar:
    """BSE sessions: XBOM's sessions plus ``extra_sessions``, minus ``extra_holidays`` (days XBOM
    counts as sessions but BSE did not trade), weekdays past XBOM's horizon."""

    extra_sessions: frozenset[dt.date] = field(default_factory=lambda: frozenset(MUHURAT_SESSIONS))
    extra_holidays: frozenset[dt.date] = frozenset()
    # XBOM's default start moves with today (20 years back); a fixed one keeps old partitions valid.
    start: dt.date = dt.date(2000, 1, 1)
    # Only weekday sessions: the ones Dagster's trade-date partitions can hold (defs/partitions.py).
    weekdays_only: bool = False

    @cached_property
    def _xbom_sessions(self) -> np.ndarray:
        """XBOM's sessions from ``start`` through its horizon (datetime64[D], ascending), from its data:
        weekdays by its weekmasks, less its holidays. Building exchange_calendars' XBOM object instead
        steps a business-day offset through every date: two seconds for every process that loads the
        code location (run workers included); a test checks the two agree."""
        xbom = XBOMExchangeCalendar.__new__(XBOMExchangeCalendar)  # its rules, without building its index
        days = np.arange(np.datetime64(self.start, "D"), np.datetime64(XBOMExchangeCalendar.bound_max().date(), "D") + 1)
        weekday = pd.DatetimeIndex(days).weekday.to_numpy()
        is_open = np.array([flag == "1" for flag in xbom.weekmask])[weekday]
        for first, last, weekmask in xbom.special_weekmasks:
            within = (days >= np.datetime64(first.date(), "D")) & (days <= np.datetime64(last.date(), "D"))
            is_open[within] = np.array([flag == "1" for flag in weekmask])[weekday[within]]
        is_open &= ~np.isin(days, XBOMExchangeCalendar.precomputed_holidays().to_numpy().astype("datetime64[D]"))
        return days[is_open]

    @property
    def horizon(self) -> dt.date:
        """The last date whose holidays XBOM knows."""
        return self._xbom_sessions[-1].item()

    def sessions(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Trade dates in [start, end], oldest first."""
        if start < self.start:
            raise ValueError(f"this calendar starts {self.start}; asked for sessions from {start}")
        known = self._xbom_sessions
        within = known[np.searchsorted(known, np.datetime64(start, "D")) : np.searchsorted(known, np.datetime64(end, "D"), side="right")]
        days = set(within.tolist())
        if end > self.horizon:
            beyond = pd.bdate_range(max(start, self.horizon + dt.timedelta(days=1)), end)
            days.update(d.date() for d in beyond)
        days.update(d for d in self.extra_sessions if start <= d <= end)
        days -= self.extra_holidays
        return sorted(d for d in days if not (self.weekdays_only and d.weekday() >= 5))

    def non_sessions(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Calendar days in [start, end] that are not trade dates (weekends, holidays)."""
        sessions = set(self.sessions(start, end))
        all_days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
        return [d for d in all_days if d not in sessions]

    def is_session(self, day: dt.date) -> bool:
        self.warn_if_past_horizon(day)
        return bool(self.sessions(day, day))

    def warn_if_past_horizon(self, day: dt.date) -> None:
        if day > self.horizon:
            _warn_past_horizon_once(self.horizon)


@cache
def _warn_past_horizon_once(horizon: dt.date) -> None:
    log.warning(
        "XBOM knows BSE holidays only through %s; later dates count as trade dates on every weekday "
        "(upgrade exchange_calendars to learn the next year's holidays)",
        horizon,
    )

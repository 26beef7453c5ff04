"""The one partitions definition of every daily asset: BSE trade dates in Asia/Kolkata.

Configured from the environment because partitions are fixed when the code location loads:
``BSE_EXTRA_SESSIONS`` (comma-separated ISO dates BSE traded on although XBOM lists a holiday, added
to the known Muhurat sessions) and ``BSE_PARTITIONS_START`` (first trade date, default 2010-01-01).
"""

import datetime as dt
import os

from dagster import DailyPartitionsDefinition

from bse_platform.calendar import BSE_TIMEZONE, MUHURAT_SESSIONS, TradingCalendar

# Exclusions are explicit dates, so they are listed this far past XBOM's horizon (weekends only there).
_YEARS_LISTED_PAST_HORIZON = 5


def trading_calendar_from_env(start: dt.date) -> TradingCalendar:
    extra = {dt.date.fromisoformat(d.strip()) for d in os.getenv("BSE_EXTRA_SESSIONS", "").split(",") if d.strip()}
    return TradingCalendar(extra_sessions=frozenset(MUHURAT_SESSIONS) | extra, start=start)


def trade_date_partitions(calendar: TradingCalendar, start: dt.date) -> DailyPartitionsDefinition:
    """Daily partitions without the calendar's non-sessions; today's partition exists from midnight IST
    (``end_offset=1``) so the evening's publication has a partition to land in."""
    calendar.warn_if_past_horizon(dt.date.today() + dt.timedelta(days=1))
    last_listed = calendar.horizon.replace(year=calendar.horizon.year + _YEARS_LISTED_PAST_HORIZON)
    return DailyPartitionsDefinition(
        start_date=start.isoformat(),
        timezone=BSE_TIMEZONE,
        end_offset=1,
        exclusions=[dt.datetime(d.year, d.month, d.day) for d in calendar.non_sessions(start, last_listed)],
    )


PARTITIONS_START = dt.date.fromisoformat(os.getenv("BSE_PARTITIONS_START", "2010-01-01"))
TRADING_CALENDAR = trading_calendar_from_env(PARTITIONS_START)
TRADE_DATE_PARTITIONS = trade_date_partitions(TRADING_CALENDAR, PARTITIONS_START)


def partition_trade_date(partition_key: str) -> dt.date:
    return dt.date.fromisoformat(partition_key)

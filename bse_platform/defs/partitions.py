"""The one partitions definition of every daily asset: BSE's weekday trade dates in Asia/Kolkata.

Configured from the environment because partitions are fixed when the code location loads:
``BSE_EXTRA_SESSIONS`` (comma-separated ISO dates BSE traded on although XBOM lists a holiday, added
to the known Muhurat sessions) and ``BSE_PARTITIONS_START`` (first trade date, default 2010-01-01).
"""

import datetime as dt
import os

from dagster import DailyPartitionsDefinition

from bse_platform.calendar import BSE_TIMEZONE, MUHURAT_SESSIONS, TradingCalendar

# Weekends are excluded by cron. Listing every weekend as a date instead (to keep the rare weekend
# special session) made the definition 240 KB, serialized into the event log thousands of times a
# backfill: a 250-date feature backfill ran 1.8x slower. Dagster can only exclude, so weekend
# sessions (Budget Saturdays, Sunday Muhurat) are not partitions; weekday ones are.
WEEKENDS = ("0 0 * * 6", "0 0 * * 0")
_YEARS_LISTED_PAST_HORIZON = 1  # weekday holidays past XBOM's horizon are unknown anyway

# A range backfill runs at most this many trade dates per run (BackfillPolicy.multi_run): with the
# longest lookback, that keeps one run under about 4 GB for 5,000 securities.
MAX_TRADE_DATES_PER_RUN = 250


def trading_calendar_from_env(start: dt.date) -> TradingCalendar:
    extra = {dt.date.fromisoformat(d.strip()) for d in os.getenv("BSE_EXTRA_SESSIONS", "").split(",") if d.strip()}
    return TradingCalendar(extra_sessions=frozenset(MUHURAT_SESSIONS) | extra, start=start, weekdays_only=True)


def trade_date_partitions(calendar: TradingCalendar, start: dt.date) -> DailyPartitionsDefinition:
    """Daily partitions on the calendar's weekday sessions; today's partition exists from midnight IST
    (``end_offset=1``) so the evening's publication has a partition to land in."""
    calendar.warn_if_past_horizon(dt.date.today() + dt.timedelta(days=1))
    last_listed = calendar.horizon.replace(year=calendar.horizon.year + _YEARS_LISTED_PAST_HORIZON)
    weekday_holidays = [d for d in calendar.non_sessions(start, last_listed) if d.weekday() < 5]  # weekends: cron
    return DailyPartitionsDefinition(
        start_date=start.isoformat(),
        timezone=BSE_TIMEZONE,
        end_offset=1,
        exclusions=[*WEEKENDS, *(dt.datetime(d.year, d.month, d.day) for d in weekday_holidays)],
    )


PARTITIONS_START = dt.date.fromisoformat(os.getenv("BSE_PARTITIONS_START", "2010-01-01"))
TRADING_CALENDAR = trading_calendar_from_env(PARTITIONS_START)
TRADE_DATE_PARTITIONS = trade_date_partitions(TRADING_CALENDAR, PARTITIONS_START)


def partition_trade_date(partition_key: str) -> dt.date:
    return dt.date.fromisoformat(partition_key)

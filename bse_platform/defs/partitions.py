"""The partitions definition of every daily asset: BSE's weekday trade dates in Asia/Kolkata.

Fixed when the code location loads, by the calendar of ``bse_platform.deployment``, from the
settings ``BSE_EXTRA_SESSIONS`` (ISO dates BSE traded on although XBOM lists a holiday, added to the
known Muhurat sessions), ``BSE_EXTRA_HOLIDAYS`` (dates XBOM counts as sessions but BSE did not trade)
and ``BSE_PARTITIONS_START``.
"""

import datetime as dt

from dagster import DailyPartitionsDefinition

from bse_platform.calendar import BSE_TIMEZONE, TradingCalendar
from bse_platform.deployment import TRADING_CALENDAR

# Weekends are excluded by cron. Listing every weekend as a date instead (to keep the rare weekend
# special session) made the definition 240 KB, serialized into the event log thousands of times a
# backfill: a 250-date feature backfill ran 1.8x slower. Dagster can only exclude, so weekend
# sessions (Budget Saturdays, Sunday Muhurat) are not partitions; weekday ones are.
WEEKENDS = ("0 0 * * 6", "0 0 * * 0")
_YEARS_LISTED_PAST_HORIZON = 1  # weekday holidays past XBOM's horizon are unknown anyway

# A range backfill runs at most this many trade dates per run (BackfillPolicy.multi_run): with the
# longest lookback, that keeps one run under about 4 GB for 5,000 securities.
MAX_TRADE_DATES_PER_RUN = 250
# Downloading and cleaning take a fraction of a second a date, starting a run seconds: a backfill
# fetches and cleans this many dates per run (still one download at a time, each date its own
# partition). A run stores all its dates or none, so one bad file holds back at most this many.
INGEST_TRADE_DATES_PER_RUN = 25


def trade_date_partitions(calendar: TradingCalendar) -> DailyPartitionsDefinition:
    """Daily partitions on the calendar's weekday sessions; today's partition exists from midnight IST
    (``end_offset=1``) so the evening's publication has a partition to land in."""
    calendar.warn_if_past_horizon(dt.date.today() + dt.timedelta(days=1))
    last_listed = calendar.horizon.replace(year=calendar.horizon.year + _YEARS_LISTED_PAST_HORIZON)
    weekday_holidays = [d for d in calendar.non_sessions(calendar.start, last_listed) if d.weekday() < 5]  # weekends: cron
    return DailyPartitionsDefinition(
        start_date=calendar.start.isoformat(),
        timezone=BSE_TIMEZONE,
        end_offset=1,
        exclusions=[*WEEKENDS, *(dt.datetime(d.year, d.month, d.day) for d in weekday_holidays)],
    )


TRADE_DATE_PARTITIONS = trade_date_partitions(TRADING_CALENDAR)


def partition_trade_date(partition_key: str) -> dt.date:
    return dt.date.fromisoformat(partition_key)


def trade_dates_through(day: dt.date) -> list[dt.date]:
    """Every trade-date partition up to ``day``, oldest first."""
    return TRADING_CALENDAR.sessions(TRADING_CALENDAR.start, day)


def previous_trade_date(day: dt.date) -> dt.date | None:
    """The trade-date partition before ``day`` (None before the first)."""
    earlier = trade_dates_through(day - dt.timedelta(days=1)) if day > TRADING_CALENDAR.start else []
    return earlier[-1] if earlier else None

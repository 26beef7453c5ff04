"""The own-day history families compute on: for every security on the trade dates computed, enough of
its own trading days before them, however thinly it trades, read from the stored clean and
corporate-action partitions.

A window of the sessions just before the dates holds those own days for a security that trades every
session. For one that trades less often, or was suspended, older sessions are read for it alone, in
chunks growing backwards, until it has the own days or its data begins. So a date computed alone and
the same date inside any range see the same own days, and a value is null only where the security's
whole history is shorter than its window. Before a dataset's first stored partition there is simply
no data; a session missing after it is a gap, and an error naming it.
"""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.storage import PARTITION_COLUMN, ObjectStore, table_frame

CLEAN, ACTIONS = "clean_bhavcopy", "corporate_actions"
# What the families read of the clean table.
CLEAN_COLUMNS = ("security_code", "open", "high", "low", "close", "prev_close", "volume", "turnover", "instrument_class")


@dataclass(frozen=True)
class History:
    clean: pd.DataFrame  # the securities of the computed dates: their rows, oldest first
    actions: pd.DataFrame  # the corporate actions taking effect within those rows
    sessions_read: int  # how far back it reached, in sessions


def read_history(
    store: ObjectStore,
    sessions: Sequence[dt.date],
    trade_dates: Sequence[dt.date],
    own_days: int,
    *,
    instrument_classes: Collection[str] = EQUITY_CLASSES,
) -> History:
    """Rows of the securities traded on ``trade_dates``: those dates, and at least ``own_days - 1`` own
    days of each before the first of them (all it has, if fewer). ``sessions`` are the trade dates
    (partition keys) up to the last of ``trade_dates``, oldest first."""
    position = {day: i for i, day in enumerate(sessions)}
    first, last = position[trade_dates[0]], position[trade_dates[-1]]
    starts = {name: _first_stored(store, name, position) for name in (CLEAN, ACTIONS)}
    kept = pc.field("instrument_class").isin(list(instrument_classes))

    def read(lo: int, hi: int, codes: list[int] | None = None) -> tuple[pa.Table, pd.DataFrame]:
        only = None if codes is None else pc.field("security_code").isin(codes)
        # Before a dataset's data begins there is nothing to read; the computed dates themselves must be there.
        clean_days, actions_days = (sessions[min(max(lo, starts[name]), first) : hi] for name in (CLEAN, ACTIONS))
        clean = store.read_table(CLEAN, clean_days, columns=CLEAN_COLUMNS, where=kept if only is None else kept & only)
        return clean, store.read_partitions(ACTIONS, actions_days, where=only)

    lo = max(first - (own_days - 1), 0)
    table, actions = read(lo, last + 1)
    # Only the securities of the computed dates, kept in Arrow: the others' rows are never converted.
    codes = table["security_code"]
    computed = pc.unique(codes.filter(pc.greater_equal(table[PARTITION_COLUMN], pa.scalar(trade_dates[0], pa.date32()))))
    clean = table_frame(table.filter(pc.is_in(codes, value_set=computed)))
    step = max(own_days, 1)
    while lo > starts[CLEAN] and len(short := _short_of_history(clean, trade_dates[0], own_days - 1)):
        hi, lo = lo, max(lo - step, starts[CLEAN])
        older, older_actions = read(lo, hi, short)
        clean, actions = pd.concat([table_frame(older), clean], ignore_index=True), pd.concat([older_actions, actions], ignore_index=True)
        step *= 2
    return History(clean.reset_index(drop=True), actions.reset_index(drop=True), last + 1 - lo)


def _first_stored(store: ObjectStore, dataset: str, position: dict[dt.date, int]) -> int:
    """Where in the sessions a dataset's stored partitions begin (past the end: none stored)."""
    stored = [position[day] for day in store.stored_partitions(dataset) if day in position]
    return min(stored, default=len(position))


def _short_of_history(clean: pd.DataFrame, first: dt.date, needed: int) -> list[int]:
    """Securities with fewer than ``needed`` rows before ``first``."""
    before = clean.loc[clean[PARTITION_COLUMN] < pd.Timestamp(first), "security_code"].value_counts()
    counts = before.reindex(clean["security_code"].unique(), fill_value=0)
    return [int(code) for code in counts.index[counts < needed]]


def last_date_reading_before(
    store: ObjectStore, sessions: Sequence[dt.date], codes: Collection[int], own_days: int
) -> dt.date | None:
    """Of ``sessions`` (a date E and the trade dates after it, oldest first), the last whose history
    of one of ``codes`` reaches before E: a security's dates until its ``own_days``-th own day from E
    on read its rows before E (which a corporate action taking effect on E changes)."""
    stored = sorted(set(sessions) & set(store.stored_partitions(CLEAN)))
    if not stored or not codes:
        return None
    traded = store.read_partitions(CLEAN, stored, columns=["security_code"], where=pc.field("security_code").isin(list(codes)))
    own_day = traded.groupby("security_code").cumcount()
    if (traded.groupby("security_code").size() < own_days).any() or traded.empty:
        return sessions[-1]  # some security has not had that many own days since: every date reads before E
    return traded.loc[own_day == own_days - 1, PARTITION_COLUMN].max().date()

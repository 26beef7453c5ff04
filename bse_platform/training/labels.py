"""Forward-return labels: what a model deciding just after a trade date's publication would earn.

For a security trading on trade date D, an event at the publication of D's values (their
``available_at``) plus a decision delay, with the return from D's close to the close of the h-th
trade date after D, for each horizon h. Returns are compounded from the stored ``returns`` family's ``ret_1d``, which is corrected for splits and bonus
issues on their ex-dates, so a label never jumps with a corporate action. A security that does not
trade on D+h takes its last close before it; one with no trade at all in (D, D+h] has no label (no
price was realised). A label is null, never guessed, while D+h or a session before it has no stored
``returns`` partition.
"""

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bse_platform.calendar import TradingCalendar
from bse_platform.storage import ObjectStore

RETURNS = "returns"
LABEL_HORIZONS = (1, 5)
# The event a label belongs to comes this long after publication: that day's features are known then.
DEFAULT_DECISION_DELAY = pd.Timedelta(minutes=1)
# Calendar days beyond the last label date that hold the longest horizon's sessions (holidays included).
_CALENDAR_DAYS_PER_SESSION = 2


def label_column(horizon: int) -> str:
    return f"fwd_ret_{horizon}d"


def forward_return_labels(
    store: ObjectStore,
    calendar: TradingCalendar,
    start: dt.date,
    end: dt.date,
    *,
    horizons: Sequence[int] = LABEL_HORIZONS,
    decision_delay: pd.Timedelta = DEFAULT_DECISION_DELAY,
) -> pd.DataFrame:
    """Label events for every security trading on the trade dates in [start, end], by date then
    security: ``security_code``, ``trade_date``, ``event_time`` and ``fwd_ret_<h>d`` per horizon (a
    fraction)."""
    if not horizons or min(horizons) < 1:
        raise ValueError(f"horizons are trade dates ahead, 1 or more: {list(horizons)}")
    longest = max(horizons)
    sessions = calendar.sessions(start, end + dt.timedelta(days=_CALENDAR_DAYS_PER_SESSION * longest + 10))
    labelled = [day for day in sessions if day <= end]
    sessions = sessions[: len(labelled) + longest]
    stored = set(store.stored_partitions(RETURNS))
    rows = store.read_partitions(RETURNS, [day for day in sessions if day in stored], columns=["security_code", "available_at", "ret_1d"])
    rows = rows.sort_values(["security_code", "trade_date"], kind="stable").reset_index(drop=True)
    growth = np.log1p(rows["ret_1d"].fillna(0.0))
    rows["growth"] = growth.groupby(rows["security_code"]).cumsum()
    rows["unknown"] = rows["ret_1d"].isna().astype("int64").groupby(rows["security_code"]).cumsum()

    session_index = pd.Series(np.arange(len(sessions)), index=pd.to_datetime(sessions))
    # Sessions without a stored partition up to each session: a gap inside a label's window voids it.
    gaps = np.cumsum([day not in stored for day in sessions])
    events = rows[rows["trade_date"].isin(pd.to_datetime(labelled))].copy()
    position = session_index.loc[events["trade_date"]].to_numpy()
    if events.empty:
        raise ValueError(f"no label events: no stored {RETURNS} partition of a trade date in {start} .. {end}")
    labels = events[["security_code", "trade_date"]].reset_index(drop=True)
    # From the values' own publication stamp: the event comes after them whatever the publication time.
    labels["event_time"] = (events["available_at"].dt.tz_convert("UTC") + decision_delay).reset_index(drop=True)
    padded_sessions = pd.to_datetime(sessions + [sessions[-1]])  # a target past the last session is unknown anyway
    for horizon in horizons:
        target = position + horizon
        known = target < len(sessions)
        known[known] &= gaps[target[known]] == gaps[position[known]]
        target_dates = padded_sessions[np.minimum(target, len(sessions))]
        after = _last_row_by(rows, events["security_code"].to_numpy(), target_dates)
        traded = after["row_date"].to_numpy() > events["trade_date"].to_numpy()
        complete = after["unknown"].to_numpy() == events["unknown"].to_numpy()
        value = np.expm1(after["growth"].to_numpy() - events["growth"].to_numpy())
        labels[label_column(horizon)] = np.where(known & traded & complete, value, np.nan)
    return labels.sort_values(["trade_date", "security_code"], kind="stable", ignore_index=True)


def _last_row_by(rows: pd.DataFrame, codes: np.ndarray, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """For each (code, date): the security's last row on or before the date (``row_date``), in the order given."""
    wanted = pd.DataFrame({"order": np.arange(len(codes)), "security_code": codes, "trade_date": dates})
    right = rows.assign(row_date=rows["trade_date"]).sort_values("trade_date", kind="stable")
    found = pd.merge_asof(wanted.sort_values("trade_date", kind="stable"), right, on="trade_date", by="security_code")
    return found.sort_values("order").reset_index(drop=True)

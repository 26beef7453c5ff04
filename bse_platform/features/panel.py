"""The adjusted price history every family computes on, and windows over each security's own days.

A ``Panel`` is one long frame sorted by (security_code, trade_date): every clean row of the equity
instruments in the loaded sessions, with prices back-adjusted for splits, bonus issues and
consolidations up to ``as_of`` (the last output date) and volumes adjusted inversely. Windows count
the security's own trading days: a suspended security keeps its history.

Kernels run on the long arrays (pandas' C loops) rather than per security, and are made exact per
security: values are divided by a per-security scale so that nothing of one security's magnitude
leaks into the next one's sums, windows that reach into the previous security are masked, and
exponential averages are restarted at each security's seed row with the closed form
``f_t = e_t - (1-a)^(t-j) * (e_j - seed_j)``.

Kernels mask only what crosses into another security. The rows loaded for a security are its whole
history or at least the own days its longest window needs (``history.read_history``), so a window
that is full is full of the security's own days, and exponential averages have forgotten their start.
For the same reason a value reading fewer own days can be computed on ``Panel.within`` those own days
of the output rows: a single date then computes its short windows on a few rows per security, not
on the years of history its longest exponential average reads.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.signal import lfilter

PRICE_COLUMNS = ("open", "high", "low", "close", "prev_close")
PANEL_COLUMNS = ("security_code", "trade_date", *PRICE_COLUMNS, "volume", "turnover")


@dataclass(frozen=True)
class Panel:
    frame: pd.DataFrame  # security_code, trade_date, prices, volume, turnover, own_row, price_scale, volume_scale
    output: np.ndarray  # per row: whether its values are wanted (the computed trade dates)

    @property
    def security(self) -> pd.Series:
        return self.frame["security_code"]

    def column(self, name: str) -> pd.Series:
        return self.frame[name]

    @property
    def own_row(self) -> np.ndarray:
        """0-based position of each row within its security's own days."""
        return self.frame["own_row"].to_numpy()

    def within(self, own_days: int) -> "Panel":
        """The rows values reading ``own_days`` own days need: each security's from ``own_days - 1`` own
        days before its first output row on (labels kept, own rows counted from there)."""
        start = self._first_output_row - (own_days - 1)
        kept = self.own_row >= start
        if kept.all():
            return self
        frame = self.frame[kept]  # a copy already: its own rows are replaced in place
        frame.isetitem(frame.columns.get_loc("own_row"), (self.own_row - np.maximum(start, 0))[kept])
        return Panel(frame, self.output[kept])

    @cached_property
    def _first_output_row(self) -> np.ndarray:
        """Per row, the own row of its security's first output row (past any row: none)."""
        if not len(self.frame):
            return self.own_row
        outputs = np.where(self.output, self.own_row, len(self.frame))
        return np.repeat(np.minimum.reduceat(outputs, self._group_starts), self._group_sizes)

    def shift(self, values: pd.Series, periods: int) -> pd.Series:
        """The value ``periods`` own days earlier (null before the security's first day)."""
        return values.shift(periods).where(self.own_row >= periods)

    def rolling(self, values: pd.Series, window: int, stat: str) -> pd.Series:
        """``stat`` (mean, sum, min, max, std, std0 = population std) over the last ``window`` own days."""
        scale = self._scale(values) if stat in ("mean", "sum", "std", "std0") else 1.0
        rolled = (values / scale).rolling(window, min_periods=window)
        if stat == "std0":
            result = rolled.std(ddof=0)
        else:
            result = getattr(rolled, stat)()
        return (result * scale).where(self.own_row >= window - 1)

    def ewm(
        self,
        values: pd.Series,
        alpha: float,
        *,
        min_periods: int,
        seed_row: int = 0,
        seed: pd.Series | None = None,
    ) -> pd.Series:
        """Exponential average (pandas ``adjust=False``), restarted in each security at its own row
        ``seed_row`` from ``seed`` there (default: the value itself); null until ``min_periods`` rows
        counted from the seed."""
        scale = self._scale(values)
        x = (values / scale).fillna(0.0).to_numpy()  # rows before the seed are cancelled out below
        decay = 1.0 - alpha
        # y_t = decay * y_t-1 + alpha * x_t from y_0 = x_0, as pandas' ewm computes it, by an IIR filter
        # (SciPy's C loop, a third of pandas' time on a long panel).
        continuous = lfilter([alpha], [1.0, -decay], x, zi=[decay * x[0]])[0] if len(x) else x
        has_seed = np.repeat(self._group_sizes, self._group_sizes) > seed_row
        start = np.where(has_seed, np.arange(len(self.frame)) - self.own_row + seed_row, 0)  # the security's seed row
        seed_values = (x if seed is None else (seed / scale).to_numpy())[start]
        steps = self.own_row - seed_row
        restarted = continuous - self._powers(decay)[np.maximum(steps, 0)] * (continuous[start] - seed_values)
        valid = has_seed & (steps >= min_periods - 1)
        return pd.Series(np.where(valid, restarted, np.nan), index=values.index) * scale

    def _powers(self, decay: float) -> np.ndarray:
        """``decay`` to the power of every own row: looked up, which is four times faster than ``np.power``."""
        return decay ** np.arange(self._longest + 1, dtype="float64")

    @cached_property
    def _longest(self) -> int:
        return int(self.own_row.max(initial=0))

    @cached_property
    def _group_starts(self) -> np.ndarray:
        """The first row of each security, in panel order."""
        return np.flatnonzero(self.own_row == 0)

    @cached_property
    def _group_sizes(self) -> np.ndarray:
        return np.diff(np.append(self._group_starts, len(self.frame)))

    def _scale(self, values: pd.Series) -> pd.Series:
        """Each security's typical magnitude of ``values`` (1 where it has none): its mean absolute
        value, summed over the securities' contiguous rows (a groupby would factorize the codes again)."""
        if not len(values):
            return pd.Series(1.0, index=values.index)
        magnitude = np.abs(values.to_numpy(dtype="float64"))
        known = ~np.isnan(magnitude)
        sums = np.add.reduceat(np.where(known, magnitude, 0.0), self._group_starts)
        counts = np.add.reduceat(known.astype("int64"), self._group_starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            typical = np.repeat(sums / counts, self._group_sizes)
        return pd.Series(np.where(typical > 0, typical, 1.0), index=values.index)


def adjusted_panel(clean: pd.DataFrame, actions: pd.DataFrame, instrument_classes, trade_dates) -> Panel:
    """The panel of ``clean`` rows (any number of trade dates) adjusted as of its last trade date, its
    output the rows of ``trade_dates``.

    ``actions`` has security_code, ex_date, price_factor, volume_factor (factors multiply prices and
    volumes before the ex-date; an unknown factor counts as 1). An action takes effect on the
    security's first own day on or after its ex-date; BSE's previous close on that day is the raw
    pre-action close, so it is adjusted by that day's factor too.
    """
    # Each column taken once, of the rows kept, in (security_code, trade_date) order: no filtered or
    # sorted copy of the whole frame, and no consolidated copy of the panel's columns.
    kept = np.flatnonzero(clean["instrument_class"].isin(list(instrument_classes)).to_numpy())
    codes, days = clean["security_code"].to_numpy()[kept], clean["trade_date"].to_numpy()[kept]
    order = kept[np.lexsort((days, codes))]
    columns = {name: clean[name].to_numpy() for name in ("security_code", "trade_date", *PRICE_COLUMNS, "turnover")}
    columns["volume"] = clean["volume"].to_numpy(dtype="float64", na_value=np.nan)
    frame = pd.DataFrame({name: columns[name][order] for name in PANEL_COLUMNS}, copy=False)
    codes, positions = frame["security_code"].to_numpy(), np.arange(len(frame))
    starts = np.where(np.r_[True, codes[1:] != codes[:-1]], positions, 0) if len(frame) else positions
    frame["own_row"] = positions - np.maximum.accumulate(starts)  # from each security's first row

    day_factors = _factors_by_row(frame, actions)
    # Factors of the actions from this row on (cum_from) and after it (cum_after), per security.
    reverse = day_factors.iloc[::-1].groupby(frame["security_code"].iloc[::-1], sort=False).cumprod().iloc[::-1]
    price_after = reverse["price_factor"] / day_factors["price_factor"]
    volume_after = reverse["volume_factor"] / day_factors["volume_factor"]
    for name in ("open", "high", "low", "close"):
        frame[name] = frame[name] * price_after
    frame["prev_close"] = frame["prev_close"] * reverse["price_factor"]
    frame["volume"] = frame["volume"] * volume_after
    frame["price_scale"] = price_after  # divide a price-like value by it to get the row date's units
    frame["volume_scale"] = volume_after
    frame["action_factor"] = day_factors["price_factor"]  # != 1 on the day a corporate action took effect
    return Panel(frame, frame["trade_date"].isin(pd.to_datetime(pd.Series(sorted(trade_dates)))).to_numpy())


def _factors_by_row(frame: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Per panel row, the product of the factors of actions taking effect on that row."""
    factors = pd.DataFrame({"price_factor": 1.0, "volume_factor": 1.0}, index=frame.index)
    if actions.empty:
        return factors
    known = actions.dropna(subset=["price_factor", "volume_factor"])
    known = known[known["security_code"].isin(frame["security_code"].unique())]
    if known.empty:
        return factors
    # The first row of the security dated on or after the ex-date: rows are sorted by one key of
    # security and day (trade dates are whole days, so an ex-date counts from its day on, rounded up).
    row_keys = _security_day_key(frame["security_code"], frame["trade_date"])
    action_keys = _security_day_key(known["security_code"], known["ex_date"].dt.ceil("D"))
    at = np.searchsorted(row_keys, action_keys)
    found = at < len(frame)
    found[found] = frame["security_code"].to_numpy()[at[found]] == known["security_code"].to_numpy()[found]
    targets = known.loc[found, ["price_factor", "volume_factor"]].assign(index=at[found])
    per_row = targets.groupby("index")[["price_factor", "volume_factor"]].prod()
    factors.loc[per_row.index, ["price_factor", "volume_factor"]] = per_row.to_numpy()
    return factors


def _security_day_key(codes: pd.Series, days: pd.Series) -> np.ndarray:
    """One integer ordered as (security_code, day): days since 1970 fit in 20 bits until the year 4840."""
    return (codes.to_numpy().astype("int64") << 20) + days.to_numpy().astype("datetime64[D]").astype("int64")

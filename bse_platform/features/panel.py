"""The adjusted price history every family computes on, and windows over each security's own days.

A ``Panel`` is every clean row of the equity instruments in the loaded sessions, sorted by
(security_code, trade_date), with prices back-adjusted for splits, bonus issues and consolidations
up to the last loaded date and volumes adjusted inversely; a column is taken from the clean rows
when a family first reads it. Windows count the security's own trading days: a suspended security
keeps its history.

Kernels run on the long arrays (pandas' C loops) rather than per security, and are made exact per
security: values are divided by a per-security scale so that nothing of one security's magnitude
leaks into the next one's sums, and windows that reach into the previous security are masked.
Exponential averages run along a grid of one row per security, each row filtered from its own seed.

Kernels mask only what crosses into another security. The rows loaded for a security are its whole
history or at least the own days its longest window needs (``history.read_history``), so a window
that is full is full of the security's own days, and exponential averages have forgotten their start.
For the same reason a value reading fewer own days can be computed on ``Panel.within`` those own days
of the output rows: a single date then computes its short windows on a few rows per security, not
on the years of history its longest exponential average reads.
"""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.signal import lfilter

# The clean columns a panel takes, each with the factor of ``Adjustment.factors`` that adjusts it (None: none).
ADJUSTED_BY = {"open": "price", "high": "price", "low": "price", "close": "price", "prev_close": "prev_close",
               "volume": "volume", "turnover": None}  # fmt: skip


@dataclass(frozen=True)
class Adjustment:
    """Every row of the panel, in (security_code, trade_date) order: which clean row it is, and the
    factors that express its prices and volume in the units of the panel's last trade date."""

    clean: pd.DataFrame  # the clean rows, as read (not copied)
    order: np.ndarray  # per panel row, its position in ``clean``
    columns: dict[str, np.ndarray]  # per panel row: security_code, trade_date, own_row, price_scale, volume_scale, action_factor
    factors: dict[str, np.ndarray]  # per panel row and ADJUSTED_BY factor

    def taken(self, name: str, rows: np.ndarray | None) -> np.ndarray:
        """Column ``name`` of the panel's ``rows`` (None: all), adjusted; a clean column is taken anew."""
        if name in self.columns:
            return self.columns[name] if rows is None else self.columns[name][rows]
        at = self.order if rows is None else self.order[rows]
        values = self.clean[name].array.take(at)  # pandas' take: nullable volumes stay nullable until converted
        values = values.to_numpy(dtype="float64", na_value=np.nan) if name == "volume" else np.asarray(values, dtype="float64")
        if factor := ADJUSTED_BY[name]:
            values *= self.factors[factor] if rows is None else self.factors[factor][rows]
        return values


@dataclass(frozen=True)
class Panel:
    adjustment: Adjustment
    output: np.ndarray  # per row of the panel: whether its values are wanted (the computed trade dates)
    rows: np.ndarray | None = None  # the panel's rows, of all the adjustment's (``within``); None: all of them
    _columns: dict[str, pd.Series] = field(default_factory=dict, repr=False, compare=False)

    def column(self, name: str) -> pd.Series:
        """A column of the panel's rows, taken and adjusted when first asked for: a family reads a few
        columns, most of them over a few weeks of own days, so only those rows of those are taken."""
        if name not in self._columns:
            self._columns[name] = pd.Series(self.adjustment.taken(name, self.rows), self.index, name=name, copy=False)
        return self._columns[name]

    @cached_property
    def index(self) -> pd.Index:
        return pd.RangeIndex(len(self.output)) if self.rows is None else pd.Index(self.rows)

    @cached_property
    def own_row(self) -> np.ndarray:
        """0-based position of each row within its security's own days (of the panel's rows)."""
        return self.column("own_row").to_numpy()

    def within(self, own_days: int) -> "Panel":
        """The rows values reading ``own_days`` own days need: each security's from ``own_days - 1`` own
        days before its first output row on (own rows counted from there)."""
        start = self._first_output_row - (own_days - 1)
        kept = self.own_row >= start
        if kept.all():
            return self
        rows = np.flatnonzero(kept) if self.rows is None else self.rows[kept]
        own_row = pd.Series((self.own_row - np.maximum(start, 0))[kept], pd.Index(rows), name="own_row")
        return Panel(self.adjustment, self.output[kept], rows, {"own_row": own_row})

    @cached_property
    def _first_output_row(self) -> np.ndarray:
        """Per row, the own row of its security's first output row (past any row: none)."""
        if not len(self.own_row):
            return self.own_row
        outputs = np.where(self.output, self.own_row, len(self.own_row))
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
        """Exponential average (pandas ``adjust=False``), started in each security at its own row
        ``seed_row`` from ``seed`` there (default: the value itself); null until ``min_periods`` rows
        counted from the seed."""
        if not len(values):
            return values.astype("float64")
        x = values.to_numpy(dtype="float64", na_value=0.0)  # rows before the seed are replaced by it
        securities, seeds = self._seed_rows(seed_row)
        seed_values = (x if seed is None else seed.to_numpy(dtype="float64"))[seeds]
        # One row of the grid per security: its own days from column 0, its seed up to column seed_row,
        # so the filter's state starts there; what follows its last day is never read.
        grid = np.zeros((len(self._group_starts), self._longest + 1))
        grid.reshape(-1)[self._grid_positions] = x
        grid[securities, : seed_row + 1] = seed_values[:, None]
        initial = np.zeros((len(grid), 1))
        initial[securities, 0] = (1.0 - alpha) * seed_values
        # y_t = (1 - alpha) * y_t-1 + alpha * x_t, as pandas' ewm computes it: SciPy's C loop along each row.
        averaged = lfilter([alpha], [1.0, alpha - 1.0], grid, axis=1, zi=initial)[0].ravel()[self._grid_positions]
        averaged[self.own_row < seed_row + min_periods - 1] = np.nan
        return pd.Series(averaged, index=values.index)

    def _seed_rows(self, seed_row: int) -> tuple[np.ndarray, np.ndarray]:
        """The securities with an own row ``seed_row`` (their numbers in panel order), and its row."""
        securities = np.flatnonzero(self._group_sizes > seed_row)
        return securities, self._group_starts[securities] + seed_row

    @cached_property
    def _grid_positions(self) -> np.ndarray:
        """Each row's cell in a grid of one row per security and one column per own day."""
        security_number = np.repeat(np.arange(len(self._group_starts)), self._group_sizes)
        return security_number * (self._longest + 1) + self.own_row

    @cached_property
    def _longest(self) -> int:
        return int(self.own_row.max(initial=0))

    @cached_property
    def _group_starts(self) -> np.ndarray:
        """The first row of each security, in panel order."""
        return np.flatnonzero(self.own_row == 0)

    @cached_property
    def _group_sizes(self) -> np.ndarray:
        return np.diff(np.append(self._group_starts, len(self.own_row)))

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
    # The panel's order, and its columns taken when a family asks for them (``Adjustment.taken``):
    # no filtered or sorted copy of the whole frame.
    kept = np.flatnonzero(clean["instrument_class"].isin(list(instrument_classes)).to_numpy())
    order = kept[np.lexsort((clean["trade_date"].to_numpy()[kept], clean["security_code"].to_numpy()[kept]))]
    codes, days, positions = clean["security_code"].to_numpy()[order], clean["trade_date"].to_numpy()[order], np.arange(len(order))
    starts = np.where(np.r_[True, codes[1:] != codes[:-1]], positions, 0) if len(order) else positions
    own_row = positions - np.maximum.accumulate(starts)  # from each security's first row

    price_after, volume_after, price_on = _factors_after(codes, days, own_row, actions)
    columns = {"security_code": codes, "trade_date": days, "own_row": own_row,
               "price_scale": price_after,  # divide a price-like value by it to get the row date's units
               "volume_scale": volume_after,
               "action_factor": price_on}  # != 1 on the day a corporate action took effect  # fmt: skip
    # BSE's previous close on the day an action takes effect is the raw pre-action close: that day's factor adjusts it too.
    factors = {"price": price_after, "prev_close": price_after * price_on, "volume": volume_after}
    output = pd.Series(days, copy=False).isin(pd.to_datetime(pd.Series(sorted(trade_dates)))).to_numpy()
    return Panel(Adjustment(clean, order, columns, factors), output)


def _factors_after(
    codes: np.ndarray, days: np.ndarray, own_row: np.ndarray, actions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row (sorted by security and day): the product of the price factors of the security's actions
    taking effect after it, the same of their volume factors, and the price factor taking effect on it."""
    price_after, volume_after, price_on, volume_on = (np.ones(len(codes)) for _ in range(4))
    rows, price, volume = _actions_by_row(codes, days, actions)
    price_on[rows], volume_on[rows] = price, volume
    if not len(rows):
        return price_after, volume_after, price_on
    # A reverse cumulative product per security, of the rows of securities with an action alone.
    security_number = np.cumsum(own_row == 0)
    affected = np.flatnonzero(np.isin(security_number, security_number[rows]))
    on = pd.DataFrame({"price": price_on[affected], "volume": volume_on[affected]})
    from_row = on.iloc[::-1].groupby(security_number[affected][::-1], sort=False).cumprod().iloc[::-1]
    price_after[affected] = from_row["price"].to_numpy() / on["price"].to_numpy()
    volume_after[affected] = from_row["volume"].to_numpy() / on["volume"].to_numpy()
    return price_after, volume_after, price_on


def _actions_by_row(codes: np.ndarray, days: np.ndarray, actions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows corporate actions take effect on, and the products of their price and volume factors there."""
    known = actions.dropna(subset=["price_factor", "volume_factor"])
    if known.empty:
        return np.array([], dtype="int64"), np.array([]), np.array([])
    # The first row of the security dated on or after the ex-date: rows are sorted by one key of
    # security and day (trade dates are whole days, so an ex-date counts from its day on, rounded up).
    row_keys = _security_day_key(codes, days)
    action_keys = _security_day_key(known["security_code"].to_numpy(), known["ex_date"].dt.ceil("D").to_numpy())
    at = np.searchsorted(row_keys, action_keys)
    found = at < len(codes)
    found[found] = codes[at[found]] == known["security_code"].to_numpy()[found]
    targets = known.loc[found, ["price_factor", "volume_factor"]].assign(row=at[found])
    per_row = targets.groupby("row")[["price_factor", "volume_factor"]].prod()
    return per_row.index.to_numpy(), per_row["price_factor"].to_numpy(), per_row["volume_factor"].to_numpy()


def _security_day_key(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One integer ordered as (security_code, day): days since 1970 fit in 20 bits until the year 4840."""
    return (codes.astype("int64") << 20) + days.astype("datetime64[D]").astype("int64")

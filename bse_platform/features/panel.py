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
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

PRICE_COLUMNS = ("open", "high", "low", "close", "prev_close")


@dataclass(frozen=True)
class Panel:
    frame: pd.DataFrame  # security_code, trade_date, prices, volume, turnover, own_row, price_scale, volume_scale

    @property
    def security(self) -> pd.Series:
        return self.frame["security_code"]

    def column(self, name: str) -> pd.Series:
        return self.frame[name]

    @property
    def own_row(self) -> np.ndarray:
        """0-based position of each row within its security's own days."""
        return self.frame["own_row"].to_numpy()

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
        x = (values / scale).fillna(0.0)  # rows before the seed are cancelled out below
        continuous = x.ewm(alpha=alpha, adjust=False).mean().to_numpy()
        start = self._group_start_index() + seed_row
        has_seed = self.frame.groupby("security_code", sort=False)["own_row"].transform("size").to_numpy() > seed_row
        start = np.where(has_seed, start, 0)
        seed_values = (x if seed is None else (seed / scale)).to_numpy()[start]
        steps = self.own_row - seed_row
        decay = np.power(1.0 - alpha, np.maximum(steps, 0))
        restarted = continuous - decay * (continuous[start] - seed_values)
        valid = has_seed & (steps >= min_periods - 1)
        return pd.Series(np.where(valid, restarted, np.nan), index=values.index) * scale

    def _group_start_index(self) -> np.ndarray:
        return np.arange(len(self.frame)) - self.own_row

    def _scale(self, values: pd.Series) -> pd.Series:
        """Each security's typical magnitude of ``values`` (1 where it has none)."""
        typical = values.abs().groupby(self.security, sort=False).transform("mean")
        return typical.where(typical > 0, 1.0).fillna(1.0)


def adjusted_panel(clean: pd.DataFrame, actions: pd.DataFrame, instrument_classes) -> Panel:
    """The panel of ``clean`` rows (any number of trade dates) adjusted as of its last trade date.

    ``actions`` has security_code, ex_date, price_factor, volume_factor (factors multiply prices and
    volumes before the ex-date; an unknown factor counts as 1). An action takes effect on the
    security's first own day on or after its ex-date; BSE's previous close on that day is the raw
    pre-action close, so it is adjusted by that day's factor too.
    """
    rows = clean.loc[clean["instrument_class"].isin(list(instrument_classes))]
    frame = rows[["security_code", "trade_date", *PRICE_COLUMNS, "volume", "turnover"]].copy()
    frame = frame.sort_values(["security_code", "trade_date"], kind="stable").reset_index(drop=True)
    frame["volume"] = frame["volume"].astype("float64")
    frame["own_row"] = frame.groupby("security_code", sort=False).cumcount().to_numpy()

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
    return Panel(frame)


def _factors_by_row(frame: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Per panel row, the product of the factors of actions taking effect on that row."""
    factors = pd.DataFrame({"price_factor": 1.0, "volume_factor": 1.0}, index=frame.index)
    if actions.empty:
        return factors
    known = actions.dropna(subset=["price_factor", "volume_factor"])
    known = known[known["security_code"].isin(frame["security_code"].unique())]
    if known.empty:
        return factors
    targets = pd.merge_asof(
        known.sort_values("ex_date")[["security_code", "ex_date", "price_factor", "volume_factor"]],
        frame[["security_code", "trade_date"]].reset_index().sort_values("trade_date"),
        left_on="ex_date",
        right_on="trade_date",
        by="security_code",
        direction="forward",
    ).dropna(subset=["index"])
    per_row = targets.groupby(targets["index"].astype("int64"))[["price_factor", "volume_factor"]].prod()
    factors.loc[per_row.index, ["price_factor", "volume_factor"]] = per_row.to_numpy()
    return factors

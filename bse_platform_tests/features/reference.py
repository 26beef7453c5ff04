"""An independent, per-security reference: back-adjust with a plain loop, apply `ta` to each series.

Slow and simple on purpose: the vectorized families are tested against it.
"""

import numpy as np
import pandas as pd
import ta

from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.features.volume import TYPICAL_PRICE_TIE


def adjusted_history(quotes: pd.DataFrame, actions: pd.DataFrame, security_code: int) -> pd.DataFrame:
    """One security's rows, prices back-adjusted as of its last row; ``scale`` turns an adjusted price
    at a row back into that row date's units (divide by it)."""
    rows = quotes[quotes["security_code"] == security_code].sort_values("trade_date").reset_index(drop=True)
    rows = rows.assign(volume=rows["volume"].astype(float), scale=1.0, prev_close_scale=1.0)
    for action in actions[actions["security_code"] == security_code].itertuples():
        before = rows["trade_date"] < action.ex_date
        effective = rows.index[~before]
        rows.loc[before, "scale"] *= action.price_factor
        if len(effective):  # BSE's previous close on the first day on/after the ex-date is pre-action
            rows.loc[: effective[0], "prev_close_scale"] *= action.price_factor
    for name in ("open", "high", "low", "close"):
        rows[name] = rows[name] * rows["scale"]
    rows["prev_close"] = rows["prev_close"] * rows["prev_close_scale"]
    rows["volume"] = rows["volume"] / rows["scale"]
    return rows


def reference_features(quotes: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Every feature that `ta` (or a one-line formula) defines, per security, in row-date units."""
    frames = []
    equities = quotes[quotes["instrument_class"].isin(EQUITY_CLASSES)]
    for code in equities["security_code"].unique():
        h = adjusted_history(equities, actions, code)
        close, high, low, volume, scale = h["close"], h["high"], h["low"], h["volume"], h["scale"]
        out = pd.DataFrame({"security_code": code, "trade_date": h["trade_date"]})
        out["ret_1d"] = close / h["prev_close"] - 1
        out["ret_5d"] = close / close.shift(5) - 1
        for n in (5, 10, 20, 50, 200):
            out[f"sma_{n}"] = ta.trend.SMAIndicator(close, n).sma_indicator() / scale
        for n in (12, 26, 50):
            out[f"ema_{n}"] = ta.trend.EMAIndicator(close, n).ema_indicator() / scale
        if len(h) >= 14:  # ta's ATR fails on shorter series, and says 0.0 while warming up
            atr = ta.volatility.AverageTrueRange(high, low, close, 14).average_true_range()
            out["atr_14"] = atr.where(h.index >= 13) / scale
        else:
            out["atr_14"] = np.nan
        bands = ta.volatility.BollingerBands(close, 20, 2)
        out["bb_upper_20"] = bands.bollinger_hband() / scale
        out["bb_lower_20"] = bands.bollinger_lband() / scale
        out["bb_pctb_20"] = bands.bollinger_pband()
        out["bb_width_20"] = bands.bollinger_wband()
        out["vol_20"] = np.log(close / h["prev_close"]).rolling(20).std() * np.sqrt(252)
        out["rsi_14"] = ta.momentum.RSIIndicator(close, 14).rsi()
        macd = ta.trend.MACD(close, 26, 12, 9)
        out["macd"] = macd.macd() / scale
        out["macd_signal"] = macd.macd_signal() / scale
        out["macd_diff"] = macd.macd_diff() / scale
        out["roc_10"] = ta.momentum.ROCIndicator(close, 10).roc()
        stoch = ta.momentum.StochasticOscillator(high, low, close, 14, 3)
        out["stoch_k_14"] = stoch.stoch()
        out["stoch_d_3"] = stoch.stoch_signal()
        out["williams_r_14"] = ta.momentum.WilliamsRIndicator(high, low, close, 14).williams_r()
        obv = ta.volume.OnBalanceVolumeIndicator(close, volume).on_balance_volume()
        out["obv_20"] = (obv - obv.shift(20)) * scale  # the first day has no previous close: not full
        out["mfi_14"] = ta.volume.MFIIndicator(high, low, close, volume, 14).money_flow_index()
        # ta's sign of a typical-price change is float noise where two days' prices tie in exact arithmetic.
        typical = (high + low + close) / 3
        near_tie = (typical.diff().abs() <= TYPICAL_PRICE_TIE * typical) & (typical.diff() != 0)
        out["mfi_14_ambiguous"] = near_tie.astype(float).rolling(14, min_periods=1).max().astype(bool)
        out["close_lag_3"] = close.shift(3) / scale
        out["volume_lag_2"] = volume.shift(2) * scale
        frames.append(out)
    return pd.concat(frames, ignore_index=True).replace([np.inf, -np.inf], np.nan)


RTOL = 1e-9


def assert_equal_to_reference(ours: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> None:
    """Every ``columns`` value of ``ours`` equals the reference's at the same (security, date), nulls
    included, to RTOL. Differences of nearly equal numbers (macd_diff, bb_pctb) get an absolute floor:
    RTOL times the security's typical magnitude of that column. Rows a ``<column>_ambiguous`` column
    marks are skipped: there `ta`'s own answer depends on float rounding."""
    joined = ours.merge(reference, on=["security_code", "trade_date"], suffixes=("", "_ref"), validate="1:1")
    assert len(joined) == len(ours), "rows without a reference"
    compared = [c for c in columns if f"{c}_ref" in joined]
    assert compared, "no column has a reference"
    typical_of = reference.set_index("security_code")
    for column in compared:
        rows = joined[~joined[f"{column}_ambiguous"].astype(bool)] if f"{column}_ambiguous" in joined else joined
        got, expected = rows[column], rows[f"{column}_ref"]
        shown = ["security_code", "trade_date", column, column + "_ref"]
        nulls_differ = got.isna() != expected.isna()
        assert not nulls_differ.any(), f"{column}: nulls differ at {rows.loc[nulls_differ, shown].head()}"
        typical = rows["security_code"].map(typical_of[column].abs().groupby(level=0).mean())
        close = np.isclose(got, expected, rtol=RTOL, atol=0) | ((got - expected).abs() <= RTOL * typical)
        assert close[expected.notna()].all(), f"{column}: {rows.loc[~close & expected.notna(), shown].head()}"

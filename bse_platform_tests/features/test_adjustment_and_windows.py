"""Split adjustment, own-day windows and warm-up nulls (a date alone against a range: test_history)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family

DAYS = TradingCalendar().sessions(dt.date(2025, 1, 1), dt.date(2025, 4, 30))
NO_ACTIONS = pd.DataFrame(columns=["security_code", "ex_date", "price_factor", "volume_factor"])


def one_security(closes: np.ndarray, volumes: np.ndarray, days=DAYS, code: int = 500001) -> pd.DataFrame:
    """Clean rows of one equity with the given closes (open/high/low around them)."""
    closes = np.asarray(closes, dtype=float)
    prev = np.r_[np.nan, closes[:-1]]
    return pd.DataFrame(
        {
            "trade_date": pd.to_datetime(days[: len(closes)]),
            "security_code": code,
            "open": closes * 0.995,
            "high": closes * 1.01,
            "low": closes * 0.985,
            "close": closes,
            "prev_close": prev,
            "volume": pd.array(volumes, dtype="Int64"),
            "turnover": closes * volumes,
            "instrument_class": "equity",
        }
    )


def compute_all(clean: pd.DataFrame, actions: pd.DataFrame, days) -> pd.DataFrame:
    frames = [compute_family(f, clean, actions, days).rows.set_index(["security_code", "trade_date", "available_at"]) for f in FAMILIES.values()]
    return pd.concat(frames, axis=1).reset_index()


def test_a_one_to_ten_split_moves_nothing_but_the_units():
    rng = np.random.default_rng(0)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    volumes = rng.integers(1_000, 5_000, 60)
    ex = 35
    split = one_security(np.r_[closes[:ex], closes[ex:] / 10], np.r_[volumes[:ex], volumes[ex:] * 10])
    split.loc[ex, "prev_close"] = closes[ex - 1]  # BSE's previous close on the ex-date is the raw one
    actions = pd.DataFrame({"security_code": [500001], "ex_date": [pd.Timestamp(DAYS[ex])], "price_factor": [0.1], "volume_factor": [10.0]})

    with_split = compute_all(split, actions, DAYS[:60])
    without = compute_all(one_security(closes, volumes), NO_ACTIONS, DAYS[:60])
    after = with_split["trade_date"] >= pd.Timestamp(DAYS[ex])
    for column in ("ret_1d", "log_ret_1d", "ret_5d", "rsi_14", "vol_20", "bb_pctb_20", "close_to_sma_20", "mfi_14", "volume_ratio_20"):
        pd.testing.assert_series_equal(with_split[column], without[column], rtol=1e-9, check_names=False)
    for column in ("sma_20", "ema_12", "atr_14", "close_lag_3", "bb_upper_20", "macd"):  # prices: the row date's units
        expected = without[column].where(~after, without[column] / 10)
        pd.testing.assert_series_equal(with_split[column], expected, rtol=1e-9, check_names=False)
    for column in ("volume_lag_2", "obv_20"):
        expected = without[column].where(~after, without[column] * 10)
        pd.testing.assert_series_equal(with_split[column], expected, rtol=1e-9, check_names=False)
    assert with_split.loc[ex, "ret_1d"] == pytest.approx(closes[ex] / closes[ex - 1] - 1, rel=1e-12)


def test_windows_count_own_days_across_a_suspension_and_are_null_until_full():
    closes = np.arange(1.0, 31.0) * 10
    clean = one_security(closes, np.full(30, 100))
    suspended = clean.index[(clean.index >= 10) & (clean.index < 14)]
    clean = clean.drop(suspended).reset_index(drop=True)
    clean["prev_close"] = clean["close"].shift(1)  # BSE gives the last traded close after a suspension
    result = compute_all(clean, NO_ACTIONS, DAYS[:30])

    resumed = result[result["trade_date"] == pd.Timestamp(DAYS[14])].iloc[0]
    assert resumed["sma_5"] == pytest.approx(np.mean([70, 80, 90, 100, 150]))  # the 5 last own closes
    assert resumed["close_lag_1"] == pytest.approx(100)
    assert result["sma_20"].iloc[:19].isna().all() and result["sma_20"].iloc[19:].notna().all()
    assert result["atr_14"].iloc[:13].isna().all() and (result["atr_14"].iloc[13:] > 0).all()  # null, not ta's 0.0
    assert result["ema_26"].iloc[:25].isna().all() and result["ema_26"].iloc[25:].notna().all()


def test_a_new_listing_starts_with_nulls_not_partial_values():
    clean = one_security(np.linspace(50, 60, 25), np.full(25, 10))
    clean.loc[0, "prev_close"] = np.nan  # listing day: no previous close
    result = compute_all(clean, NO_ACTIONS, DAYS[:25])
    assert np.isnan(result.loc[0, "ret_1d"]) and result.loc[1:, "ret_1d"].notna().all()
    assert result.loc[:3, "sma_5"].isna().all() and result.loc[4:, "sma_5"].notna().all()
    assert result["sma_50"].isna().all()

"""Volatility: of daily log returns, true range (ATR), Bollinger bands and the Parkinson estimator."""

import math

import numpy as np
import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup, sessions_for
from bse_platform.features.panel import Panel

TRADING_DAYS_PER_YEAR = 252
VOL_WINDOWS = (5, 20, 60)
ATR_WINDOW = 14
BOLLINGER_WINDOW, BOLLINGER_DEVIATIONS = 20, 2
PARKINSON_WINDOW = 20


def average_true_range(panel: Panel, window: int) -> pd.Series:
    """Wilder's ATR as `ta` computes it: seeded with the mean of the first ``window`` true ranges."""
    high, low = panel.column("high"), panel.column("low")
    previous_close = panel.shift(panel.column("close"), 1)
    true_range = pd.concat([high - low, (high - previous_close).abs(), (low - previous_close).abs()], axis=1).max(axis=1)
    first_mean = panel.rolling(true_range, window, "mean")
    return panel.ewm(true_range, 1 / window, min_periods=1, seed_row=window - 1, seed=first_mean)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close = panel.column("close")
    log_return = np.log(close / panel.column("prev_close"))
    annualize = math.sqrt(TRADING_DAYS_PER_YEAR)
    values = {f"vol_{n}": panel.rolling(log_return, n, "std") * annualize for n in VOL_WINDOWS}
    values[f"atr_{ATR_WINDOW}"] = average_true_range(panel, ATR_WINDOW)

    middle = panel.rolling(close, BOLLINGER_WINDOW, "mean")
    spread = BOLLINGER_DEVIATIONS * panel.rolling(close, BOLLINGER_WINDOW, "std0")
    upper, lower = middle + spread, middle - spread
    values |= {
        "bb_upper_20": upper,
        "bb_lower_20": lower,
        "bb_pctb_20": (close - lower) / (upper - lower).where(upper != lower),
        "bb_width_20": (upper - lower) / middle * 100,
    }
    squared_log_range = np.log(panel.column("high") / panel.column("low")) ** 2
    values["parkinson_20"] = np.sqrt(panel.rolling(squared_log_range, PARKINSON_WINDOW, "mean") / (4 * math.log(2))) * annualize
    return values


FAMILY = FeatureFamily(
    name="volatility",
    description="Annualized volatility of log returns, ATR, Bollinger bands (20, 2) and Parkinson's range estimator",
    lookback=max(ewm_warmup(1 / ATR_WINDOW) + ATR_WINDOW, sessions_for(max(VOL_WINDOWS))),
    features=(
        *(FeatureSpec(f"vol_{n}", f"sample std of the last {n} daily log returns x sqrt(252)", "annualized fraction",
                      n, min_rows=n, bounds=(0, None)) for n in VOL_WINDOWS),
        FeatureSpec("atr_14", "Wilder's average of true range, alpha = 1/14, seeded with the mean of the first 14",
                    "INR", ewm_warmup(1 / 14), min_rows=14, scale="price", bounds=(0, None), exponential=True,
                    reference="ta.volatility.AverageTrueRange(high, low, close, 14) (null, not 0.0, while warming up)"),
        FeatureSpec("bb_upper_20", "sma_20 + 2 x population std of the last 20 closes", "INR", 20, min_rows=20,
                    scale="price", reference="ta.volatility.BollingerBands(close, 20, 2).bollinger_hband()"),
        FeatureSpec("bb_lower_20", "sma_20 - 2 x population std of the last 20 closes", "INR", 20, min_rows=20,
                    scale="price", reference="ta.volatility.BollingerBands(close, 20, 2).bollinger_lband()"),
        FeatureSpec("bb_pctb_20", "(close - bb_lower_20) / (bb_upper_20 - bb_lower_20)", "fraction", 20, min_rows=20,
                    reference="ta.volatility.BollingerBands(close, 20, 2).bollinger_pband()"),
        FeatureSpec("bb_width_20", "(bb_upper_20 - bb_lower_20) / sma_20 x 100", "percent", 20, min_rows=20,
                    bounds=(0, None), reference="ta.volatility.BollingerBands(close, 20, 2).bollinger_wband()"),
        FeatureSpec("parkinson_20", "sqrt(mean of ln(high/low)^2 over 20 days / (4 ln 2)) x sqrt(252)",
                    "annualized fraction", 20, min_rows=20, bounds=(0, None)),
    ),  # fmt: skip
    compute=compute,
)

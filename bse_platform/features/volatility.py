"""Volatility: of daily log returns, true range (ATR), Bollinger bands and the Parkinson estimator."""

import math

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup
from bse_platform.features.panel import Panel

TRADING_DAYS_PER_YEAR = 252
VOL_WINDOWS = (5, 20, 60)
ATR_WINDOW = 14
BOLLINGER_WINDOW, BOLLINGER_DEVIATIONS = 20, 2
PARKINSON_WINDOW = 20

ATR = f"atr_{ATR_WINDOW}"
BB_UPPER, BB_LOWER = f"bb_upper_{BOLLINGER_WINDOW}", f"bb_lower_{BOLLINGER_WINDOW}"
BB_PCTB, BB_WIDTH = f"bb_pctb_{BOLLINGER_WINDOW}", f"bb_width_{BOLLINGER_WINDOW}"
PARKINSON = f"parkinson_{PARKINSON_WINDOW}"


def average_true_range(panel: Panel, window: int) -> pd.Series:
    """Wilder's ATR as `ta` computes it: seeded with the mean of the first ``window`` true ranges."""
    high, low = panel.column("high"), panel.column("low")
    previous_close = panel.shift(panel.column("close"), 1)
    # The largest of the three, the gaps to the previous close left out where there is none (np.fmax skips NaN).
    true_range = np.fmax(high - low, np.fmax((high - previous_close).abs(), (low - previous_close).abs()))
    first_mean = panel.rolling(true_range, window, "mean")
    return panel.ewm(true_range, 1 / window, min_periods=1, seed_row=window - 1, seed=first_mean)


def compute(panel: Panel) -> dict[str, pd.Series]:
    values = {ATR: average_true_range(panel, ATR_WINDOW)}
    panel = panel.within(max(*VOL_WINDOWS, BOLLINGER_WINDOW, PARKINSON_WINDOW))  # the rest reads 60 own days, ATR's warm-up far more
    close = panel.column("close")
    log_return = np.log(close / panel.column("prev_close"))
    annualize = math.sqrt(TRADING_DAYS_PER_YEAR)
    values |= {f"vol_{n}": panel.rolling(log_return, n, "std") * annualize for n in VOL_WINDOWS}

    middle = panel.rolling(close, BOLLINGER_WINDOW, "mean")
    spread = BOLLINGER_DEVIATIONS * panel.rolling(close, BOLLINGER_WINDOW, "std0")
    upper, lower = middle + spread, middle - spread
    values |= {
        BB_UPPER: upper,
        BB_LOWER: lower,
        BB_PCTB: (close - lower) / (upper - lower).where(upper != lower),
        BB_WIDTH: (upper - lower) / middle * 100,
    }
    squared_log_range = np.log(panel.column("high") / panel.column("low")) ** 2
    values[PARKINSON] = np.sqrt(panel.rolling(squared_log_range, PARKINSON_WINDOW, "mean") / (4 * math.log(2))) * annualize
    return values


_BANDS = f"ta.volatility.BollingerBands(close, {BOLLINGER_WINDOW}, {BOLLINGER_DEVIATIONS})"
_SPREAD = f"{BOLLINGER_DEVIATIONS} x population std of the last {BOLLINGER_WINDOW} closes"

FAMILY = FeatureFamily(
    name="volatility",
    description=f"Annualized volatility of log returns, ATR, Bollinger bands ({BOLLINGER_WINDOW}, {BOLLINGER_DEVIATIONS}) "
    "and Parkinson's range estimator",
    features=(
        *(FeatureSpec(f"vol_{n}", f"sample std of the last {n} daily log returns x sqrt({TRADING_DAYS_PER_YEAR})",
                      "annualized fraction", n, min_rows=n, bounds=(0, None)) for n in VOL_WINDOWS),
        FeatureSpec(ATR, f"Wilder's average of true range, alpha = 1/{ATR_WINDOW}, seeded with the mean of the first {ATR_WINDOW}",
                    "INR", ewm_warmup(1 / ATR_WINDOW) + ATR_WINDOW, min_rows=ATR_WINDOW, scale="price", bounds=(0, None), exponential=True,
                    reference=f"ta.volatility.AverageTrueRange(high, low, close, {ATR_WINDOW}) (null, not 0.0, while warming up)"),
        FeatureSpec(BB_UPPER, f"sma_{BOLLINGER_WINDOW} + {_SPREAD}", "INR", BOLLINGER_WINDOW, min_rows=BOLLINGER_WINDOW,
                    scale="price", reference=f"{_BANDS}.bollinger_hband()"),
        FeatureSpec(BB_LOWER, f"sma_{BOLLINGER_WINDOW} - {_SPREAD}", "INR", BOLLINGER_WINDOW, min_rows=BOLLINGER_WINDOW,
                    scale="price", reference=f"{_BANDS}.bollinger_lband()"),
        FeatureSpec(BB_PCTB, f"(close - {BB_LOWER}) / ({BB_UPPER} - {BB_LOWER})", "fraction", BOLLINGER_WINDOW,
                    min_rows=BOLLINGER_WINDOW, reference=f"{_BANDS}.bollinger_pband()"),
        FeatureSpec(BB_WIDTH, f"({BB_UPPER} - {BB_LOWER}) / sma_{BOLLINGER_WINDOW} x 100", "percent", BOLLINGER_WINDOW,
                    min_rows=BOLLINGER_WINDOW, bounds=(0, None), reference=f"{_BANDS}.bollinger_wband()"),
        FeatureSpec(PARKINSON, f"sqrt(mean of ln(high/low)^2 over {PARKINSON_WINDOW} days / (4 ln 2)) x sqrt({TRADING_DAYS_PER_YEAR})",
                    "annualized fraction", PARKINSON_WINDOW, min_rows=PARKINSON_WINDOW, bounds=(0, None)),
    ),  # fmt: skip
    compute=compute,
    table_checks=(
        pa.Check(lambda t: (t[BB_LOWER] <= t[BB_UPPER]) | t[BB_UPPER].isna(), name=f"{BB_LOWER} <= {BB_UPPER}"),
    ),
)

"""Momentum oscillators: RSI, MACD, rate of change, stochastic oscillator, Williams %R.

The stochastic oscillator and Williams %R are not bounded to [0, 100] / [-100, 0] here: BSE's close
is a 30-minute weighted average and can lie outside the day's high-low range.
"""

import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup, sessions_for
from bse_platform.features.panel import Panel

RSI_WINDOW = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
ROC_WINDOW = 10
STOCH_WINDOW, STOCH_SMOOTHING = 14, 3
WILLIAMS_WINDOW = 14


def relative_strength_index(panel: Panel, window: int) -> pd.Series:
    """Wilder's RSI as `ta` computes it (a security's first day counts as no move)."""
    change = panel.column("close") - panel.shift(panel.column("close"), 1)
    gains, losses = change.clip(lower=0).fillna(0.0), (-change).clip(lower=0).fillna(0.0)
    average_gain = panel.ewm(gains, 1 / window, min_periods=window)
    average_loss = panel.ewm(losses, 1 / window, min_periods=window)
    rsi = 100 - 100 / (1 + average_gain / average_loss)
    return rsi.mask(average_loss.eq(0) & average_gain.notna(), 100.0)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close, high, low = panel.column("close"), panel.column("high"), panel.column("low")
    fast = panel.ewm(close, 2 / (MACD_FAST + 1), min_periods=MACD_FAST)
    slow = panel.ewm(close, 2 / (MACD_SLOW + 1), min_periods=MACD_SLOW)
    macd = fast - slow
    # `ta` starts the signal line at the first defined MACD value.
    signal = panel.ewm(macd, 2 / (MACD_SIGNAL + 1), min_periods=MACD_SIGNAL, seed_row=MACD_SLOW - 1)
    lowest, highest = panel.rolling(low, STOCH_WINDOW, "min"), panel.rolling(high, STOCH_WINDOW, "max")
    stoch_k = 100 * (close - lowest) / (highest - lowest)
    williams_high = panel.rolling(high, WILLIAMS_WINDOW, "max")
    williams_low = panel.rolling(low, WILLIAMS_WINDOW, "min")
    earlier = panel.shift(close, ROC_WINDOW)
    return {
        "rsi_14": relative_strength_index(panel, RSI_WINDOW),
        "macd": macd,
        "macd_signal": signal,
        "macd_diff": macd - signal,
        "roc_10": (close - earlier) / earlier * 100,
        "stoch_k_14": stoch_k,
        "stoch_d_3": panel.rolling(stoch_k, STOCH_SMOOTHING, "mean"),
        "williams_r_14": -100 * (williams_high - close) / (williams_high - williams_low),
    }


_MACD_WARMUP = ewm_warmup(2 / (MACD_SLOW + 1)) + ewm_warmup(2 / (MACD_SIGNAL + 1))

FAMILY = FeatureFamily(
    name="momentum",
    description="RSI (14), MACD (12/26/9), rate of change (10), stochastic %K (14) / %D (3), Williams %R (14)",
    lookback=max(ewm_warmup(1 / RSI_WINDOW), _MACD_WARMUP, sessions_for(STOCH_WINDOW + STOCH_SMOOTHING - 1)),
    features=(
        FeatureSpec("rsi_14", "100 - 100 / (1 + Wilder average gain / average loss), alpha = 1/14", "0-100",
                    ewm_warmup(1 / 14), min_rows=14, bounds=(0, 100), exponential=True, reference="ta.momentum.RSIIndicator(close, 14).rsi()"),
        FeatureSpec("macd", "ema_12 - ema_26 of closes", "INR", ewm_warmup(2 / 27), min_rows=26, scale="price", exponential=True,
                    reference="ta.trend.MACD(close, 26, 12, 9).macd()"),
        FeatureSpec("macd_signal", "exponential average of macd, alpha = 2/10, from its first value", "INR",
                    _MACD_WARMUP, min_rows=34, scale="price", exponential=True, reference="ta.trend.MACD(close, 26, 12, 9).macd_signal()"),
        FeatureSpec("macd_diff", "macd - macd_signal", "INR", _MACD_WARMUP, min_rows=34, scale="price", exponential=True,
                    reference="ta.trend.MACD(close, 26, 12, 9).macd_diff()"),
        FeatureSpec("roc_10", "(close - close 10 own days earlier) / that close x 100", "percent", 11, min_rows=11,
                    reference="ta.momentum.ROCIndicator(close, 10).roc()"),
        FeatureSpec("stoch_k_14", "100 x (close - lowest low) / (highest high - lowest low), 14 days", "0-100", 14,
                    min_rows=14, reference="ta.momentum.StochasticOscillator(high, low, close, 14, 3).stoch()"),
        FeatureSpec("stoch_d_3", "mean of the last 3 stoch_k_14", "0-100", 16, min_rows=16,
                    reference="ta.momentum.StochasticOscillator(high, low, close, 14, 3).stoch_signal()"),
        FeatureSpec("williams_r_14", "-100 x (highest high - close) / (highest high - lowest low), 14 days", "-100-0",
                    14, min_rows=14, reference="ta.momentum.WilliamsRIndicator(high, low, close, 14).williams_r()"),
    ),  # fmt: skip
    compute=compute,
)

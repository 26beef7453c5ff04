"""Momentum oscillators: RSI, MACD, rate of change, stochastic oscillator, Williams %R.

The stochastic oscillator and Williams %R are not bounded to [0, 100] / [-100, 0] here: BSE's close
is a 30-minute weighted average and can lie outside the day's high-low range.
"""

import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup
from bse_platform.features.moving_averages import ema_alpha
from bse_platform.features.panel import Panel

RSI_WINDOW = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
ROC_WINDOW = 10
STOCH_WINDOW, STOCH_SMOOTHING = 14, 3
WILLIAMS_WINDOW = 14

RSI, ROC = f"rsi_{RSI_WINDOW}", f"roc_{ROC_WINDOW}"
STOCH_K, STOCH_D, WILLIAMS_R = f"stoch_k_{STOCH_WINDOW}", f"stoch_d_{STOCH_SMOOTHING}", f"williams_r_{WILLIAMS_WINDOW}"
_STOCH_D_DAYS = STOCH_WINDOW + STOCH_SMOOTHING - 1
_OSCILLATOR_DAYS = max(_STOCH_D_DAYS, WILLIAMS_WINDOW, ROC_WINDOW + 1)  # own days the non-exponential values read
_MACD_SIGNAL_DAYS = MACD_SLOW + MACD_SIGNAL - 1  # the signal starts at the first defined MACD value


def relative_strength_index(panel: Panel, window: int) -> pd.Series:
    """Wilder's RSI as `ta` computes it (a security's first day counts as no move)."""
    change = panel.column("close") - panel.shift(panel.column("close"), 1)
    gains, losses = change.clip(lower=0).fillna(0.0), (-change).clip(lower=0).fillna(0.0)
    average_gain = panel.ewm(gains, 1 / window, min_periods=window)
    average_loss = panel.ewm(losses, 1 / window, min_periods=window)
    rsi = 100 - 100 / (1 + average_gain / average_loss)
    return rsi.mask(average_loss.eq(0) & average_gain.notna(), 100.0)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close = panel.column("close")
    fast = panel.ewm(close, ema_alpha(MACD_FAST), min_periods=MACD_FAST)
    slow = panel.ewm(close, ema_alpha(MACD_SLOW), min_periods=MACD_SLOW)
    macd = fast - slow
    signal = panel.ewm(macd, ema_alpha(MACD_SIGNAL), min_periods=MACD_SIGNAL, seed_row=MACD_SLOW - 1)
    averages = {RSI: relative_strength_index(panel, RSI_WINDOW), "macd": macd, "macd_signal": signal, "macd_diff": macd - signal}
    panel = panel.within(_OSCILLATOR_DAYS)  # the oscillators read a few weeks, the averages' warm-up far more
    close, high, low = panel.column("close"), panel.column("high"), panel.column("low")
    lowest, highest = panel.rolling(low, STOCH_WINDOW, "min"), panel.rolling(high, STOCH_WINDOW, "max")
    stoch_k = 100 * (close - lowest) / (highest - lowest)
    williams_high = panel.rolling(high, WILLIAMS_WINDOW, "max")
    williams_low = panel.rolling(low, WILLIAMS_WINDOW, "min")
    earlier = panel.shift(close, ROC_WINDOW)
    return {
        **averages,
        ROC: (close - earlier) / earlier * 100,
        STOCH_K: stoch_k,
        STOCH_D: panel.rolling(stoch_k, STOCH_SMOOTHING, "mean"),
        WILLIAMS_R: -100 * (williams_high - close) / (williams_high - williams_low),
    }


_MACD = f"{MACD_SLOW}, {MACD_FAST}, {MACD_SIGNAL}"
_MACD_WARMUP = ewm_warmup(ema_alpha(MACD_SLOW)) + ewm_warmup(ema_alpha(MACD_SIGNAL))
_STOCH = f"ta.momentum.StochasticOscillator(high, low, close, {STOCH_WINDOW}, {STOCH_SMOOTHING})"

FAMILY = FeatureFamily(
    name="momentum",
    description=f"RSI ({RSI_WINDOW}), MACD ({MACD_FAST}/{MACD_SLOW}/{MACD_SIGNAL}), rate of change ({ROC_WINDOW}), "
    f"stochastic %K ({STOCH_WINDOW}) / %D ({STOCH_SMOOTHING}), Williams %R ({WILLIAMS_WINDOW})",
    features=(
        FeatureSpec(RSI, f"100 - 100 / (1 + Wilder average gain / average loss), alpha = 1/{RSI_WINDOW}", "0-100",
                    ewm_warmup(1 / RSI_WINDOW), min_rows=RSI_WINDOW, bounds=(0, 100), exponential=True,
                    reference=f"ta.momentum.RSIIndicator(close, {RSI_WINDOW}).rsi()"),
        FeatureSpec("macd", f"ema_{MACD_FAST} - ema_{MACD_SLOW} of closes", "INR", ewm_warmup(ema_alpha(MACD_SLOW)),
                    min_rows=MACD_SLOW, scale="price", exponential=True, reference=f"ta.trend.MACD(close, {_MACD}).macd()"),
        FeatureSpec("macd_signal", f"exponential average of macd, alpha = 2/{MACD_SIGNAL + 1}, from its first value", "INR",
                    _MACD_WARMUP, min_rows=_MACD_SIGNAL_DAYS, scale="price", exponential=True,
                    reference=f"ta.trend.MACD(close, {_MACD}).macd_signal()"),
        FeatureSpec("macd_diff", "macd - macd_signal", "INR", _MACD_WARMUP, min_rows=_MACD_SIGNAL_DAYS, scale="price",
                    exponential=True, reference=f"ta.trend.MACD(close, {_MACD}).macd_diff()"),
        FeatureSpec(ROC, f"(close - close {ROC_WINDOW} own days earlier) / that close x 100", "percent", ROC_WINDOW + 1,
                    min_rows=ROC_WINDOW + 1, reference=f"ta.momentum.ROCIndicator(close, {ROC_WINDOW}).roc()"),
        FeatureSpec(STOCH_K, f"100 x (close - lowest low) / (highest high - lowest low), {STOCH_WINDOW} days", "0-100",
                    STOCH_WINDOW, min_rows=STOCH_WINDOW, reference=f"{_STOCH}.stoch()"),
        FeatureSpec(STOCH_D, f"mean of the last {STOCH_SMOOTHING} {STOCH_K}", "0-100", _STOCH_D_DAYS,
                    min_rows=_STOCH_D_DAYS, reference=f"{_STOCH}.stoch_signal()"),
        FeatureSpec(WILLIAMS_R, f"-100 x (highest high - close) / (highest high - lowest low), {WILLIAMS_WINDOW} days",
                    "-100-0", WILLIAMS_WINDOW, min_rows=WILLIAMS_WINDOW,
                    reference=f"ta.momentum.WilliamsRIndicator(high, low, close, {WILLIAMS_WINDOW}).williams_r()"),
    ),  # fmt: skip
    compute=compute,
)

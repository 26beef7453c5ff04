"""Simple and exponential moving averages of the adjusted close, and the close relative to them."""

import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup, sessions_for
from bse_platform.features.panel import Panel

SMA_WINDOWS = (5, 10, 20, 50, 200)
EMA_SPANS = (12, 26, 50)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close = panel.column("close")
    values = {f"sma_{n}": panel.rolling(close, n, "mean") for n in SMA_WINDOWS}
    values |= {f"ema_{n}": panel.ewm(close, 2 / (n + 1), min_periods=n) for n in EMA_SPANS}
    values["close_to_sma_20"] = close / values["sma_20"]
    values["close_to_sma_50"] = close / values["sma_50"]
    return values


FAMILY = FeatureFamily(
    name="moving_averages",
    description="SMA and EMA of the adjusted close; EMAs read enough history to forget their start",
    lookback=max(sessions_for(max(SMA_WINDOWS)), ewm_warmup(2 / (max(EMA_SPANS) + 1))),
    features=(
        *(FeatureSpec(f"sma_{n}", f"mean of the last {n} closes", "INR", n, min_rows=n, scale="price", bounds=(0, None),
                      reference=f"ta.trend.SMAIndicator(close, {n}).sma_indicator()") for n in SMA_WINDOWS),
        *(FeatureSpec(f"ema_{n}", f"exponential average of closes, alpha = 2/{n + 1}, seeded with the first close",
                      "INR", ewm_warmup(2 / (n + 1)), min_rows=n, scale="price", bounds=(0, None), exponential=True,
                      reference=f"ta.trend.EMAIndicator(close, {n}).ema_indicator()") for n in EMA_SPANS),
        FeatureSpec("close_to_sma_20", "close / sma_20", "ratio", 20, min_rows=20, bounds=(0, None)),
        FeatureSpec("close_to_sma_50", "close / sma_50", "ratio", 50, min_rows=50, bounds=(0, None)),
    ),  # fmt: skip
    compute=compute,
)

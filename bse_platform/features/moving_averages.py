"""Simple and exponential moving averages of the adjusted close, and the close relative to them."""

import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, ewm_warmup
from bse_platform.features.panel import Panel

SMA_WINDOWS = (5, 10, 20, 50, 200)
EMA_SPANS = (12, 26, 50)
CLOSE_TO_SMA_WINDOWS = (20, 50)


def ema_alpha(span: int) -> float:
    return 2 / (span + 1)


def compute(panel: Panel) -> dict[str, pd.Series]:
    values = {f"ema_{n}": panel.ewm(panel.column("close"), ema_alpha(n), min_periods=n) for n in EMA_SPANS}
    recent = panel.within(max(SMA_WINDOWS))  # the EMAs' warm-up is years, the SMAs read 200 own days at most
    close = recent.column("close")
    values |= {f"sma_{n}": recent.rolling(close, n, "mean") for n in SMA_WINDOWS}
    values |= {f"close_to_sma_{n}": close / values[f"sma_{n}"] for n in CLOSE_TO_SMA_WINDOWS}
    return values


FAMILY = FeatureFamily(
    name="moving_averages",
    description="SMA and EMA of the adjusted close; EMAs read enough history to forget their start",
    features=(
        *(FeatureSpec(f"sma_{n}", f"mean of the last {n} closes", "INR", n, min_rows=n, scale="price", bounds=(0, None),
                      reference=f"ta.trend.SMAIndicator(close, {n}).sma_indicator()") for n in SMA_WINDOWS),
        *(FeatureSpec(f"ema_{n}", f"exponential average of closes, alpha = 2/{n + 1}, seeded with the first close",
                      "INR", ewm_warmup(ema_alpha(n)), min_rows=n, scale="price", bounds=(0, None), exponential=True,
                      reference=f"ta.trend.EMAIndicator(close, {n}).ema_indicator()") for n in EMA_SPANS),
        *(FeatureSpec(f"close_to_sma_{n}", f"close / sma_{n}", "ratio", n, min_rows=n, bounds=(0, None))
          for n in CLOSE_TO_SMA_WINDOWS),
    ),  # fmt: skip
    compute=compute,
)

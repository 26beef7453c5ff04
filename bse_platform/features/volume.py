"""Volume: on-balance volume, relative volume, VWAP, money flow index, turnover z-score."""

import numpy as np
import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, sessions_for
from bse_platform.features.panel import Panel

OBV_WINDOW = 20
VOLUME_RATIO_WINDOW = 20
MFI_WINDOW = 14
TURNOVER_Z_WINDOW = 20


def money_flow_index(panel: Panel, window: int) -> pd.Series:
    """`ta`'s MFI: typical-price money flow, positive and negative sums over ``window`` own days."""
    typical = (panel.column("high") + panel.column("low") + panel.column("close")) / 3
    previous = panel.shift(typical, 1)
    direction = np.sign(typical - previous).fillna(0.0)
    flow = typical * panel.column("volume") * direction
    positive = panel.rolling(flow.clip(lower=0), window, "sum")
    negative = panel.rolling(-flow.clip(upper=0), window, "sum")
    return 100 - 100 / (1 + positive / negative)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close, volume, turnover = panel.column("close"), panel.column("volume"), panel.column("turnover")
    signed_volume = volume.where(~(close < panel.shift(close, 1)), -volume)  # `ta`: down day -, else +
    turnover_mean = panel.rolling(turnover, TURNOVER_Z_WINDOW, "mean")
    return {
        "obv_20": panel.rolling(signed_volume, OBV_WINDOW, "sum"),
        "volume_ratio_20": volume / panel.rolling(volume, VOLUME_RATIO_WINDOW, "mean"),
        "vwap": (turnover / volume).where(volume > 0),
        "mfi_14": money_flow_index(panel, MFI_WINDOW),
        "turnover_z_20": (turnover - turnover_mean) / panel.rolling(turnover, TURNOVER_Z_WINDOW, "std"),
    }


FAMILY = FeatureFamily(
    name="volume",
    description="On-balance volume over 20 days, relative volume, VWAP, money flow index (14), turnover z-score",
    lookback=sessions_for(max(OBV_WINDOW, VOLUME_RATIO_WINDOW, MFI_WINDOW, TURNOVER_Z_WINDOW) + 1),
    features=(
        FeatureSpec("obv_20", "sum over the last 20 days of volume, negative on days the close fell", "shares", 21,
                    min_rows=20, scale="volume",
                    reference="difference of ta.volume.OnBalanceVolumeIndicator 20 days apart (OBV itself has no fixed lookback)"),
        FeatureSpec("volume_ratio_20", "volume / mean volume of the last 20 days", "ratio", 20, min_rows=20, bounds=(0, None)),
        FeatureSpec("vwap", "turnover / volume (the day's volume-weighted average price)", "INR", 1, scale="price", bounds=(0, None)),
        FeatureSpec("mfi_14", "100 - 100 / (1 + positive / negative money flow over 14 days)", "0-100", 15, min_rows=14,
                    bounds=(0, 100), reference="ta.volume.MFIIndicator(high, low, close, volume, 14).money_flow_index()"),
        FeatureSpec("turnover_z_20", "(turnover - its 20-day mean) / its 20-day sample std", "z-score", 20, min_rows=20),
    ),  # fmt: skip
    compute=compute,
)

"""Volume: on-balance volume, relative volume, VWAP, money flow index, turnover z-score."""

import numpy as np
import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, sessions_for
from bse_platform.features.panel import Panel

OBV_WINDOW = 20
VOLUME_RATIO_WINDOW = 20
MFI_WINDOW = 14
TURNOVER_Z_WINDOW = 20

OBV, VOLUME_RATIO = f"obv_{OBV_WINDOW}", f"volume_ratio_{VOLUME_RATIO_WINDOW}"
MFI, TURNOVER_Z = f"mfi_{MFI_WINDOW}", f"turnover_z_{TURNOVER_Z_WINDOW}"


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
        OBV: panel.rolling(signed_volume, OBV_WINDOW, "sum"),
        VOLUME_RATIO: volume / panel.rolling(volume, VOLUME_RATIO_WINDOW, "mean"),
        "vwap": (turnover / volume).where(volume > 0),
        MFI: money_flow_index(panel, MFI_WINDOW),
        TURNOVER_Z: (turnover - turnover_mean) / panel.rolling(turnover, TURNOVER_Z_WINDOW, "std"),
    }


FAMILY = FeatureFamily(
    name="volume",
    description=f"On-balance volume over {OBV_WINDOW} days, relative volume, VWAP, money flow index ({MFI_WINDOW}), turnover z-score",
    lookback=sessions_for(max(OBV_WINDOW, VOLUME_RATIO_WINDOW, MFI_WINDOW, TURNOVER_Z_WINDOW) + 1),
    features=(
        FeatureSpec(OBV, f"sum over the last {OBV_WINDOW} days of volume, negative on days the close fell", "shares",
                    OBV_WINDOW + 1, min_rows=OBV_WINDOW, scale="volume",
                    reference=f"difference of ta.volume.OnBalanceVolumeIndicator {OBV_WINDOW} days apart (OBV itself has no fixed lookback)"),
        FeatureSpec(VOLUME_RATIO, f"volume / mean volume of the last {VOLUME_RATIO_WINDOW} days", "ratio", VOLUME_RATIO_WINDOW,
                    min_rows=VOLUME_RATIO_WINDOW, bounds=(0, None)),
        FeatureSpec("vwap", "turnover / volume (the day's volume-weighted average price)", "INR", 1, scale="price", bounds=(0, None)),
        FeatureSpec(MFI, f"100 - 100 / (1 + positive / negative money flow over {MFI_WINDOW} days)", "0-100", MFI_WINDOW + 1,
                    min_rows=MFI_WINDOW, bounds=(0, 100),
                    reference=f"ta.volume.MFIIndicator(high, low, close, volume, {MFI_WINDOW}).money_flow_index()"),
        FeatureSpec(TURNOVER_Z, f"(turnover - its {TURNOVER_Z_WINDOW}-day mean) / its {TURNOVER_Z_WINDOW}-day sample std", "z-score",
                    TURNOVER_Z_WINDOW, min_rows=TURNOVER_Z_WINDOW),
    ),  # fmt: skip
    compute=compute,
)

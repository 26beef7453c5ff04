"""Volume: on-balance volume, relative volume, VWAP, money flow index, turnover z-score."""

import numpy as np
import pandas as pd

from bse_platform.clean_schema import trusted_vwap
from bse_platform.features.family import FeatureFamily, FeatureSpec
from bse_platform.features.panel import Panel

OBV_WINDOW = 20
VOLUME_RATIO_WINDOW = 20
MFI_WINDOW = 14
TURNOVER_Z_WINDOW = 20

OBV, VOLUME_RATIO = f"obv_{OBV_WINDOW}", f"volume_ratio_{VOLUME_RATIO_WINDOW}"
MFI, TURNOVER_Z = f"mfi_{MFI_WINDOW}", f"turnover_z_{TURNOVER_Z_WINDOW}"


# Typical prices closer than this (relative) are equal: they differ by float rounding of their sums.
TYPICAL_PRICE_TIE = 1e-9


def money_flow_index(panel: Panel, window: int) -> pd.Series:
    """`ta`'s MFI: typical-price money flow, positive and negative sums over ``window`` own days. Two
    days whose typical prices are equal in exact arithmetic are a tie (no flow) whatever the float
    rounding of their sums, so the value does not depend on the units prices are adjusted to."""
    typical = (panel.column("high") + panel.column("low") + panel.column("close")) / 3
    change = typical - panel.shift(typical, 1)
    direction = np.sign(change).where(change.abs() > TYPICAL_PRICE_TIE * typical, 0.0).fillna(0.0)
    flow = typical * panel.column("volume") * direction
    positive = panel.rolling(flow.clip(lower=0), window, "sum")
    negative = panel.rolling(-flow.clip(upper=0), window, "sum")
    return 100 - 100 / (1 + positive / negative)


def compute(panel: Panel) -> dict[str, pd.Series]:
    close, volume, turnover = panel.column("close"), panel.column("volume"), panel.column("turnover")
    previous = panel.shift(close, 1)
    # `ta`: down day -, else +; a security's first day has no previous close, so no sign.
    signed_volume = volume.where(~(close < previous), -volume).where(previous.notna())
    turnover_mean = panel.rolling(turnover, TURNOVER_Z_WINDOW, "mean")
    return {
        OBV: panel.rolling(signed_volume, OBV_WINDOW, "sum"),
        VOLUME_RATIO: volume / panel.rolling(volume, VOLUME_RATIO_WINDOW, "mean"),
        "vwap": trusted_vwap(turnover, volume, panel.column("low"), panel.column("high")),
        MFI: money_flow_index(panel, MFI_WINDOW),
        TURNOVER_Z: (turnover - turnover_mean) / panel.rolling(turnover, TURNOVER_Z_WINDOW, "std"),
    }


FAMILY = FeatureFamily(
    name="volume",
    description=f"On-balance volume over {OBV_WINDOW} days, relative volume, VWAP, money flow index ({MFI_WINDOW}), turnover z-score",
    features=(
        FeatureSpec(OBV, f"sum over the last {OBV_WINDOW} days of volume, negative on days the close fell", "shares",
                    OBV_WINDOW + 1, min_rows=OBV_WINDOW + 1, scale="volume",
                    reference=f"difference of ta.volume.OnBalanceVolumeIndicator {OBV_WINDOW} days apart (OBV itself has no fixed lookback)"),
        FeatureSpec(VOLUME_RATIO, f"volume / mean volume of the last {VOLUME_RATIO_WINDOW} days", "ratio", VOLUME_RATIO_WINDOW,
                    min_rows=VOLUME_RATIO_WINDOW, bounds=(0, None)),
        FeatureSpec("vwap", "turnover / volume, the day's volume-weighted price, within [low, high]; null where turnover is 0 "
                    "or beyond what BSE's truncation to whole rupees explains", "INR", 1, scale="price", bounds=(0, None)),
        FeatureSpec(MFI, f"100 - 100 / (1 + positive / negative money flow over {MFI_WINDOW} days)", "0-100", MFI_WINDOW + 1,
                    min_rows=MFI_WINDOW, bounds=(0, 100),
                    reference=f"ta.volume.MFIIndicator(high, low, close, volume, {MFI_WINDOW}).money_flow_index()"),
        FeatureSpec(TURNOVER_Z, f"(turnover - its {TURNOVER_Z_WINDOW}-day mean) / its {TURNOVER_Z_WINDOW}-day sample std", "z-score",
                    TURNOVER_Z_WINDOW, min_rows=TURNOVER_Z_WINDOW),
    ),  # fmt: skip
    compute=compute,
)

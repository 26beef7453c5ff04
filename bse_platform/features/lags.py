"""Lagged values: the close, the daily return and the volume of the last five own days."""

import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec
from bse_platform.features.panel import Panel
from bse_platform.features.returns import daily_return

LAGS = (1, 2, 3, 4, 5)


def compute(panel: Panel) -> dict[str, pd.Series]:
    ret_1d = daily_return(panel)
    values = {}
    for k in LAGS:
        values[f"close_lag_{k}"] = panel.shift(panel.column("close"), k)
        values[f"ret_1d_lag_{k}"] = panel.shift(ret_1d, k)
        values[f"volume_lag_{k}"] = panel.shift(panel.column("volume"), k)
    return values


FAMILY = FeatureFamily(
    name="lags",
    description=f"Close, daily return and volume 1 to {max(LAGS)} own trading days earlier, in the row date's share units",
    features=tuple(
        spec
        for k in LAGS
        for spec in (
            FeatureSpec(f"close_lag_{k}", f"close {k} own days earlier", "INR", k + 1, min_rows=k + 1, scale="price", bounds=(0, None)),
            FeatureSpec(f"ret_1d_lag_{k}", f"ret_1d {k} own days earlier", "fraction", k + 1, min_rows=k + 1),
            FeatureSpec(f"volume_lag_{k}", f"volume {k} own days earlier", "shares", k + 1, min_rows=k + 1, scale="volume", bounds=(0, None)),
        )
    ),  # fmt: skip
    compute=compute,
)

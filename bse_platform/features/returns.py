"""Returns: daily and multi-day, on prices adjusted for splits and bonus issues."""

import numpy as np
import pandas as pd

from bse_platform.features.family import FeatureFamily, FeatureSpec, sessions_for
from bse_platform.features.panel import Panel


def daily_return(panel: Panel) -> pd.Series:
    """close / previous close - 1, the previous close corrected by the day's corporate-action factor."""
    return panel.column("close") / panel.column("prev_close") - 1.0


def compute(panel: Panel) -> dict[str, pd.Series]:
    close, prev_close = panel.column("close"), panel.column("prev_close")
    ret_1d = daily_return(panel)
    return {
        "ret_1d": ret_1d,
        "log_ret_1d": np.log(close / prev_close),
        "ret_5d": close / panel.shift(close, 5) - 1.0,
        "ret_20d": close / panel.shift(close, 20) - 1.0,
        "gap_open": panel.column("open") / prev_close - 1.0,
        "range_hl": (panel.column("high") - panel.column("low")) / prev_close,
    }


FAMILY = FeatureFamily(
    name="returns",
    description="Simple and log returns, the opening gap and the day's range",
    lookback=sessions_for(21),
    features=(
        FeatureSpec("ret_1d", "close / prev_close - 1 (prev_close corrected by the ex-date factor)", "fraction", 1, reference="ta.others.DailyReturnIndicator / 100"),
        FeatureSpec("log_ret_1d", "ln(close / prev_close)", "log return", 1, reference="ta.others.DailyLogReturnIndicator / 100"),
        FeatureSpec("ret_5d", "close / close 5 own days earlier - 1", "fraction", 6, min_rows=6),
        FeatureSpec("ret_20d", "close / close 20 own days earlier - 1", "fraction", 21, min_rows=21),
        FeatureSpec("gap_open", "open / prev_close - 1", "fraction", 1),
        FeatureSpec("range_hl", "(high - low) / prev_close", "fraction", 1, bounds=(0, None)),
    ),  # fmt: skip
    compute=compute,
)

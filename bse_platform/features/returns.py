"""Returns: daily and multi-day, on prices adjusted for splits and bonus issues."""

import numpy as np
import pandas as pd

from bse_platform.features.family import FamilyResult, FeatureFamily, FeatureSpec, RowCheck
from bse_platform.features.panel import Panel

RETURN_HORIZONS = (5, 20)  # own days of ret_<n>d
# A day's move beyond this, with no corporate action taking effect, is suspicious (BSE's widest
# circuit band is 20%).
UNEXPLAINED_JUMP = 0.25


def daily_return(panel: Panel) -> pd.Series:
    """close / previous close - 1, the previous close corrected by the day's corporate-action factor."""
    return panel.column("close") / panel.column("prev_close") - 1.0


def compute(panel: Panel) -> dict[str, pd.Series]:
    close, prev_close = panel.column("close"), panel.column("prev_close")
    return {
        "ret_1d": daily_return(panel),
        "log_ret_1d": np.log(close / prev_close),
        **{f"ret_{n}d": close / panel.shift(close, n) - 1.0 for n in RETURN_HORIZONS},
        "gap_open": panel.column("open") / prev_close - 1.0,
        "range_hl": (panel.column("high") - panel.column("low")) / prev_close,
    }


def unexplained_jumps(result: FamilyResult) -> pd.Series:
    """Rows whose daily return exceeds UNEXPLAINED_JUMP in size on a day no corporate action took effect."""
    return (result.rows["ret_1d"].abs() > UNEXPLAINED_JUMP) & result.action_factor.eq(1.0)


FAMILY = FeatureFamily(
    name="returns",
    description="Simple and log returns, the opening gap and the day's range",
    features=(
        FeatureSpec("ret_1d", "close / prev_close - 1 (prev_close corrected by the ex-date factor)", "fraction", 1, reference="ta.others.DailyReturnIndicator / 100"),
        FeatureSpec("log_ret_1d", "ln(close / prev_close)", "log return", 1, reference="ta.others.DailyLogReturnIndicator / 100"),
        *(FeatureSpec(f"ret_{n}d", f"close / close {n} own days earlier - 1", "fraction", n + 1, min_rows=n + 1) for n in RETURN_HORIZONS),
        FeatureSpec("gap_open", "open / prev_close - 1", "fraction", 1),
        FeatureSpec("range_hl", "(high - low) / prev_close", "fraction", 1, bounds=(0, None)),
    ),  # fmt: skip
    compute=compute,
    row_checks=(
        RowCheck(
            "no_unexplained_jumps",
            f"No daily move beyond {UNEXPLAINED_JUMP:.0%} on a day no corporate action took effect",
            unexplained_jumps,
            shown_columns=("security_code", "trade_date", "ret_1d"),
        ),
    ),
)

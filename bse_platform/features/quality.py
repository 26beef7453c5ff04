"""What a family's output must satisfy (pandera), how complete it is, and jumps no action explains."""

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bse_platform.features.compute import FamilyResult
from bse_platform.features.family import FeatureFamily

# A day's move beyond this, with no corporate action taking effect, is suspicious (BSE's widest
# circuit band is 20%).
DEFAULT_JUMP_THRESHOLD = 0.25

_FAMILY_TABLE_CHECKS = {
    "volatility": [pa.Check(lambda t: (t["bb_lower_20"] <= t["bb_upper_20"]) | t["bb_upper_20"].isna(), name="bb_lower_20 <= bb_upper_20")],
}  # fmt: skip


def feature_schema(family: FeatureFamily) -> pa.DataFrameSchema:
    """Keys unique, float columns without infinities, each column within its declared bounds."""
    columns = {
        "trade_date": pa.Column("datetime64[ns]"),
        "security_code": pa.Column("int64"),
        "available_at": pa.Column("datetime64[ns, UTC]"),
    }
    for spec in family.features:
        checks = [pa.Check(lambda s: ~np.isinf(s), name="finite")]
        low, high = spec.bounds
        if low is not None:
            checks.append(pa.Check.ge(low))
        if high is not None:
            checks.append(pa.Check.le(high))
        columns[spec.name] = pa.Column("float64", checks, nullable=True)
    return pa.DataFrameSchema(
        columns,
        checks=_FAMILY_TABLE_CHECKS.get(family.name, []),
        unique=["security_code", "trade_date"],
        strict=True,
        ordered=True,
        name=family.name,
    )


def null_share_after_warmup(result: FamilyResult) -> pd.DataFrame:
    """Per trade date and column, the share of null values where a value was expected."""
    features = result.expected.columns
    missing = result.rows[features].isna() & result.expected
    by_day = result.rows["trade_date"]
    return missing.groupby(by_day).sum() / result.expected.groupby(by_day).sum().clip(lower=1)


def unexplained_jumps(result: FamilyResult, threshold: float = DEFAULT_JUMP_THRESHOLD) -> pd.DataFrame:
    """Rows whose daily return exceeds ``threshold`` in size on a day no corporate action took effect."""
    jumps = result.rows["ret_1d"].abs() > threshold
    return result.rows.loc[jumps & result.action_factor.eq(1.0), ["security_code", "trade_date", "ret_1d"]]

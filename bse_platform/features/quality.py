"""What every family's output must satisfy: its pandera schema, and few nulls where values were expected.
A family's own checks (``FeatureFamily.table_checks`` and ``row_checks``) live with the family."""

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bse_platform.features.family import FamilyResult, FeatureFamily

SCHEMA_CHECK = "matches_feature_schema"
NULLS_CHECK = "few_nulls_after_warmup"
MAX_NULL_SHARE_AFTER_WARMUP = 0.01


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
        checks=list(family.table_checks),
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

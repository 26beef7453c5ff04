"""What an MLflow run of a family's materialization records: its parameters (the family, its windows,
the definitions version, the trade dates), its metrics (rows, securities, null share, and each
feature's summary statistics) and its feature definitions as an artifact.

``mlflow`` is imported here only: MLflow takes seconds to import, and only runs that track pay it.
"""

import pandas as pd

from bse_platform.features.catalog import definitions_version, entry
from bse_platform.features.family import FamilyResult, FeatureFamily

STATISTICS = ("mean", "std", "min", "max")


def log_family_run(family: FeatureFamily, result: FamilyResult, trade_dates: list[str], tags: dict[str, str]) -> str:
    """One run, nested in the active one, for ``family`` computed over ``trade_dates``; its id.
    It ends FINISHED, or FAILED if logging raises."""
    import mlflow

    with mlflow.start_run(run_name=f"{family.name} {trade_dates[0]}..{trade_dates[-1]}", nested=True, tags=tags) as run:
        # The artifact first: MLflow reads the whole run back to find where its artifacts go.
        mlflow.log_dict(feature_definitions(family), "feature_definitions.json")
        mlflow.log_params(family_params(family, trade_dates))
        mlflow.log_metrics(family_metrics(family, result.rows))
    return run.info.run_id


def family_params(family: FeatureFamily, trade_dates: list[str]) -> dict[str, str | int]:
    return {
        "family": family.name,
        "definitions_version": definitions_version(),
        "first_trade_date": trade_dates[0],
        "last_trade_date": trade_dates[-1],
        "trade_dates": len(trade_dates),
        "own_days": family.own_days,
        **{f"window.{spec.name}": spec.window for spec in family.features},
    }


def family_metrics(family: FeatureFamily, rows: pd.DataFrame) -> dict[str, float]:
    values = rows[family.columns]
    metrics = {
        "rows": float(len(rows)),
        "securities": float(rows["security_code"].nunique()),
        "null_share": float(values.isna().to_numpy().mean()) if len(rows) else 0.0,
    }
    summary = values.agg(list(STATISTICS)) if len(rows) else pd.DataFrame(index=list(STATISTICS), columns=family.columns)
    for column in family.columns:
        metrics[f"null_share.{column}"] = float(values[column].isna().mean()) if len(rows) else 0.0
        for statistic in STATISTICS:
            value = summary.at[statistic, column]
            if pd.notna(value):
                metrics[f"{statistic}.{column}"] = float(value)
    return metrics


def feature_definitions(family: FeatureFamily) -> dict[str, dict[str, object]]:
    """The catalog's entry of each of the family's features."""
    return {name: entry(name) for name in family.columns}

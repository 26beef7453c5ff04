"""What an MLflow run of a family's materialization records: its parameters (the family, its windows,
the definitions version, the trade dates), its metrics (rows, securities, null share, and each
feature's summary statistics) and its feature definitions as an artifact.

``mlflow`` is imported here only: MLflow takes seconds to import, and only runs that track pay it.
"""

import time
from typing import TYPE_CHECKING

import pandas as pd

from bse_platform.features.catalog import definitions_version, entry
from bse_platform.features.family import FamilyResult, FeatureFamily

if TYPE_CHECKING:
    from mlflow.entities import RunInfo

STATISTICS = ("mean", "std", "min", "max")


def log_family_run(
    parent: "RunInfo", family: FeatureFamily, result: FamilyResult, trade_dates: list[str], tags: dict[str, str]
) -> str:
    """One run, nested in ``parent``, for ``family`` computed over ``trade_dates``; its id. Logged
    through a client, not MLflow's active run (the calling thread's), so that any thread can log it.
    It ends FINISHED, or FAILED if logging raises."""
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    client = mlflow.MlflowClient()
    run_name = f"{family.name} {trade_dates[0]}..{trade_dates[-1]}"
    run_id = client.create_run(parent.experiment_id, tags={**tags, MLFLOW_PARENT_RUN_ID: parent.run_id}, run_name=run_name).info.run_id
    try:
        client.log_dict(run_id, feature_definitions(family), "feature_definitions.json")
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(name, value, now, 0) for name, value in family_metrics(family, result.rows).items()],
            params=[Param(name, str(value)) for name, value in family_params(family, trade_dates).items()],
        )
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id


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

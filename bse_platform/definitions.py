"""The code location: every asset, check, job, sensor, schedule and resource.

Resources take their defaults from the deployment's settings (``bse_platform.settings``, read from
the environment once); ``build_definitions`` lets the demo and tests pass their own.
"""

from dagster import Definitions, in_process_executor, with_source_code_references

from bse_platform.defs.automation import (
    bse_publication_sensor,
    daily_schedule,
    online_freshness_sensor,
    recompute_features_after_late_corporate_actions,
)
from bse_platform.defs.corporate_actions import corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.io_managers import ParquetIOManager, RawFileIOManager
from bse_platform.defs.jobs import build_features_job, daily_trade_date_job, ingest_bhavcopy_job
from bse_platform.defs.online import online_features
from bse_platform.defs.resources import BseSourceResource, RedisResource, StorageResource, s3_from_settings
from bse_platform.defs.tracking import mlflow_tracking_for
from bse_platform.defs.training import training_set


def build_resources(
    storage: StorageResource | None = None, bse: BseSourceResource | None = None, online: RedisResource | None = None
) -> dict[str, object]:
    """Every resource the assets need; the ones not given come from the settings."""
    s3 = s3_from_settings()
    storage = storage or StorageResource(s3=s3)
    return {
        "s3": s3,
        "bse": bse or BseSourceResource(),
        "online": online or RedisResource(),
        "storage": storage,
        "raw_file_io_manager": RawFileIOManager(storage=storage),
        "parquet_io_manager": ParquetIOManager(storage=storage),
        "mlflow": mlflow_tracking_for(storage),
    }


def build_definitions(
    storage: StorageResource | None = None, bse: BseSourceResource | None = None, online: RedisResource | None = None
) -> Definitions:
    return Definitions(
        assets=with_source_code_references([raw_bhavcopy, clean_bhavcopy, corporate_actions, feature_families, online_features, training_set]),
        jobs=[ingest_bhavcopy_job, build_features_job, daily_trade_date_job],
        sensors=[bse_publication_sensor, online_freshness_sensor, recompute_features_after_late_corporate_actions],
        schedules=[daily_schedule],
        resources=build_resources(storage, bse, online),
        # A run's steps follow one another (downloads share one pool slot; features read what clean
        # wrote), so child processes would only add their start-up: backfills run their steps in
        # process. The daily job runs its steps in processes of their own (defs/jobs.py).
        executor=in_process_executor,
    )


defs = build_definitions()

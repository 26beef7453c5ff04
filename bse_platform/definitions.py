"""The code location: every asset, check, job and resource, with resources chosen from the environment.

Settings (all optional; see README "Settings"):
  BSE_STORAGE_URI      local folder (default ./data) or s3://bucket/prefix
  BSE_S3_ENDPOINT_URL  S3 endpoint for MinIO or another S3 (default AWS)
  BSE_S3_REGION        S3 region
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   S3 credentials (read by Dagster as EnvVar, never stored)
  BSE_BASE_URL         bhavcopy folder URL (default BSE's own); point it at a mirror for offline work
  BSE_MIN_ROWS         fewer data rows than this fail the raw check (default 1000)
  BSE_REQUEST_INTERVAL_SECONDS  least time between two downloads (default 1)
  REDIS_URL            the online store's Redis (read as EnvVar); unset: an embedded Redis
  BSE_EMBEDDED_REDIS_PATH  data file of that embedded Redis (default .dagster_home/online_redis.db)
  BSE_EXTRA_SESSIONS, BSE_PARTITIONS_START   see defs/partitions.py
"""

import os

from dagster import Definitions, EnvVar

from bse_platform.bse.products import DEFAULT_BASE_URL
from bse_platform.defs.corporate_actions import corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.online import RedisResource, online_features
from bse_platform.defs.io_managers import ParquetIOManager, RawFileIOManager
from bse_platform.defs.jobs import build_features_job, daily_trade_date_job, ingest_bhavcopy_job
from bse_platform.defs.publication import bse_publication_sensor, daily_schedule
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.defs.sensors import recompute_features_after_late_corporate_actions


def storage_from_env() -> StorageResource:
    base_uri = os.getenv("BSE_STORAGE_URI", "data")
    if not base_uri.startswith("s3://"):
        return StorageResource(base_uri=base_uri)
    return StorageResource(
        base_uri=base_uri,
        s3_endpoint_url=os.getenv("BSE_S3_ENDPOINT_URL"),
        s3_region=os.getenv("BSE_S3_REGION"),
        # Without these variables the S3 client falls back to the default AWS chain (IAM role, ~/.aws).
        s3_access_key_id=_env_secret("AWS_ACCESS_KEY_ID"),
        s3_secret_access_key=_env_secret("AWS_SECRET_ACCESS_KEY"),
    )


def _env_secret(name: str) -> EnvVar | None:
    """A secret Dagster reads from the environment at run time: never in code, config or metadata."""
    return EnvVar(name) if name in os.environ else None


def bse_source_from_env() -> BseSourceResource:
    return BseSourceResource(
        base_url=os.getenv("BSE_BASE_URL", DEFAULT_BASE_URL),
        min_rows=int(os.getenv("BSE_MIN_ROWS", "1000")),
        min_interval_seconds=float(os.getenv("BSE_REQUEST_INTERVAL_SECONDS", "1")),
    )


def online_from_env() -> RedisResource:
    """REDIS_URL may hold a password: read through EnvVar. Without it, an embedded Redis."""
    return RedisResource(url=_env_secret("REDIS_URL"), embedded_path=os.getenv("BSE_EMBEDDED_REDIS_PATH", RedisResource().embedded_path))


def build_resources(storage: StorageResource, bse: BseSourceResource, online: RedisResource | None = None) -> dict[str, object]:
    """Every resource the assets need, from the ones that vary by deployment."""
    return {
        "bse": bse,
        "online": online or online_from_env(),
        "storage": storage,
        "raw_file_io_manager": RawFileIOManager(storage=storage),
        "parquet_io_manager": ParquetIOManager(storage=storage),
    }


def build_definitions(storage: StorageResource, bse: BseSourceResource, online: RedisResource | None = None) -> Definitions:
    return Definitions(
        assets=[raw_bhavcopy, clean_bhavcopy, corporate_actions, feature_families, online_features],
        jobs=[ingest_bhavcopy_job, build_features_job, daily_trade_date_job],
        sensors=[recompute_features_after_late_corporate_actions, bse_publication_sensor],
        schedules=[daily_schedule],
        resources=build_resources(storage, bse, online),
    )


defs = build_definitions(storage_from_env(), bse_source_from_env())

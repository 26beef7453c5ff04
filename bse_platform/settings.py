"""The deployment's settings: every environment variable the platform reads, read here and only here.

``SETTINGS`` is read once, when the code location loads: partitions, sensors and the resources'
defaults are fixed then. Secrets (S3 keys, a Redis URL with a password) are not settings: Dagster
reads them itself at run time through ``EnvVar``; only whether they are set is looked at here.
The README's "Settings" table documents each variable.
"""

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bse_platform.calendar import BSE_PUBLICATION_TIME
from bse_platform.publication_plan import DEFAULT_GIVE_UP_AFTER, DEFAULT_MAX_CATCH_UP

S3_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
REDIS_URL = "REDIS_URL"


@dataclass(frozen=True)
class Settings:
    storage_uri: str = "data"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # The root of a BSE mirror (bhavcopies and corporate actions at BSE's own paths); None: BSE itself.
    mirror_url: str | None = None
    min_rows: int = 1000
    request_interval_seconds: float = 1.0
    embedded_redis_path: str = ".dagster_home/online_redis.db"
    publication_time: dt.time = BSE_PUBLICATION_TIME
    online_deadline: dt.time = dt.time(23, 0)
    sensor_interval_seconds: int = 300
    max_catch_up: int = DEFAULT_MAX_CATCH_UP
    give_up_days: int = DEFAULT_GIVE_UP_AFTER.days
    extra_sessions: frozenset[dt.date] = field(default_factory=frozenset)
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    partitions_start: dt.date = dt.date(2010, 1, 1)
    # MLflow: a tracking server's URL or a store's URI, and where a store's artifacts go (a server
    # keeps its own). None: a SQLite store beside the local data (defs/tracking.py).
    mlflow_tracking_uri: str | None = None
    mlflow_artifact_location: str | None = None
    secrets_set: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        defaults = cls()

        def get(name: str, default, parse=str):
            value = env.get(name, "").strip()
            if not value:
                return default
            try:
                return parse(value)
            except ValueError as error:
                raise ValueError(f"{name}={value!r} is not valid: {error}") from error

        return cls(
            storage_uri=get("BSE_STORAGE_URI", defaults.storage_uri),
            s3_endpoint_url=get("BSE_S3_ENDPOINT_URL", None),
            s3_region=get("BSE_S3_REGION", None),
            mirror_url=get("BSE_MIRROR_URL", None),
            min_rows=get("BSE_MIN_ROWS", defaults.min_rows, int),
            request_interval_seconds=get("BSE_REQUEST_INTERVAL_SECONDS", defaults.request_interval_seconds, float),
            embedded_redis_path=get("BSE_EMBEDDED_REDIS_PATH", defaults.embedded_redis_path),
            publication_time=get("BSE_PUBLICATION_TIME", defaults.publication_time, dt.time.fromisoformat),
            online_deadline=get("BSE_ONLINE_DEADLINE", defaults.online_deadline, dt.time.fromisoformat),
            sensor_interval_seconds=get("BSE_SENSOR_INTERVAL_SECONDS", defaults.sensor_interval_seconds, int),
            max_catch_up=get("BSE_SENSOR_MAX_CATCH_UP", defaults.max_catch_up, int),
            give_up_days=get("BSE_SENSOR_GIVE_UP_DAYS", defaults.give_up_days, int),
            extra_sessions=get("BSE_EXTRA_SESSIONS", frozenset(), _iso_dates),
            extra_holidays=get("BSE_EXTRA_HOLIDAYS", frozenset(), _iso_dates),
            partitions_start=get("BSE_PARTITIONS_START", defaults.partitions_start, dt.date.fromisoformat),
            mlflow_tracking_uri=get("BSE_MLFLOW_TRACKING_URI", None),
            mlflow_artifact_location=get("BSE_MLFLOW_ARTIFACTS", None),
            secrets_set=frozenset(name for name in (*S3_SECRETS, REDIS_URL) if env.get(name)),
        )


def _iso_dates(text: str) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip())


SETTINGS = Settings.from_env()

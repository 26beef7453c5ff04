"""The deployment's parts for code that runs outside Dagster (the CLI, the lookup API): the object
store, the online store and the trading calendar, from the settings and the secrets in the
environment. Inside Dagster, the resources (defs/resources.py) build the same stores from the same
settings, with the secrets read through ``EnvVar``; the partitions use this calendar.
"""

import os

from bse_platform.calendar import MUHURAT_SESSIONS, TradingCalendar
from bse_platform.online import OnlineStore, redis_from_url
from bse_platform.settings import REDIS_URL, S3_SECRETS, SETTINGS
from bse_platform.storage import ObjectStore

# BSE's weekday sessions: those Dagster's trade-date partitions can hold (defs/partitions.py).
TRADING_CALENDAR = TradingCalendar(
    extra_sessions=frozenset(MUHURAT_SESSIONS) | SETTINGS.extra_sessions,
    extra_holidays=SETTINGS.extra_holidays,
    start=SETTINGS.partitions_start,
    weekdays_only=True,
)


def object_store() -> ObjectStore:
    access_key, secret_key = (os.environ.get(name) for name in S3_SECRETS)
    return ObjectStore(
        SETTINGS.storage_uri,
        s3_endpoint_url=SETTINGS.s3_endpoint_url,
        s3_region=SETTINGS.s3_region,
        s3_access_key_id=access_key,
        s3_secret_access_key=secret_key,
    )


def online_store(namespace: str = "bse") -> OnlineStore:
    return OnlineStore(redis_from_url(os.environ.get(REDIS_URL), embedded_path=SETTINGS.embedded_redis_path), namespace)

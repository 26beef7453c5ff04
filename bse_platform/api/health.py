"""Is the API able to answer? Redis answers, the object store answers a listing, and a snapshot is
live (its age is reported, not judged: a weekend makes it days old)."""

import pandas as pd
import pyarrow as pa
import redis

from bse_platform.api.schemas import HealthResponse, SnapshotHealth
from bse_platform.features.catalog import FAMILIES
from bse_platform.online import EmptyOnlineStoreError, OnlineClient, OnlineStoreError, SnapshotMeta
from bse_platform.storage import ObjectStore

# The dataset listed to prove the object store answers; its newest partition is reported too.
PROBED_DATASET = next(iter(FAMILIES))


def snapshot_age_seconds(meta: SnapshotMeta) -> float:
    """How old the values served online are: seconds since the snapshot's available_at."""
    return (pd.Timestamp.now(tz="UTC") - meta.available_at).total_seconds()


def health_report(store: ObjectStore, client: OnlineClient) -> HealthResponse:
    problems = []
    try:
        redis_ok = bool(client.redis.ping())
    except redis.RedisError as error:
        redis_ok = False
        problems.append(f"redis: {error}")  # redis-py's messages name the host, never the password

    snapshot = None
    if redis_ok:
        try:
            meta = client.snapshot()
            snapshot = SnapshotHealth(
                snapshot_id=meta.snapshot_id,
                trade_date=meta.trade_date,
                available_at=meta.available_at.to_pydatetime(),
                age_seconds=round(snapshot_age_seconds(meta), 3),
                vectors=meta.rows,
                definitions_version=meta.definitions_version,
            )
        except (OnlineStoreError, redis.RedisError) as error:
            hint = ": nothing is published yet" if isinstance(error, EmptyOnlineStoreError) else ""
            problems.append(f"online snapshot: {error}{hint}")

    latest = None
    try:
        stored = store.stored_partitions(PROBED_DATASET)
        latest = stored[-1] if stored else None
        store_ok = True
    except (OSError, pa.ArrowException) as error:  # pyarrow's S3 errors are OSErrors
        store_ok = False
        problems.append(f"object store: {error}")

    return HealthResponse(
        status="unhealthy" if problems else "ok",
        problems=problems,
        redis=redis_ok,
        object_store=store_ok,
        offline_latest_trade_date=latest,
        snapshot=snapshot,
    )

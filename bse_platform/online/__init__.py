"""The online store: the latest trade date's feature vectors in Redis, for low-latency lookups."""

from bse_platform.online.redis_connection import redis_from_url
from bse_platform.online.store import (
    EmptyOnlineStoreError,
    FeatureVector,
    OnlineClient,
    OnlineStore,
    OnlineStoreError,
    SnapshotMeta,
    SyncResult,
    UnknownFeatureError,
    UnknownSecurityError,
)

__all__ = [
    "EmptyOnlineStoreError",
    "FeatureVector",
    "OnlineClient",
    "OnlineStore",
    "OnlineStoreError",
    "SnapshotMeta",
    "SyncResult",
    "UnknownFeatureError",
    "UnknownSecurityError",
    "redis_from_url",
]

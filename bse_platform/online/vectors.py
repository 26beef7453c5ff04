"""A trade date's full feature vectors: every family's columns side by side, one row per security,
as the online store publishes them (the ``online_features`` asset, the API's ingest), and their
publication through the store's guarded sync."""

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from bse_platform.features.catalog import FAMILIES, definitions_version, feature_names
from bse_platform.online.store import OnlineStore, SyncResult
from bse_platform.storage import ObjectStore

VECTOR_KEYS = ["trade_date", "security_code", "available_at"]


def full_vectors(families: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The families' rows (each keyed by VECTOR_KEYS) joined on their keys."""
    return pd.concat([frame.set_index(VECTOR_KEYS) for frame in families], axis=1).reset_index()


def stored_vectors(store: ObjectStore, trade_date: dt.date) -> pd.DataFrame:
    """``trade_date``'s full vectors from every family's stored partition (``MissingPartitionsError``
    names a family without one)."""
    return full_vectors(store.read_partitions(name, [trade_date]) for name in FAMILIES)


def publish_vectors(
    online: OnlineStore, vectors: pd.DataFrame, trade_date: dt.date, available_at: pd.Timestamp, aliases: pd.DataFrame, *, force: bool = False
) -> SyncResult:
    """``vectors`` as ``trade_date``'s snapshot: features in catalog order, the definitions' version,
    ``aliases`` (``symbol`` and ``isin`` by security code) to find them by."""
    return online.sync(
        vectors,
        feature_names=feature_names(),
        trade_date=trade_date,
        available_at=available_at,
        definitions_version=definitions_version(),
        symbols=aliases["symbol"],
        isins=aliases["isin"],
        force=force,
    )

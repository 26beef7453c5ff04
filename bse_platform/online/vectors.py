"""A trade date's full feature vectors: every family's columns side by side, one row per security,
as the online store publishes them (the ``online_features`` asset, the API's ingest)."""

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from bse_platform.features.catalog import FAMILIES
from bse_platform.storage import ObjectStore

VECTOR_KEYS = ["trade_date", "security_code", "available_at"]


def full_vectors(families: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The families' rows (each keyed by VECTOR_KEYS) joined on their keys."""
    return pd.concat([frame.set_index(VECTOR_KEYS) for frame in families], axis=1).reset_index()


def stored_vectors(store: ObjectStore, trade_date: dt.date) -> pd.DataFrame:
    """``trade_date``'s full vectors from every family's stored partition (``MissingPartitionsError``
    names a family without one)."""
    return full_vectors(store.read_partitions(name, [trade_date]) for name in FAMILIES)

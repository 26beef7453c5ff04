"""Feature partitions written as the feature families' assets store them, from values chosen by a test."""

import datetime as dt

import pandas as pd

from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import available_at
from bse_platform.storage import ObjectStore


def published(day: dt.date) -> pd.Timestamp:
    """When a trade date's feature values become known (its publication time, UTC)."""
    return available_at(pd.Series([pd.Timestamp(day)]))[0]


def write_feature_partitions(store: ObjectStore, day: dt.date, values: pd.DataFrame) -> None:
    """``values`` (``security_code`` and every feature column) as each family's partition of ``day``."""
    keys = pd.DataFrame({"security_code": values["security_code"].to_numpy("int64"), "available_at": published(day)})
    for name, family in FAMILIES.items():
        store.write_partition(name, day, pd.concat([keys, values[family.columns].reset_index(drop=True)], axis=1))

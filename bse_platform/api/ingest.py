"""Ingest over HTTP: publish a stored trade date to the online store, as the ``online_features`` asset
does (defs/online.py), through the same guarded atomic ``OnlineStore.sync``.

The request names one family's partition, but a snapshot holds every family's full vectors, so the
whole trade date is loaded: each family's partition joined on its keys, the aliases (symbol, ISIN)
from the clean bhavcopy of that date. The sync refuses an older trade date than the live one and,
unless forced, a snapshot much smaller than the live one; both are answered 409 with its reason.
"""

import datetime as dt
import os
import re

import pandas as pd

from bse_platform.api.errors import ApiError
from bse_platform.api.registry import unknown_names_error
from bse_platform.api.schemas import IngestRequest, IngestResponse
from bse_platform.features.catalog import FAMILIES
from bse_platform.online import OnlineStore
from bse_platform.online.vectors import publish_vectors, stored_vectors
from bse_platform.storage import PARQUET_FILE, PARTITION_COLUMN, MissingPartitionsError, ObjectStore

ALIASES_DATASET = "clean_bhavcopy"
# A partition's key under the base: <family>/trade_date=YYYY-MM-DD, optionally its file.
_PARTITION_KEY = re.compile(rf"(?P<dataset>[^/]+)/{PARTITION_COLUMN}=(?P<day>\d{{4}}-\d{{2}}-\d{{2}})(/{re.escape(PARQUET_FILE)})?/?")


def ingest(store: ObjectStore, online: OnlineStore, request: IngestRequest) -> tuple[int, IngestResponse]:
    """Publish the trade date ``request.data_source`` names; the HTTP status and the answer."""
    family = _validated_family(request)
    trade_date = _partition_trade_date(store, family, request.data_source)
    vectors, aliases = _trade_date_vectors(store, family, trade_date)
    available_at = vectors["available_at"].iloc[0]
    if request.timestamp is not None and request.timestamp < available_at:
        raise ApiError(
            422, f"timestamp: {request.timestamp.isoformat()} is before the values of {trade_date} could be known "
            f"(available_at {available_at.isoformat()})", "timestamp",
        )  # fmt: skip
    try:
        result = publish_vectors(online, vectors, trade_date, available_at, aliases, force=request.force)
    except ValueError as error:  # the stored rows cannot make a snapshot (duplicated securities, ...)
        raise ApiError(422, f"data_source: the partitions of {trade_date} cannot be published: {error}", "data_source") from error
    status = "success" if result.published else "refused" if result.refused else "skipped"
    answer = IngestResponse(
        status=status,
        message=result.reason,
        feature_view=family,
        features=request.features,
        data_source=request.data_source,
        timestamp=request.timestamp,
        trade_date=result.trade_date,
        vectors=result.rows,
        published=result.published,
        live_trade_date=result.live_trade_date,
        snapshot_id=result.snapshot_id,
    )
    return (200 if result.published else 409), answer


def _validated_family(request: IngestRequest) -> str:
    family = FAMILIES.get(request.feature_view)
    if family is None:
        raise unknown_names_error("feature view", [request.feature_view], FAMILIES, "feature_view", status_code=422)
    foreign = [name for name in request.features if name not in family.columns]
    if foreign:
        raise ApiError(
            422, f"features: {', '.join(map(repr, foreign))} not of the feature view {family.name!r}, "
            f"whose features are {', '.join(family.columns)}", "features",
        )  # fmt: skip
    return family.name


def _partition_trade_date(store: ObjectStore, family: str, data_source: str) -> dt.date:
    """The trade date of the ``family`` partition ``data_source`` names: a trade date, or the
    partition's URI or path under the store's base."""
    try:
        return dt.date.fromisoformat(data_source.strip())
    except ValueError:
        pass  # not a date: a location
    key = _key_under_base(store, data_source.strip())
    if key is None:
        raise ApiError(422, f"data_source: {data_source!r} is not under the store's base {store.base_uri!r}", "data_source")
    match = _PARTITION_KEY.fullmatch(key)
    if match is None:
        raise ApiError(
            422, f"data_source: {data_source!r} is not a partition ({store.uri(f'{family}/{PARTITION_COLUMN}=YYYY-MM-DD/{PARQUET_FILE}')})",
            "data_source",
        )  # fmt: skip
    if match["dataset"] != family:
        raise ApiError(
            422, f"data_source: {data_source!r} is a partition of {match['dataset']!r}, not of the feature view {family!r}", "data_source"
        )
    try:
        return dt.date.fromisoformat(match["day"])
    except ValueError as error:
        raise ApiError(422, f"data_source: {data_source!r} names no valid trade date: {error}", "data_source") from error


def _key_under_base(store: ObjectStore, location: str) -> str | None:
    """``location``'s key relative to the store's base, or None when it is elsewhere. A local store's
    base may be relative (``data``), so paths are compared absolute."""
    base, location = store.base_uri, location.removeprefix("file://")
    if not base.startswith("s3://"):
        base, location = os.path.abspath(base.removeprefix("file://")), os.path.abspath(location)
    prefix = base.rstrip("/") + "/"
    return location.removeprefix(prefix) if location.startswith(prefix) else None


def _trade_date_vectors(store: ObjectStore, family: str, trade_date: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every family's rows of ``trade_date`` joined into full vectors, and its aliases by security code."""
    try:
        vectors = stored_vectors(store, trade_date)
        aliases = store.read_partitions(ALIASES_DATASET, [trade_date], columns=["security_code", "symbol", "isin"])
    except MissingPartitionsError as error:
        needed = "" if error.dataset == family else f" (a snapshot needs every family's vectors and {ALIASES_DATASET}'s aliases)"
        message = f"data_source: {store.uri(error.dataset)} has no stored partition of {trade_date}{needed}"
        raise ApiError(404, message, "data_source") from error
    if vectors.empty:
        raise ApiError(422, f"data_source: the stored partitions of {trade_date} hold no rows", "data_source")
    return vectors, aliases.set_index("security_code")

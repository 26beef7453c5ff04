"""Feature values as the API answers them: from the live online snapshot, or point-in-time from the
offline Parquet store when the caller asks for a moment before that snapshot was known.

A value is online when no timestamp is given or the timestamp is at or after the live snapshot's
``available_at``. An earlier timestamp gets the value of the latest trade date whose
``available_at`` is strictly before it (``point_in_time_join``, the training sets' own join, so an
API answer and a training row agree), null when nothing that recent is stored. The security is
found in the live snapshot either way (a symbol or ISIN resolves through its aliases), which also
decides between the two in the same Redis round trip.
"""

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from bse_platform.api.errors import ApiError
from bse_platform.api.registry import VALID_NAMES_HINT
from bse_platform.api.schemas import EntityId, LookupRequest, LookupResponse
from bse_platform.features.catalog import FAMILY_OF
from bse_platform.online import FeatureVector, OnlineClient, UnknownFeatureError, UnknownSecurityError
from bse_platform.storage import ObjectStore
from bse_platform.training import available_at_column, point_in_time_join, trade_date_column


def read_vectors(
    client: OnlineClient, entities: Sequence[EntityId], features: Sequence[str] | None, *, entity_parameter: str, feature_parameter: str
) -> list[FeatureVector]:
    """``client.get_many`` (one Redis round trip), its unknown securities and features as 404s naming
    the request's parameter."""
    try:
        return client.get_many(entities, features)
    except UnknownSecurityError as error:
        raise ApiError(404, f"{entity_parameter}: {error}", entity_parameter) from error
    except UnknownFeatureError as error:  # a name of the catalog the live snapshot's definitions lack
        raise ApiError(404, f"{feature_parameter}: {error}; {VALID_NAMES_HINT}", feature_parameter) from error


def lookup_request(
    entity_id: str | None, feature_name: str | None, timestamp: dt.datetime | None, body: LookupRequest | None
) -> LookupRequest:
    """The lookup asked as query parameters or as a JSON body (one or the other, not both)."""
    query = {"entity_id": entity_id, "feature_name": feature_name, "timestamp": timestamp}
    given = [name for name, value in query.items() if value is not None]
    if body is not None:
        if given:
            raise ApiError(422, f"{given[0]}: give the lookup as query parameters or as a JSON body, not both", given[0])
        return body
    for required in ("entity_id", "feature_name"):
        if query[required] is None:
            raise ApiError(422, f"{required}: required, as a query parameter or in the JSON body", required)
    return LookupRequest(entity_id=entity_id, feature_name=feature_name, timestamp=timestamp)


def wants_online(request: LookupRequest, live_available_at: pd.Timestamp) -> bool:
    """Online after the live snapshot's publication; at that very instant its values are not yet
    known, as a training set joins them (``available_at`` strictly before the event)."""
    return request.timestamp is None or request.timestamp > live_available_at


def online_answer(request: LookupRequest, live: FeatureVector) -> LookupResponse:
    return LookupResponse(
        entity_id=request.entity_id,
        feature_name=request.feature_name,
        value=live.values[request.feature_name],
        timestamp=request.timestamp,
        source="online",
        security_code=live.security_code,
        trade_date=live.trade_date,
        available_at=live.available_at.to_pydatetime(),
    )


def offline_answer(store: ObjectStore, request: LookupRequest, security_code: int) -> LookupResponse:
    """The value known just before ``request.timestamp``, from the Parquet store (reads files: run
    it off the event loop)."""
    family, feature = FAMILY_OF[request.feature_name], request.feature_name
    event = pd.DataFrame({"security_code": [security_code], "event_time": [pd.Timestamp(request.timestamp).tz_convert("UTC")]})
    row = point_in_time_join(store, event, [feature]).frame.iloc[0]
    trade_date, available_at = row[trade_date_column(family)], row[available_at_column(family)]
    return LookupResponse(
        entity_id=request.entity_id,
        feature_name=feature,
        value=None if pd.isna(row[feature]) else float(row[feature]),
        timestamp=request.timestamp,
        source="offline",
        security_code=security_code,
        trade_date=None if pd.isna(trade_date) else trade_date.date(),
        available_at=None if pd.isna(available_at) else available_at.to_pydatetime(),
    )

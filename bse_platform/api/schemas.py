"""The API's request and response bodies, as OpenAPI documents them.

Responses are serialized by pydantic's Rust core straight to JSON (FastAPI's path when a route
declares its response model), which is what keeps a full vector's answer cheap.
"""

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

MAX_BATCH = 1000  # securities per batch: bounds the time one request holds the event loop

EntityId = str | int  # a BSE security code, or a symbol or ISIN the live snapshot knows


class LookupRequest(BaseModel):
    entity_id: EntityId = Field(description="BSE security code, symbol or ISIN", examples=["500325"])
    feature_name: str = Field(description="A feature name (GET /registry lists them)", examples=["sma_5"])
    timestamp: AwareDatetime | None = Field(
        default=None,
        description="The time the value is wanted at (with a time zone). None, or at/after the live snapshot's "
        "available_at: the online value; earlier: the offline point-in-time value",
        examples=["2024-11-15T20:00:00Z"],
    )


class LookupResponse(BaseModel):
    entity_id: EntityId = Field(description="As asked")
    feature_name: str
    value: float | None = Field(description="Null where the feature is undefined, or nothing was known at the timestamp")
    timestamp: dt.datetime | None = Field(description="As asked, in UTC")
    source: Literal["online", "offline"] = Field(description="online: the live snapshot; offline: the Parquet store")
    security_code: int
    trade_date: dt.date | None = Field(description="The trade date the value is of (null: none known)")
    available_at: dt.datetime | None = Field(description="When the value could first be known")


class VectorResponse(BaseModel):
    entity_id: EntityId = Field(description="As asked")
    security_code: int
    trade_date: dt.date
    available_at: dt.datetime
    values: dict[str, float | None] = Field(description="Feature -> value, null where undefined, in vector order")


class BatchRequest(BaseModel):
    entity_ids: list[EntityId] = Field(min_length=1, max_length=MAX_BATCH, description="Security codes, symbols or ISINs")
    features: list[str] | None = Field(default=None, description="Feature names, in the order wanted (default: all)")


class BatchVector(BaseModel):
    entity_id: EntityId
    security_code: int
    values: dict[str, float | None]


class BatchResponse(BaseModel):
    trade_date: dt.date = Field(description="Every vector's, the batch is read from one snapshot")
    available_at: dt.datetime
    vectors: list[BatchVector] = Field(description="In the order of entity_ids")


class IngestRequest(BaseModel):
    feature_view: str = Field(description="A feature family (GET /registry lists them)", examples=["momentum"])
    data_source: str = Field(
        description="A stored partition of that family: its URI or path under the store's base "
        "(<base>/<family>/trade_date=YYYY-MM-DD/data.parquet), or just the trade date",
        examples=["s3://bse/platform/momentum/trade_date=2024-11-15/data.parquet", "2024-11-15"],
    )
    features: list[str] = Field(min_length=1, description="Features of that family, echoed back", examples=[["rsi_14", "macd"]])
    timestamp: AwareDatetime | None = Field(
        default=None, description="When the caller holds the values to be known: not before the partition's available_at"
    )
    force: bool = Field(default=False, description="Publish even a snapshot much smaller than the live one")


class IngestResponse(BaseModel):
    status: Literal["success", "skipped", "refused"] = Field(
        description="skipped: the live trade date is newer; refused: far fewer vectors than live (409 both)"
    )
    message: str
    feature_view: str
    features: list[str]
    data_source: str
    timestamp: dt.datetime | None
    trade_date: dt.date
    vectors: int = Field(description="Securities in the trade date's vectors")
    published: bool
    live_trade_date: dt.date = Field(description="What readers see after this request")
    snapshot_id: str | None


class FamilyEntry(BaseModel):
    name: str
    description: str
    own_days: int = Field(description="Own trading days of history a value needs, its own day included")
    features: list[dict[str, object]] = Field(description="The catalog's entry of each feature")


class RegistryResponse(BaseModel):
    definitions_version: str = Field(description="Hash of every feature's definition")
    families: list[FamilyEntry]


class SnapshotHealth(BaseModel):
    snapshot_id: str
    trade_date: dt.date
    available_at: dt.datetime
    age_seconds: float = Field(description="Since available_at: how old the values served online are")
    vectors: int
    definitions_version: str


class HealthResponse(BaseModel):
    status: Literal["ok", "unhealthy"]
    problems: list[str] = Field(description="What failed (empty when healthy)")
    redis: bool = Field(description="Redis answered a PING")
    object_store: bool = Field(description="The object store answered a listing")
    offline_latest_trade_date: dt.date | None = Field(description="The newest stored partition of the listed family")
    snapshot: SnapshotHealth | None = Field(description="The live online snapshot (null: none)")


class ErrorResponse(BaseModel):
    detail: str
    parameter: str | None = Field(description="The parameter at fault (null: the request as a whole)")

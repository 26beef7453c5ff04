"""The online store as the last asset: the latest trade date's feature vectors, in Redis.

Syncing a trade date older than the one online is skipped (the store refuses to move back), so a
backfill of old partitions never replaces the live snapshot. Its ``online_by_deadline`` check says
whether the trade date's vectors were online by BSE_ONLINE_DEADLINE (23:00 IST): the sync reports
it, and ``online_freshness_sensor`` (defs/automation.py) reports a date whose sync never came.
"""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, Config, Failure, MaterializeResult, MetadataValue, TableColumn, TableSchema, asset
from pydantic import Field

from bse_platform.calendar import ist_datetime
from bse_platform.defs import clock
from bse_platform.defs.checks import CheckOutcome, checks_reported, evaluations, partitioned_check
from bse_platform.defs.conventions import OWNERS, layer_tags
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.defs.resources import RedisResource
from bse_platform.features.catalog import FAMILIES, FEATURES, definitions_version, describe, feature_names
from bse_platform.online.store import MIN_SHARE_OF_LIVE
from bse_platform.settings import SETTINGS

ONLINE_FRESHNESS_CHECK = "online_by_deadline"


def online_deadline(trade_date: dt.date) -> dt.datetime:
    """When a trade date's vectors are due online (tz-aware)."""
    return ist_datetime(trade_date, SETTINGS.online_deadline)


class OnlineConfig(Config):
    force: bool = Field(
        default=False, description=f"Publish even a snapshot with fewer than {MIN_SHARE_OF_LIVE:.0%} of the live one's vectors"
    )


def _column_schema() -> TableSchema:
    """A snapshot's vector: the security's aliases and every feature, in vector order."""
    keys = [
        TableColumn("security_code", "int", description="BSE scrip code; also found by symbol or ISIN"),
        TableColumn("trade_date", "date", description="the snapshot's trade date (one per snapshot)"),
        TableColumn("available_at", "timestamp", description="when the snapshot's values could first be known"),
    ]
    return TableSchema(columns=keys + [TableColumn(name, "float", description=describe(FEATURES[name])) for name in feature_names()])


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    ins={"clean_bhavcopy": AssetIn(), **{name: AssetIn() for name in FAMILIES}},
    group_name="online",
    kinds={"redis"},
    owners=OWNERS,
    tags=layer_tags("online"),
    metadata={"dagster/column_schema": _column_schema()},
    check_specs=[
        partitioned_check(
            "online_features", ONLINE_FRESHNESS_CHECK, f"The trade date's vectors are online by {SETTINGS.online_deadline:%H:%M} IST"
        )
    ],
)
def online_features(
    context: AssetExecutionContext, config: OnlineConfig, online: RedisResource, clean_bhavcopy: pd.DataFrame, **families: pd.DataFrame
):
    """Every security's full feature vector for the trade date, published to Redis in one atomic switch.
    A snapshot far smaller than the live one is refused (the run fails, readers keep the live one)
    unless ``force`` is set."""
    trade_date = partition_trade_date(context.partition_key)
    keys = ["trade_date", "security_code", "available_at"]
    vectors = pd.concat([frame.set_index(keys) for frame in families.values()], axis=1).reset_index()
    aliases = clean_bhavcopy.set_index("security_code")
    available_at = vectors["available_at"].iloc[0] if len(vectors) else ist_datetime(trade_date, SETTINGS.publication_time)
    result = online.store().sync(
        vectors,
        feature_names=feature_names(),
        trade_date=trade_date,
        available_at=available_at,
        definitions_version=definitions_version(),
        symbols=aliases["symbol"],
        isins=aliases["isin"],
        force=config.force,
    )
    if result.refused:
        raise Failure(description=result.reason, metadata={"vectors": result.rows})
    context.log.info(result.reason)
    yield MaterializeResult(
        metadata={
            "published": result.published,
            "vectors": result.rows,
            "trade_date": MetadataValue.timestamp(pd.Timestamp(trade_date, tz="UTC")),
            "live_trade_date": str(result.live_trade_date),
            "snapshot": result.snapshot_id or "",
            "outcome": MetadataValue.text(result.reason),
            "definitions_version": definitions_version(),
        },
    )
    now, deadline = clock.now(), online_deadline(trade_date)
    late_minutes = max(0.0, (now - deadline).total_seconds() / 60)
    freshness = CheckOutcome(
        ONLINE_FRESHNESS_CHECK, context.partition_key, late_minutes == 0,
        {"deadline": deadline.isoformat(), "online_at": now.isoformat(), "minutes_late": round(late_minutes, 1)},
    )  # fmt: skip
    yield from evaluations(context, AssetKey("online_features"), [freshness])
    yield from checks_reported(context)

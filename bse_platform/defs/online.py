"""The online store as the last asset: the latest trade date's feature vectors, in Redis.

Syncing a trade date older than the one online is skipped (the store refuses to move back), so a
backfill of old partitions never replaces the live snapshot. Its ``online_by_deadline`` check says
whether the trade date's vectors were online by BSE_ONLINE_DEADLINE (23:00 IST): the sync reports
it, and ``online_freshness_sensor`` (defs/automation.py) reports a date whose sync never came.

Its ``matches_offline`` check reads a sample of the live snapshot back after every sync and compares
it, value by value, with the offline partitions of the snapshot's trade date (``online.consistency``):
the vectors the run just built when it published them, else (the sync was skipped, a newer date is
live) the stored partitions of the live date, which the check's metadata names. So every partition
shows whether what readers get equals what is stored; re-running an old partition re-checks the
live snapshot without touching it.
"""

import datetime as dt

import pandas as pd
from redis import RedisError
from dagster import AssetExecutionContext, AssetIn, AssetKey, Config, Failure, MaterializeResult, MetadataValue, TableColumn, TableSchema, asset
from pydantic import Field

from bse_platform.calendar import ist_datetime
from bse_platform.defs import clock
from bse_platform.defs.checks import CheckOutcome, checks_reported, evaluations, partitioned_check
from bse_platform.defs.conventions import OWNERS, layer_tags
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.defs.resources import RedisResource, StorageResource
from bse_platform.features.catalog import FAMILIES, FEATURES, definitions_version, describe, feature_names
from bse_platform.online import OnlineClient, OnlineStoreError
from bse_platform.online.consistency import SAMPLE_SIZE, ConsistencyReport, compare_with_offline
from bse_platform.online.store import MIN_SHARE_OF_LIVE
from bse_platform.online.vectors import full_vectors, publish_vectors, stored_vectors
from bse_platform.settings import SETTINGS
from bse_platform.storage import MissingPartitionsError

ONLINE_FRESHNESS_CHECK = "online_by_deadline"
ONLINE_CONSISTENCY_CHECK = "matches_offline"


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
        ),
        partitioned_check(
            "online_features", ONLINE_CONSISTENCY_CHECK,
            f"Up to {SAMPLE_SIZE} securities of the live snapshot equal, value by value, the offline partitions of its trade date",
        ),  # fmt: skip
    ],
)
def online_features(
    context: AssetExecutionContext,
    config: OnlineConfig,
    online: RedisResource,
    storage: StorageResource,
    clean_bhavcopy: pd.DataFrame,
    **families: pd.DataFrame,
):
    """Every security's full feature vector for the trade date, published to Redis in one atomic switch.
    A snapshot far smaller than the live one is refused (the run fails, readers keep the live one)
    unless ``force`` is set."""
    trade_date = partition_trade_date(context.partition_key)
    vectors = full_vectors(families.values())
    aliases = clean_bhavcopy.set_index("security_code")
    available_at = vectors["available_at"].iloc[0] if len(vectors) else ist_datetime(trade_date, SETTINGS.publication_time)
    store = online.store()
    result = publish_vectors(store, vectors, trade_date, available_at, aliases, force=config.force)
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
    consistency = _consistency_outcome(context.partition_key, store.client(), storage, trade_date, vectors)
    yield from evaluations(context, AssetKey("online_features"), [freshness, consistency])
    yield from checks_reported(context)


def _consistency_outcome(
    partition: str, client: OnlineClient, storage: StorageResource, trade_date: dt.date, vectors: pd.DataFrame
) -> CheckOutcome:
    """The live snapshot against the offline vectors of its trade date: ``vectors`` when that is
    ``trade_date``, else that date's stored partitions. A comparison that cannot be made (no offline
    source, Redis gone away, the snapshot switched meanwhile) fails the check, not the published run."""
    try:
        live = client.snapshot().trade_date
        offline = vectors if live == trade_date else stored_vectors(storage.store(), live)
        report = compare_with_offline(client, offline, live, feature_names())
    except (MissingPartitionsError, OnlineStoreError, RedisError) as error:
        return CheckOutcome(ONLINE_CONSISTENCY_CHECK, partition, False, {"error": MetadataValue.text(f"nothing compared: {error}")})
    return CheckOutcome(ONLINE_CONSISTENCY_CHECK, partition, report.passed, _consistency_metadata(report))


def _consistency_metadata(report: ConsistencyReport) -> dict[str, object]:
    """Counts the UI plots across partitions, and what differs."""
    metadata = {
        "compared_trade_date": report.trade_date.isoformat(),
        "snapshot_trade_date": str(report.snapshot_trade_date),
        "sampled": len(report.sampled),
        "compared_values": report.compared_values,
        "mismatches": report.mismatched_values,
        "missing_securities": len(report.missing_securities),
    }
    if report.mismatched_values:
        metadata["first_mismatches"] = MetadataValue.md(report.mismatches.to_markdown(index=False))
    if report.missing_securities:
        metadata["securities_not_online"] = MetadataValue.json(list(report.missing_securities))
    if report.missing_features:
        metadata["features_not_online"] = MetadataValue.json(list(report.missing_features))
    return metadata

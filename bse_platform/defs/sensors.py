"""Sensors: features recomputed when corporate actions change after they were built.

Dagster's own staleness tracking skips partition mappings over more than 100 upstream partitions
(ours reach back 634 trade dates), so the dependency is followed here explicitly.
"""

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    sensor,
)

from bse_platform.defs.corporate_actions import DIGEST, corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.defs.jobs import build_features_job
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS
from bse_platform.features.catalog import FAMILIES

_LOOKBACK = max(family.lookback for family in FAMILIES.values())
_BATCH = 200


@sensor(
    job=build_features_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="When a corporate_actions partition is re-materialized with different actions, re-run "
    "the feature partitions already built that read it (its date to a lookback later)",
)
def recompute_features_after_late_corporate_actions(context: SensorEvaluationContext):
    instance = context.instance
    records = instance.fetch_materializations(
        AssetRecordsFilter(corporate_actions.key, after_storage_id=int(context.cursor) if context.cursor else None),
        limit=_BATCH,
        ascending=True,
    ).records
    built = instance.get_materialized_partitions(AssetKey(next(iter(FAMILIES))))  # the families are built together
    for record in records:
        partition = record.asset_materialization.partition
        earlier = instance.fetch_materializations(
            AssetRecordsFilter(corporate_actions.key, asset_partitions=[partition], before_storage_id=record.storage_id), limit=1
        ).records
        if not earlier or _digest_of(earlier[0]) == _digest_of(record):
            continue
        affected = [key for key in _lookback_after(partition) if key in built]
        if affected:
            yield RunRequest(
                run_key=f"corporate-actions-{partition}-{record.storage_id}",
                asset_selection=list(feature_families.keys),
                tags={
                    "dagster/asset_partition_range_start": affected[0],
                    "dagster/asset_partition_range_end": affected[-1],
                    "bse/changed_corporate_actions": partition,
                },
            )
    if records:
        context.update_cursor(str(records[-1].storage_id))


def _digest_of(record) -> str | None:
    value = record.asset_materialization.metadata.get(DIGEST)
    return value.value if value is not None else None


def _lookback_after(partition: str) -> list[str]:
    """The trade dates whose features read ``partition``: itself and the lookback after it."""
    keys = TRADE_DATE_PARTITIONS.get_partition_keys()
    start = keys.index(partition)
    return keys[start : start + _LOOKBACK]

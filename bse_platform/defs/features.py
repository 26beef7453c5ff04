"""One asset per feature family, partitioned by trade date, computed on split-adjusted prices.

The families are the outputs of one multi-asset, so a run reads the clean and corporate-action
lookback once and adjusts prices once for all of them; each family can still be materialized alone.
A run over a range of trade dates computes each family once over the range plus its lookback
(``BackfillPolicy.multi_run``: at most MAX_TRADE_DATES_PER_RUN dates per run, so memory stays bounded
on long backfills) and stores each trade date as its own partition, with its own check results and
metadata. A partition reads the clean and corporate-action partitions of its lookback
(``TimeWindowPartitionMapping`` counts trade dates); a corporate action that changes after features
were built is followed up by the sensor in defs/sensors.py.
"""

import datetime as dt

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    BackfillPolicy,
    Config,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
    TimeWindowPartitionMapping,
    multi_asset,
)
from pydantic import Field

from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.defs.checks import checks_reported, partition_evaluation, partitioned_check, report_metadata
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN, TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.features.catalog import FAMILIES, describe
from bse_platform.features.compute import PUBLICATION_TIME, FamilyResult, compute_families
from bse_platform.features.family import FeatureFamily
from bse_platform.features.quality import DEFAULT_JUMP_THRESHOLD, feature_schema, null_share_after_warmup, unexplained_jumps
from bse_platform.validation import validate

SCHEMA_CHECK = "matches_feature_schema"
NULLS_CHECK = "few_nulls_after_warmup"
JUMPS_CHECK = "no_unexplained_jumps"
MAX_NULL_SHARE_AFTER_WARMUP = 0.01


class FeatureConfig(Config):
    instrument_classes: list[str] = Field(
        default=list(EQUITY_CLASSES), description="Instrument classes to compute features for"
    )
    publication_time: str = Field(
        default=PUBLICATION_TIME.strftime("%H:%M"), description="IST time a trade date's values count as known"
    )
    jump_threshold: float = Field(
        default=DEFAULT_JUMP_THRESHOLD, description="|ret_1d| above this with no corporate action is flagged"
    )


def _column_schema(family: FeatureFamily) -> TableSchema:
    """Every column with its definition, as the UI's Columns table shows it."""
    keys = [
        TableColumn("trade_date", "date", description="the trade date (partition)"),
        TableColumn("security_code", "int", description="BSE scrip code"),
        TableColumn("available_at", "timestamp", description="when the values could first be known: the trade date's publication time"),
    ]  # fmt: skip
    return TableSchema(columns=keys + [TableColumn(spec.name, "float", description=describe(spec)) for spec in family.features])


def _checks_of(family: FeatureFamily) -> list:
    checks = [
        partitioned_check(family.name, SCHEMA_CHECK, "Unique keys, no infinities, values within their bounds", blocking=True),
        partitioned_check(family.name, NULLS_CHECK, f"At most {MAX_NULL_SHARE_AFTER_WARMUP:.0%} nulls where a value was expected"),
    ]
    if family.name == "returns":
        checks.append(partitioned_check(family.name, JUMPS_CHECK, "No large daily move on a day without a corporate action"))
    return checks


_LOOKBACK = TimeWindowPartitionMapping(start_offset=-(max(family.lookback for family in FAMILIES.values()) - 1))


@multi_asset(
    name="feature_families",
    outs={
        family.name: AssetOut(
            is_required=False,  # each family can be materialized alone
            io_manager_key="parquet_io_manager",
            group_name="features",
            kinds={"pandas", "parquet"},
            description=f"{family.description}. Lookback: {family.lookback} trade dates.",
            metadata={"dagster/column_schema": _column_schema(family), "lookback_trade_dates": family.lookback},
        )
        for family in FAMILIES.values()
    },
    ins={
        "clean_bhavcopy": AssetIn(partition_mapping=_LOOKBACK, metadata={"lookback": True}),
        "corporate_actions": AssetIn(partition_mapping=_LOOKBACK, metadata={"lookback": True}),
    },
    partitions_def=TRADE_DATE_PARTITIONS,
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=MAX_TRADE_DATES_PER_RUN),
    check_specs=[spec for family in FAMILIES.values() for spec in _checks_of(family)],
    can_subset=True,
)  # fmt: skip
def feature_families(
    context: AssetExecutionContext, config: FeatureConfig, clean_bhavcopy: pd.DataFrame, corporate_actions: pd.DataFrame
):
    """Every selected family, from one read of the longest lookback and one adjusted panel."""
    families = [FAMILIES[key.path[-1]] for key in context.selected_asset_keys]
    results = compute_families(
        families,
        clean_bhavcopy,
        corporate_actions,
        [partition_trade_date(key) for key in context.partition_keys],
        instrument_classes=config.instrument_classes,
        publication_time=dt.time.fromisoformat(config.publication_time),
    )
    for family in families:
        yield Output(results[family.name].rows, output_name=family.name)
        yield from _partition_reports(context, family, results[family.name], config)
    yield from checks_reported(context)


def _partition_reports(context: AssetExecutionContext, family: FeatureFamily, result: FamilyResult, config: FeatureConfig):
    """Per trade date of the run: materialization metadata and every check's evaluation."""
    rows, key = result.rows, AssetKey(family.name)
    report = validate(rows, feature_schema(family))
    null_shares = null_share_after_warmup(result)
    jumps = unexplained_jumps(result, config.jump_threshold) if family.name == "returns" else None
    for partition in context.partition_keys:
        day = pd.Timestamp(partition_trade_date(partition))
        of_day = rows[rows["trade_date"] == day]
        context.add_asset_metadata(
            asset_key=key,
            partition_key=partition,
            metadata={
                "rows": len(of_day),
                "securities": int(of_day["security_code"].nunique()),
                "null_share": MetadataValue.json(of_day[family.columns].isna().mean().round(4).to_dict()),
            },
        )
        day_report = report.restricted_to(of_day.index)
        yield partition_evaluation(
            key, SCHEMA_CHECK, partition, passed=day_report.passed, metadata=report_metadata(day_report, rows, "row"), blocking=True
        )
        shares = null_shares.loc[day] if day in null_shares.index else pd.Series(dtype=float)
        yield partition_evaluation(
            key, NULLS_CHECK, partition, passed=bool((shares <= MAX_NULL_SHARE_AFTER_WARMUP).all()), blocking=False,
            metadata={"highest_null_shares": MetadataValue.json(shares.nlargest(5).round(4).to_dict())},
        )  # fmt: skip
        if jumps is not None:
            day_jumps = jumps[jumps["trade_date"] == day]
            metadata = {"jumps": len(day_jumps), "rows": MetadataValue.md(day_jumps.head(20).to_markdown(index=False))}
            yield partition_evaluation(key, JUMPS_CHECK, partition, passed=day_jumps.empty, metadata=metadata, blocking=False)



"""Asset checks per trade-date partition, evaluated in the asset's own body, as the UI shows them.

Every check is partitioned like its asset. A run, of one date or a range, reports one evaluation per
check and partition once the partition's materialization is stored, targeting that materialization:
the UI's Checks › Partitions view counts an evaluation only for the materialization it targets.
A partition that fails a blocking check is not written; its evaluation then targets what is stored.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    MetadataValue,
    Output,
)

from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationTargetMaterializationData

from bse_platform.bse.errors import BhavcopyError
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS
from bse_platform.validation import ValidationReport

_SHOWN_ROWS = 20


def partitioned_check(asset: str, name: str, description: str, *, blocking: bool = False) -> AssetCheckSpec:
    """A check evaluated for each trade-date partition of ``asset``, in the asset's own body."""
    return AssetCheckSpec(name, asset=asset, blocking=blocking, partitions_def=TRADE_DATE_PARTITIONS, description=description)


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict on one partition."""

    check: str
    partition: str
    passed: bool
    metadata: Mapping[str, object] = field(default_factory=dict)


def report_metadata(report: ValidationReport, frame: pd.DataFrame, row_label: str = "line") -> dict[str, object]:
    """Failure counts, by check, and the failing rows themselves."""
    metadata = {"rows": report.rows, "failures": report.failure_count}
    if not report.passed:
        metadata["failures_by_check"] = MetadataValue.json(report.failures_by_check())
        metadata["summary"] = MetadataValue.text(report.summary(row_label=row_label))
        metadata["failing_rows"] = MetadataValue.md(report.failing_rows(frame, _SHOWN_ROWS).to_markdown())
    return metadata


def error_metadata(error: BhavcopyError) -> dict[str, object]:
    metadata = {"error": MetadataValue.text(str(error)), "outcome": type(error).__name__, "file": error.file}
    if error.line is not None:
        metadata["line"] = error.line
    return metadata


def rows_metadata(rows: pd.DataFrame) -> dict[str, object]:
    return {"failures": len(rows), "rows": MetadataValue.md(rows.head(_SHOWN_ROWS).to_markdown(index=False))}


def evaluations(context: AssetExecutionContext, asset_key: AssetKey, outcomes: Iterable[CheckOutcome]) -> Iterator[AssetCheckEvaluation]:
    """The outcomes as evaluations of the run's checks, each targeting its partition's latest
    materialization (yield them after the asset's output, so that is the run's own)."""
    outcomes = list(outcomes)
    targets = _latest_materializations(context, asset_key, {outcome.partition for outcome in outcomes})
    for outcome in outcomes:
        spec = context.assets_def.get_spec_for_check_key(AssetCheckKey(asset_key, outcome.check))
        yield AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=outcome.check,
            passed=bool(outcome.passed),
            metadata=dict(outcome.metadata),
            partition=outcome.partition,
            target_materialization_data=targets.get(outcome.partition),
            severity=AssetCheckSeverity.ERROR if spec.blocking else AssetCheckSeverity.WARN,
            blocking=spec.blocking,
        )


def checks_reported(context: AssetExecutionContext) -> Iterator[Output]:
    """The checks' outputs of the step (bare evaluations do not count as them; Dagster's own
    ``AssetCheckResult`` yields the same)."""
    for key in context.selected_asset_check_keys:
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))


def _latest_materializations(
    context: AssetExecutionContext, asset_key: AssetKey, partitions: set[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    instance = context.instance
    latest = instance.get_latest_storage_id_by_partition(asset_key, DagsterEventType.ASSET_MATERIALIZATION, partitions)
    if not latest:
        return {}
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())), limit=len(latest)
    ).records
    return {
        record.asset_materialization.partition: AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        )
        for record in records
    }

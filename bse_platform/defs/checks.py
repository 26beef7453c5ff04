"""Turn validation outcomes into asset-check results the Dagster UI can show."""

from collections.abc import Iterator

import pandas as pd
from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MetadataValue,
    Output,
)

from bse_platform.bse.errors import BhavcopyError
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS
from bse_platform.validation import ValidationReport

_SHOWN_ROWS = 20


def partitioned_check(asset: str, name: str, description: str, *, blocking: bool = False) -> AssetCheckSpec:
    """A check evaluated for each trade-date partition of ``asset``, in the asset's own body."""
    return AssetCheckSpec(name, asset=asset, blocking=blocking, partitions_def=TRADE_DATE_PARTITIONS, description=description)


def report_metadata(report: ValidationReport, frame: pd.DataFrame, row_label: str = "line") -> dict[str, object]:
    """Failure counts, by check, and the failing rows themselves."""
    metadata = {"rows": report.rows, "failures": report.failure_count}
    if not report.passed:
        metadata["failures_by_check"] = MetadataValue.json(report.failures_by_check())
        metadata["summary"] = MetadataValue.text(report.summary(row_label=row_label))
        metadata["failing_rows"] = MetadataValue.md(report.failing_rows(frame, _SHOWN_ROWS).to_markdown())
    return metadata


def check_from_report(check_name: str, report: ValidationReport, frame: pd.DataFrame) -> AssetCheckResult:
    return AssetCheckResult(check_name=check_name, passed=report.passed, metadata=report_metadata(report, frame))


def check_from_error(check_name: str, error: BhavcopyError) -> AssetCheckResult:
    metadata = {"error": MetadataValue.text(str(error)), "outcome": type(error).__name__, "file": error.file}
    if error.line is not None:
        metadata["line"] = error.line
    return AssetCheckResult(check_name=check_name, passed=False, metadata=metadata)


def partition_evaluation(
    asset_key: AssetKey,
    check_name: str,
    partition: str,
    *,
    passed: bool,
    metadata: dict[str, object],
    blocking: bool,
) -> AssetCheckEvaluation:
    """One partition's check result from a run that materializes several partitions at once
    (``AssetCheckResult`` can only name the partition of a single-partition run)."""
    return AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=check_name,
        passed=passed,
        metadata=metadata,
        partition=partition,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        blocking=blocking,
    )


def checks_reported(context: AssetExecutionContext) -> Iterator[Output]:
    """Per-partition evaluations do not count as the checks' outputs of the step; these do."""
    for key in context.selected_asset_check_keys:
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))

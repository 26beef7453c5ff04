"""Turn validation outcomes into asset-check results the Dagster UI can show."""

import pandas as pd
from dagster import AssetCheckResult, MetadataValue

from bse_platform.bse.errors import BhavcopyError
from bse_platform.validation import ValidationReport

_SHOWN_ROWS = 20


def check_from_report(check_name: str, report: ValidationReport, frame: pd.DataFrame) -> AssetCheckResult:
    metadata = {"rows": report.rows, "failures": report.failure_count}
    if not report.passed:
        metadata["failures_by_check"] = MetadataValue.json(report.failures_by_check())
        metadata["summary"] = MetadataValue.text(report.summary(row_label="line"))
        metadata["failing_rows"] = MetadataValue.md(report.failing_rows(frame, _SHOWN_ROWS).to_markdown())
    return AssetCheckResult(check_name=check_name, passed=report.passed, metadata=metadata)


def check_from_error(check_name: str, error: BhavcopyError) -> AssetCheckResult:
    metadata = {"error": MetadataValue.text(str(error)), "outcome": type(error).__name__, "file": error.file}
    if error.line is not None:
        metadata["line"] = error.line
    return AssetCheckResult(check_name=check_name, passed=False, metadata=metadata)

"""Run a pandera schema and summarise the outcome for people: failure counts and failing rows."""

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors


@dataclass(frozen=True)
class ValidationReport:
    schema: str
    rows: int
    failure_cases: pd.DataFrame  # pandera's: column, check, failure_case, index (the row label)

    @property
    def passed(self) -> bool:
        return self.failure_cases.empty

    @property
    def failure_count(self) -> int:
        return len(self.failure_cases)

    def failures_by_check(self) -> dict[str, int]:
        if self.passed:
            return {}
        where = self.failure_cases["column"].fillna(self.schema).astype(str)
        labels = where + ": " + self.failure_cases["check"].astype(str)
        return labels.value_counts().to_dict()

    def restricted_to(self, labels: pd.Index) -> "ValidationReport":
        """The report for the rows labelled ``labels`` only (e.g. one trade date of a range)."""
        cases = self.failure_cases[self.failure_cases["index"].isin(labels)] if not self.passed else self.failure_cases
        return ValidationReport(self.schema, len(labels), cases)

    def failing_rows(self, frame: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
        """The first ``limit`` rows of ``frame`` (validated with the same index) that failed."""
        labels = self.failure_cases["index"].dropna().unique()
        return frame.loc[frame.index.isin(labels)].head(limit)

    def summary(self, row_label: str = "row") -> str:
        if self.passed:
            return f"{self.schema}: all {self.rows} rows pass"
        cases = self.failure_cases.head(5)
        examples = "; ".join(
            f"{row_label} {idx}: {chk}" if col is None else f"{row_label} {idx}: {col} failed {chk} (value {val!r})"
            for idx, col, chk, val in zip(
                cases["index"], cases["column"], cases["check"], cases["failure_case"]
            )
        )
        return f"{self.schema}: {self.failure_count} failure(s) in {self.rows} rows, e.g. {examples}"


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> ValidationReport:
    try:
        schema.validate(frame, lazy=True, inplace=True)  # read only: no schema here coerces
    except SchemaErrors as errors:
        return ValidationReport(schema.name or "schema", len(frame), _one_case_per_row_and_check(errors.failure_cases))
    return ValidationReport(schema.name or "schema", len(frame), pd.DataFrame())


def _one_case_per_row_and_check(cases: pd.DataFrame) -> pd.DataFrame:
    """Pandera reports a failed row-wise table check once per column; count it once per row. A
    missing value is None whether its column is object or Arrow-backed (which says <NA>)."""
    cases = cases.assign(failure_case=cases["failure_case"].map(lambda value: None if value is pd.NA else value))
    table_wide = cases["schema_context"].eq("DataFrameSchema") & cases["index"].notna()
    if not table_wide.any():
        return cases.reset_index(drop=True)
    collapsed = cases[table_wide].drop_duplicates(["check", "index"]).assign(column=None, failure_case=None)
    return pd.concat([cases[~table_wide], collapsed], ignore_index=True)

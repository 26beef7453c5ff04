"""Ingestion assets: the bhavcopy as published (raw) and as the clean table, with blocking checks."""

import hashlib

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    Failure,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
    asset,
)
from pydantic import Field, field_validator

from bse_platform.bse import BhavcopyError, BrokenBhavcopyError, BseSourceError
from bse_platform.bse.client import PublishedFile
from bse_platform.bse.formats import FORMATS
from bse_platform.bse.parser import clean_raw_bhavcopy
from bse_platform.clean_schema import CLEAN_SCHEMA, INSTRUMENT_CLASSES
from bse_platform.defs.checks import CheckOutcome, checks_reported, error_metadata, evaluations, partitioned_check, report_metadata
from bse_platform.defs.conventions import OWNERS, column_schema, layer_tags
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.defs.resources import BseSourceResource

RAW_CHECK = "is_bhavcopy_of_its_trade_date"
CLEAN_CHECK = "matches_clean_schema"
_PREVIEW_COLUMNS = ["security_code", "symbol", "name", "instrument_class", "open", "high", "low", "close", "volume"]


def _raw_column_schema() -> TableSchema:
    """The columns read from the file in each format BSE has published, and what each becomes."""
    formats_of: dict[str, list[str]] = {}
    clean_of: dict[str, str] = {}
    for fmt in FORMATS.values():
        for source in fmt.required_columns:
            formats_of.setdefault(source, []).append(fmt.name)
            clean_of[source] = fmt.to_clean.get(source, "trade_date (checked against the partition)")
    return TableSchema(
        columns=[
            TableColumn(source, "text", description=f"-> {clean_of[source]}; in {', '.join(formats)}")
            for source, formats in formats_of.items()
        ]
    )


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    io_manager_key="raw_file_io_manager",
    group_name="ingestion",
    kinds={"csv", "zip"},
    owners=OWNERS,
    tags=layer_tags("raw"),
    metadata={"dagster/column_schema": _raw_column_schema()},
    pool="bse_downloads",  # one download at a time across runs (dagster.yaml sets the pool's limit)
    check_specs=[
        partitioned_check(
            "raw_bhavcopy", RAW_CHECK, "A known bhavcopy format, of this trade date, with enough well-formed rows", blocking=True
        )
    ],
)
def raw_bhavcopy(context: AssetExecutionContext, bse: BseSourceResource):
    """The trade date's bhavcopy exactly as BSE published it (the source of truth): the file itself,
    under its published name; its columns depend on the format BSE used that day.

    Fails, storing nothing, when BSE has no file (not published yet, refused, unreachable); a file
    that is broken or of another date is kept as served and fails the blocking check instead.
    """
    trade_date = partition_trade_date(context.partition_key)
    client = bse.client()
    try:
        published = client.fetch(trade_date)
    except BseSourceError as error:
        raise Failure(
            description=f"trade date {trade_date}: {error}",
            metadata={"url": error.url, "outcome": type(error).__name__},
        ) from error
    finally:
        client.close()

    metadata = {
        "url": published.url,
        "file_name": published.file_name,
        "bytes": len(published.content),
        "sha256": hashlib.sha256(published.content).hexdigest(),
    }
    try:
        raw, report = bse.validate_raw(published, trade_date)
        outcome = CheckOutcome(RAW_CHECK, context.partition_key, report.passed, report_metadata(report, raw.table))
        metadata |= {"format": raw.format.name, "rows": len(raw.table), "skipped_rows": len(raw.skipped_rows)}
    except BhavcopyError as error:
        outcome = CheckOutcome(RAW_CHECK, context.partition_key, False, error_metadata(error))
        metadata["format"] = "unreadable"
    yield Output(published, metadata=metadata)
    yield from evaluations(context, AssetKey("raw_bhavcopy"), [outcome])
    yield from checks_reported(context)


class CleanBhavcopyConfig(Config):
    instrument_classes: list[str] | None = Field(
        default=None,
        description="Keep only these instrument classes (see clean_schema.INSTRUMENT_CLASSES); "
        "null keeps every class, and feature families pick equities themselves",
    )

    @field_validator("instrument_classes")
    @classmethod
    def _known_classes(cls, classes: list[str] | None) -> list[str] | None:
        unknown = sorted(set(classes or ()) - set(INSTRUMENT_CLASSES))
        if unknown:
            raise ValueError(f"unknown instrument class(es) {unknown}; known: {', '.join(INSTRUMENT_CLASSES)}")
        return classes


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    io_manager_key="parquet_io_manager",
    group_name="ingestion",
    kinds={"parquet", "pandas"},
    owners=OWNERS,
    tags=layer_tags("clean"),
    metadata={"dagster/column_schema": column_schema(CLEAN_SCHEMA)},
    check_specs=[
        partitioned_check(
            "clean_bhavcopy", CLEAN_CHECK, "Types, one row per security, positive prices, low <= open <= high, known classes",
            blocking=True,
        )
    ],
)
def clean_bhavcopy(
    context: AssetExecutionContext, config: CleanBhavcopyConfig, bse: BseSourceResource, raw_bhavcopy: PublishedFile
):
    """One typed row per security for the trade date, in the clean schema every feature reads.

    A file that does not parse or validate fails the check and writes nothing. The raw file's check
    is applied again, because a run of this asset alone is not blocked by an earlier failed raw check.
    """
    trade_date = partition_trade_date(context.partition_key)
    key, partition = AssetKey("clean_bhavcopy"), context.partition_key
    try:
        raw, raw_report = bse.validate_raw(raw_bhavcopy, trade_date)
        if not raw_report.passed:
            raise BrokenBhavcopyError(f"the raw file fails its check: {raw_report.summary('line')}", file=raw.file)
        parsed = clean_raw_bhavcopy(raw, trade_date, instrument_classes=config.instrument_classes)
    except BhavcopyError as error:
        yield from evaluations(context, key, [CheckOutcome(CLEAN_CHECK, partition, False, error_metadata(error))])
        raise Failure(description=f"trade date {trade_date}: {error}; nothing was written") from error

    outcome = CheckOutcome(CLEAN_CHECK, partition, parsed.validation.passed, report_metadata(parsed.validation, parsed.frame))
    if not parsed.validation.passed:
        yield from evaluations(context, key, [outcome])
        raise Failure(
            description=f"trade date {trade_date}: {parsed.validation.summary(row_label='line')}; nothing was written"
        )
    frame = parsed.frame.reset_index(drop=True)
    by_class = frame["instrument_class"].value_counts()
    yield Output(
        frame,
        metadata={
            "rows": len(frame),
            "securities": int(frame["security_code"].nunique()),
            **{f"rows_{name}": int(by_class.get(name, 0)) for name in INSTRUMENT_CLASSES},
            "source_file": parsed.raw.file,
            "source_format": parsed.raw.format.name,
            "skipped_rows": MetadataValue.json([vars(row) for row in parsed.raw.skipped_rows]),
            "dropped_duplicate_lines": MetadataValue.json(list(parsed.dropped_duplicate_lines)),
            "ignored_columns": MetadataValue.json(list(parsed.raw.ignored_columns)),
            "preview": MetadataValue.md(_preview(frame)),
        },
    )
    yield from evaluations(context, key, [outcome])
    yield from checks_reported(context)


def _preview(frame: pd.DataFrame) -> str:
    return frame[_PREVIEW_COLUMNS].head(10).to_markdown(index=False)

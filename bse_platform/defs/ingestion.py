"""Ingestion assets: the bhavcopy as published (raw) and as the clean table, with blocking checks."""

import hashlib

import pandas as pd
from dagster import (
    AssetExecutionContext,
    Config,
    Failure,
    MetadataValue,
    Output,
    asset,
)
from pydantic import Field, field_validator

from bse_platform.bse import BhavcopyError, BrokenBhavcopyError, BseSourceError
from bse_platform.bse.client import PublishedFile
from bse_platform.bse.parser import clean_raw_bhavcopy
from bse_platform.clean_schema import INSTRUMENT_CLASSES
from bse_platform.defs.checks import check_from_error, check_from_report, partitioned_check
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.defs.resources import BseSourceResource

RAW_CHECK = "is_bhavcopy_of_its_trade_date"
CLEAN_CHECK = "matches_clean_schema"
_PREVIEW_COLUMNS = ["security_code", "symbol", "name", "instrument_class", "open", "high", "low", "close", "volume"]


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    io_manager_key="raw_file_io_manager",
    group_name="ingestion",
    kinds={"csv"},
    pool="bse_downloads",  # one download at a time across runs (dagster.yaml sets the pool's limit)
    check_specs=[
        partitioned_check(
            "raw_bhavcopy", RAW_CHECK, "A known bhavcopy format, of this trade date, with enough well-formed rows", blocking=True
        )
    ],
)
def raw_bhavcopy(context: AssetExecutionContext, bse: BseSourceResource):
    """The trade date's bhavcopy exactly as BSE published it (the source of truth).

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
        check = check_from_report(RAW_CHECK, report, raw.table)
        metadata |= {"format": raw.format.name, "rows": len(raw.table), "skipped_rows": len(raw.skipped_rows)}
    except BhavcopyError as error:
        check = check_from_error(RAW_CHECK, error)
        metadata["format"] = "unreadable"
    yield Output(published, metadata=metadata)
    yield check


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
    try:
        raw, raw_report = bse.validate_raw(raw_bhavcopy, trade_date)
        if not raw_report.passed:
            raise BrokenBhavcopyError(f"the raw file fails its check: {raw_report.summary('line')}", file=raw.file)
        parsed = clean_raw_bhavcopy(raw, trade_date, instrument_classes=config.instrument_classes)
    except BhavcopyError as error:
        yield check_from_error(CLEAN_CHECK, error)
        raise Failure(description=f"trade date {trade_date}: {error}; nothing was written") from error

    yield check_from_report(CLEAN_CHECK, parsed.validation, parsed.frame)
    if not parsed.validation.passed:
        raise Failure(
            description=f"trade date {trade_date}: {parsed.validation.summary(row_label='line')}; nothing was written"
        )
    frame = parsed.frame.reset_index(drop=True)
    yield Output(
        frame,
        metadata={
            "rows": len(frame),
            "securities": int(frame["security_code"].nunique()),
            "source_file": parsed.raw.file,
            "source_format": parsed.raw.format.name,
            "rows_by_instrument_class": MetadataValue.json(frame["instrument_class"].value_counts().to_dict()),
            "skipped_rows": MetadataValue.json([vars(row) for row in parsed.raw.skipped_rows]),
            "dropped_duplicate_lines": MetadataValue.json(list(parsed.dropped_duplicate_lines)),
            "ignored_columns": MetadataValue.json(list(parsed.raw.ignored_columns)),
            "preview": MetadataValue.md(_preview(frame)),
        },
    )


def _preview(frame: pd.DataFrame) -> str:
    return frame[_PREVIEW_COLUMNS].head(10).to_markdown(index=False)

"""Ingestion assets: the bhavcopy as published (raw) and as the clean table, with blocking checks."""

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    Config,
    Failure,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
    asset,
    get_dagster_logger,
)
from pydantic import Field, field_validator

from bse_platform.bse import BhavcopyError, BrokenBhavcopyError, BseSourceError
from bse_platform.bse.client import BseClient, PublishedFile
from bse_platform.bse.formats import FORMATS
from bse_platform.bse.parser import ParsedBhavcopy, clean_raw_bhavcopy
from bse_platform.clean_schema import CLEAN_SCHEMA, INSTRUMENT_CLASSES, trusted_vwap
from bse_platform.continuity import MIN_MATCHING_SHARE, MIN_SECURITIES_RATIO, continuity
from bse_platform.defs.checks import CheckOutcome, checks_reported, error_metadata, evaluations, partitioned_check, report_metadata, rows_metadata
from bse_platform.defs.conventions import OWNERS, column_schema, layer_tags
from bse_platform.defs.io_managers import raw_file_key
from bse_platform.defs.partitions import INGEST_TRADE_DATES_PER_RUN, TRADE_DATE_PARTITIONS, TRADING_CALENDAR, partition_trade_date, previous_trade_date
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.security_master import known_isins
from bse_platform.storage import MissingPartitionsError, ObjectStore

RAW_CHECK = "is_bhavcopy_of_its_trade_date"
CLEAN_CHECK = "matches_clean_schema"
CONTINUITY_CHECK = "continues_previous_session"
TURNOVER_CHECK = "turnover_fits_prices"
CLEAN_DATASET = "clean_bhavcopy"
# Files whose turnover is inconsistent with prices on more traded rows than this fail the warn check.
MAX_UNTRUSTED_TURNOVER_SHARE = 0.01
# Every session, weekend special sessions too (the partitions hold weekdays only).
EVERY_SESSION = dataclasses.replace(TRADING_CALENDAR, weekdays_only=False)
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
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=INGEST_TRADE_DATES_PER_RUN),
    pool="bse_downloads",  # one download at a time across runs (dagster.yaml sets the pool's limit)
    check_specs=[
        partitioned_check(
            "raw_bhavcopy", RAW_CHECK, "A known bhavcopy format, of this trade date, with enough well-formed rows", blocking=True
        )
    ],
)
def raw_bhavcopy(context: AssetExecutionContext, bse: BseSourceResource, storage: StorageResource):
    """The trade date's bhavcopy exactly as BSE published it (the source of truth): the file itself,
    under its published name; its columns depend on the format BSE used that day.

    Fails, storing nothing, when BSE has no file (not published yet, refused, unreachable); a file
    that is broken or of another date is kept as served and fails the blocking check instead, and the
    date's clean table, made from an earlier file, is removed: raw and clean never disagree. A run over
    a range (a backfill: INGEST_TRADE_DATES_PER_RUN dates a run) downloads its dates one after another
    and stores all of them or, when one cannot be fetched, none.
    """
    client = bse.client()
    try:
        fetched = {partition: _fetch(client, partition, context.partition_keys) for partition in context.partition_keys}
    finally:
        client.close()
    outcomes = []
    for partition, published in fetched.items():
        metadata, outcome = _raw_outcome(bse, storage, partition, published)
        context.add_asset_metadata(metadata, partition_key=partition)
        outcomes.append(outcome)
    yield Output(fetched)
    yield from evaluations(context, AssetKey("raw_bhavcopy"), outcomes)
    yield from checks_reported(context)


def _fetch(client: BseClient, partition: str, run_partitions: list[str]) -> PublishedFile:
    trade_date = partition_trade_date(partition)
    try:
        return client.fetch(trade_date)
    except BseSourceError as error:
        others = f"; none of this run's {len(run_partitions)} trade dates ({run_partitions[0]} .. {run_partitions[-1]}) was stored"
        raise Failure(
            description=f"trade date {trade_date}: {error}{others if len(run_partitions) > 1 else ''}",
            metadata={"url": error.url, "outcome": type(error).__name__},
        ) from error


def _raw_outcome(bse: BseSourceResource, storage: StorageResource, partition: str, published: PublishedFile) -> tuple[dict, CheckOutcome]:
    """The partition's metadata and its raw check's verdict; a failing file removes the date's clean table."""
    trade_date = partition_trade_date(partition)
    metadata = {
        "url": published.url,
        "file_name": published.file_name,
        "bytes": len(published.content),
        "sha256": hashlib.sha256(published.content).hexdigest(),
        "stored_at": storage.store().uri(raw_file_key("raw_bhavcopy", partition, published.file_name)),
    }
    try:
        raw, report = bse.validate_raw(published, trade_date)
        outcome = CheckOutcome(RAW_CHECK, partition, report.passed, report_metadata(report, raw.table))
        metadata |= {"format": raw.format.name, "rows": len(raw.table), "skipped_rows": len(raw.skipped_rows)}
    except BhavcopyError as error:
        outcome = CheckOutcome(RAW_CHECK, partition, False, error_metadata(error))
        metadata["format"] = "unreadable"
    if not outcome.passed:
        metadata["removed_clean_table"] = _discard_clean(storage, trade_date)
    return metadata, outcome


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
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=INGEST_TRADE_DATES_PER_RUN),
    metadata={"dagster/column_schema": column_schema(CLEAN_SCHEMA)},
    check_specs=[
        partitioned_check(
            "clean_bhavcopy", CLEAN_CHECK, "Types, one row per security, positive prices, low <= open <= high, known classes",
            blocking=True,
        ),
        partitioned_check(
            "clean_bhavcopy", CONTINUITY_CHECK, f"About as many securities as the previous session (at least "
            f"{MIN_SECURITIES_RATIO:.0%}), and their prev_close its close (at least {MIN_MATCHING_SHARE:.0%})", blocking=True,
        ),
        partitioned_check(
            "clean_bhavcopy", TURNOVER_CHECK, f"At most {MAX_UNTRUSTED_TURNOVER_SHARE:.0%} of traded rows have a turnover "
            "inconsistent with their prices (their vwap is null)",
        ),
    ],
)
def clean_bhavcopy(
    context: AssetExecutionContext,
    config: CleanBhavcopyConfig,
    bse: BseSourceResource,
    storage: StorageResource,
    raw_bhavcopy: Mapping[str, PublishedFile],
):
    """One typed row per security for the trade date, in the clean schema every feature reads.

    A file that does not parse or validate, or does not continue the previous session's table, fails
    a blocking check: nothing is written and the date's earlier clean table is removed (it no longer
    matches the raw file). The raw file's check is applied again, because a run of this asset alone
    is not blocked by an earlier failed raw check. A file without ISINs (legacy EQ) takes them from the
    security master, so each security has one class whatever the format. A run over a range writes all
    its dates or, when one fails, none (each date can then run alone).
    """
    key, store = AssetKey("clean_bhavcopy"), storage.store()
    built: dict[str, _CleanDate] = {}
    failed: dict[str, tuple[str, list[CheckOutcome]]] = {}
    master: dict | None = None
    for partition in sorted(raw_bhavcopy):
        trade_date = partition_trade_date(partition)
        try:
            raw, raw_report = bse.validate_raw(raw_bhavcopy[partition], trade_date)
            if not raw_report.passed:
                raise BrokenBhavcopyError(f"the raw file fails its check: {raw_report.summary('line')}", file=raw.file)
            if not raw.format.carries_isin and master is None:
                master = known_isins(store)
            parsed = clean_raw_bhavcopy(
                raw, trade_date, instrument_classes=config.instrument_classes, known_isins=None if raw.format.carries_isin else master
            )  # fmt: skip
        except BhavcopyError as error:
            failed[partition] = (str(error), [CheckOutcome(CLEAN_CHECK, partition, False, error_metadata(error))])
            continue
        outcome = CheckOutcome(CLEAN_CHECK, partition, parsed.validation.passed, report_metadata(parsed.validation, parsed.frame))
        previous = previous_trade_date(trade_date)
        in_run = built[previous.isoformat()].frame if previous and previous.isoformat() in built else None
        continuing = _continuity_outcome(store, parsed.frame, trade_date, partition, in_run)
        if outcome.passed and continuing.passed:
            built[partition] = _CleanDate(parsed, [outcome, continuing])
        else:
            problem = parsed.validation.summary(row_label="line") if not outcome.passed else continuing.metadata["problem"]
            failed[partition] = (problem, [outcome, continuing])

    if failed:
        for partition, (_, outcomes) in failed.items():
            _discard_clean(storage, partition_trade_date(partition))
            yield from evaluations(context, key, outcomes)
        problems = "; ".join(f"trade date {partition}: {problem}" for partition, (problem, _) in failed.items())
        others = f" (of this run's {len(raw_bhavcopy)} trade dates, none; the others can run without these)" if built else ""
        raise Failure(description=f"{problems}; nothing was written{others}")

    for partition, date in built.items():
        context.add_asset_metadata(date.metadata(), partition_key=partition)
    yield Output(pd.concat([date.parsed.frame for date in built.values()], ignore_index=True))
    yield from evaluations(
        context, key, [o for partition, date in built.items() for o in [*date.outcomes, _turnover_outcome(date.frame, partition)]]
    )
    yield from checks_reported(context)


@dataclasses.dataclass(frozen=True)
class _CleanDate:
    parsed: ParsedBhavcopy
    outcomes: list[CheckOutcome]  # its blocking checks' verdicts (passed)

    @property
    def frame(self) -> pd.DataFrame:
        return self.parsed.frame

    def metadata(self) -> dict[str, object]:
        parsed, frame = self.parsed, self.parsed.frame
        by_class = frame["instrument_class"].value_counts()
        return {
            "rows": len(frame),
            "securities": int(frame["security_code"].nunique()),
            **{f"rows_{name}": int(by_class.get(name, 0)) for name in INSTRUMENT_CLASSES},
            "isins_from_master": parsed.isins_from_master,
            "source_file": parsed.raw.file,
            "source_format": parsed.raw.format.name,
            "skipped_rows": MetadataValue.json([vars(row) for row in parsed.raw.skipped_rows]),
            "dropped_duplicate_lines": MetadataValue.json(list(parsed.dropped_duplicate_lines)),
            "ignored_columns": MetadataValue.json(list(parsed.raw.ignored_columns)),
            "preview": MetadataValue.md(_preview(frame)),
        }


def _continuity_outcome(
    store: ObjectStore, frame: pd.DataFrame, trade_date: dt.date, partition: str, previous: pd.DataFrame | None
) -> CheckOutcome:
    """Today's table against the previous session's (``previous`` when the run built it, else the
    stored one, when there is one; see ``continuity``)."""
    previous_day = previous_trade_date(trade_date)
    try:
        if previous_day is None:
            raise MissingPartitionsError(CLEAN_DATASET, [])
        if previous is None:
            previous = store.read_partitions(CLEAN_DATASET, [previous_day], columns=["security_code", "close"])
    except MissingPartitionsError:
        return CheckOutcome(CONTINUITY_CHECK, partition, True, {"previous_session": f"{previous_day} (not stored: nothing to compare)"})
    # A weekend special session is no partition: prev_close then refers to it, not to the stored one.
    weekend_session_between = len(EVERY_SESSION.sessions(previous_day, trade_date)) > 2
    found = continuity(frame, previous)
    problem = found.broken(compare_closes=not weekend_session_between)
    metadata = {
        "previous_session": str(previous_day),
        "securities": found.securities,
        "previous_securities": found.previous_securities,
        "matching_prev_close_share": round(found.matching_share, 4),
    }
    return CheckOutcome(CONTINUITY_CHECK, partition, problem is None, metadata | ({"problem": problem} if problem else {}))


def _discard_clean(storage: StorageResource, day: dt.date) -> bool:
    """The date's stored clean table was made from an earlier file: remove it, so raw and clean never
    disagree and nothing builds on it (a feature run then fails naming the date). Whether there was one."""
    removed = storage.store().delete_partition(CLEAN_DATASET, day)
    if removed:
        get_dagster_logger().warning(f"removed the clean table of {day}: it was made from an earlier file than the one now stored")
    return removed


def _turnover_outcome(frame: pd.DataFrame, partition: str) -> CheckOutcome:
    traded = frame["volume"] > 0
    untrusted = traded & trusted_vwap(frame["turnover"], frame["volume"], frame["low"], frame["high"]).isna()
    share = untrusted.sum() / max(traded.sum(), 1)
    shown = frame.loc[untrusted, ["security_code", "name", "low", "high", "volume", "turnover"]]
    metadata = rows_metadata(shown) | {"untrusted_share": round(float(share), 4)}
    return CheckOutcome(TURNOVER_CHECK, partition, share <= MAX_UNTRUSTED_TURNOVER_SHARE, metadata)


def _preview(frame: pd.DataFrame) -> str:
    return frame[_PREVIEW_COLUMNS].head(10).to_markdown(index=False)

"""One asset per feature family, partitioned by trade date, computed on split-adjusted prices.

The families are the outputs of one multi-asset, so a run reads the clean and corporate-action
history once and adjusts prices once for all of them; each family can still be materialized alone.
A family's partition D depends on the clean and corporate-action partitions of D (that is what a
backfill of N dates targets: N partitions per asset) and reads the history before D its values need,
each security's own trading days (``features.history``), from the store itself; a missing date in
it fails the run, naming it. A run over a range computes each family once over the range and its
history (``BackfillPolicy.multi_run``: at most MAX_TRADE_DATES_PER_RUN dates per run, bounding
memory on long backfills) and stores each date as its own partition with its own metadata and
check evaluations. Each family's drift check judges a date against the DRIFT_WINDOW trade dates
before it (``features.drift``): those of the run from its rows, earlier ones from the store in one
read per family, made while the families compute. A run that selects a family's checks without the
family re-evaluates them on the stored partitions. Corporate actions that change after features
were built are followed up by the sensor in defs/automation.py.
"""

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    BackfillPolicy,
    Config,
    Failure,
    MetadataValue,
    Output,
    ResourceParam,
    TableColumn,
    TableSchema,
    multi_asset,
)
from pydantic import Field

from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.defs.checks import CheckOutcome, checks_reported, evaluations, partitioned_check, report_metadata, rows_metadata
from bse_platform.defs.conventions import OWNERS, layer_tags
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN, TRADE_DATE_PARTITIONS, partition_trade_date, trade_dates_through
from bse_platform.defs.resources import StorageResource
from bse_platform.features.catalog import FAMILIES, describe
from bse_platform.features.compute import compute_families
from bse_platform.features.drift import (
    DRIFT_CHECK, DRIFT_WINDOW, KS_DRIFT, MIN_VALUES, PSI_DRIFT, DriftReport, reference_dates, trailing_drift,
)  # fmt: skip
from bse_platform.features.family import FamilyResult, FeatureFamily
from bse_platform.features.history import ACTIONS, CLEAN, read_history
from bse_platform.features.tracking import log_family_run
from bse_platform.features.quality import MAX_NULL_SHARE_AFTER_WARMUP, NULLS_CHECK, SCHEMA_CHECK, feature_schema, null_share_after_warmup
from bse_platform.memory import freed_memory_kept
from bse_platform.settings import SETTINGS
from bse_platform.storage import MissingPartitionsError, ObjectStore
from bse_platform.validation import validate



class FeatureConfig(Config):
    instrument_classes: list[str] = Field(default=list(EQUITY_CLASSES), description="Instrument classes to compute features for")
    publication_time: str = Field(
        default=SETTINGS.publication_time.strftime("%H:%M"),
        description="IST time a trade date's values count as known: available_at (BSE_PUBLICATION_TIME)",
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
    return [
        partitioned_check(family.name, SCHEMA_CHECK, "Unique keys, no infinities, values within their bounds", blocking=True),
        partitioned_check(family.name, NULLS_CHECK, f"At most {MAX_NULL_SHARE_AFTER_WARMUP:.0%} nulls where a value was expected"),
        *(partitioned_check(family.name, check.name, check.description) for check in family.row_checks),
        partitioned_check(
            family.name, DRIFT_CHECK,
            f"Each feature's values against those of the {DRIFT_WINDOW} trade dates before (KS and PSI): drifted if "
            f"PSI > {PSI_DRIFT} or KS statistic > {KS_DRIFT}; features with under {MIN_VALUES} values either side are not evaluated",
        ),  # fmt: skip
    ]


@multi_asset(
    name="feature_families",
    outs={
        family.name: AssetOut(
            is_required=False,  # each family can be materialized alone
            io_manager_key="parquet_io_manager",
            group_name="features",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            tags=layer_tags("features"),
            description=f"{family.description}. Partition D reads clean_bhavcopy and corporate_actions back to "
            f"{family.own_days} own trading days of each security before D (its history).",
            metadata={"dagster/column_schema": _column_schema(family), "history_own_days": family.own_days},
        )
        for family in FAMILIES.values()
    },
    deps=[CLEAN, ACTIONS],
    partitions_def=TRADE_DATE_PARTITIONS,
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=MAX_TRADE_DATES_PER_RUN),
    check_specs=[spec for family in FAMILIES.values() for spec in _checks_of(family)],
    can_subset=True,
)  # fmt: skip
def feature_families(
    context: AssetExecutionContext, config: FeatureConfig, storage: StorageResource, mlflow: ResourceParam[Any]
):
    """Every selected family, from one read of the history and one adjusted panel; each family
    materialized logs a run in MLflow, in the Dagster run's own (``mlflow``: defs/tracking.py)."""
    runs = _FamilyRuns(context, mlflow.active_run())
    try:
        with freed_memory_kept():  # the run's arrays reuse the memory of those freed before them
            yield from _materialize(context, config, storage, runs)
    except BaseException:
        runs.wait()
        _tracked(context, "end the MLflow run", mlflow.end_run, status="FAILED")
        raise
    runs.wait()
    _tracked(context, "end the MLflow run", mlflow.end_run)


def _tracked(context: AssetExecutionContext, what: str, call, *args, **kwargs) -> None:
    """MLflow records the build; it is not part of it. A tracking server gone away is a warning,
    never a half-written run of families (the run's outputs are written by then)."""
    try:
        call(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 (MlflowException, a connection error, a full disk: all the same here)
        context.log.warning(f"could not {what}: {type(error).__name__}: {error}")


class _FamilyRuns:
    """The MLflow run of each family materialized, nested in ``parent`` (the Dagster run's), logged in
    a thread beside the rest of the run's work: the tracking store's writes take some 60 ms a family."""

    def __init__(self, context: AssetExecutionContext, parent):
        self._context, self._parent = context, parent
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow")
        self._logged: dict[str, Future] = {}
        if parent is None:
            context.log.warning("no active MLflow run: the families' runs are not logged")

    def log(self, family: FeatureFamily, result: FamilyResult, partitions: list[str]) -> None:
        if self._parent is None:
            return
        # Not dagster-mlflow's `dagster_run_id` tag: it resumes the first run carrying it as the Dagster run's own.
        tags = {"dagster.run_id": self._context.run.run_id, "dagster.asset_key": family.name}
        self._logged[family.name] = self._pool.submit(log_family_run, self._parent.info, family, result, partitions, tags)

    def wait(self) -> None:
        """Until every run is logged; one that could not be is a warning."""
        self._pool.shutdown()
        for name, logged in self._logged.items():
            _tracked(self._context, f"log {name} in MLflow", logged.result)


def _materialize(context: AssetExecutionContext, config: FeatureConfig, storage: StorageResource, runs: _FamilyRuns):
    built = {key.path[-1] for key in context.selected_asset_keys}
    rechecked = {key.asset_key.path[-1] for key in context.selected_asset_check_keys} - built
    partitions = _partitions_of_run(context, built, rechecked)
    families = [FAMILIES[name] for name in FAMILIES if name in built | rechecked]
    days = [partition_trade_date(key) for key in partitions]
    sessions = trade_dates_through(days[-1])
    store = storage.store()
    try:
        history = read_history(
            store, sessions, days, max(family.own_days for family in families),
            instrument_classes=config.instrument_classes,
        )  # fmt: skip
    except MissingPartitionsError as error:
        raise Failure(description=_missing_history(error, days), metadata={"missing": [d.isoformat() for d in error.trade_dates]}) from error
    left_out = _left_out_by_class(store, days, config.instrument_classes)
    context.log.info(
        f"read {len(history.clean):,} clean rows over {history.sessions_read:,} sessions; "
        f"left out, of other classes: {left_out.sum().to_dict()}"
    )
    references = reference_dates(sessions, days)
    # The drift references are read while the families compute: Arrow's scan releases the GIL as NumPy's loops do.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="references") as reader:
        stored_references = reader.submit(lambda: {f.name: _stored_reference_rows(store, f, references) for f in families})
        results = compute_families(
            families, history.clean, history.actions, days, instrument_classes=config.instrument_classes,
            publication_time=dt.time.fromisoformat(config.publication_time),
        )  # fmt: skip

    failed_blocking = []
    for family in families:
        result = results[family.name]
        if family.name in rechecked:
            try:
                result = _with_stored_rows(result, store.read_partitions(family.name, days))
            except MissingPartitionsError as error:
                raise Failure(description=f"{error}: nothing to check; materialize it first") from error
        values = pd.concat([stored_references.result()[family.name], result.rows[["trade_date", *family.columns]]])
        outcomes = list(_outcomes(family, result, partitions, trailing_drift(values, family.columns, references)))
        blocked = sorted({o.partition for o in outcomes if o.check == SCHEMA_CHECK and not o.passed})
        if family.name in built and not blocked:
            for partition, metadata in _partition_metadata(family, result, partitions, left_out):
                context.add_asset_metadata(metadata, asset_key=AssetKey(family.name), partition_key=partition)
            yield Output(result.rows, output_name=family.name)
            runs.log(family, result, partitions)
        elif blocked:  # nothing of the run is written; only the failures are reported
            outcomes = [o for o in outcomes if o.partition in blocked and o.check == SCHEMA_CHECK]
            failed_blocking.append(f"{family.name} ({', '.join(blocked)})")
        yield from evaluations(context, AssetKey(family.name), outcomes)
    yield from checks_reported(context)
    if failed_blocking:
        raise Failure(description=f"{SCHEMA_CHECK} failed for {'; '.join(failed_blocking)}; nothing of these families was written")


def _partitions_of_run(context: AssetExecutionContext, built: set[str], rechecked: set[str]) -> list[str]:
    """The run's partitions; a run of checks alone without a partition (the UI's "Execute all")
    re-evaluates the partition materialized last, whose checks the UI shows as the latest."""
    if context.has_partition_key or context.has_partition_key_range:
        return list(context.partition_keys)
    events = [context.instance.get_latest_materialization_event(AssetKey(name)) for name in sorted(built | rechecked)]
    if built or not any(events):
        raise Failure(description="feature families are materialized per trade date: choose a partition or a range")
    return sorted({event.dagster_event.partition for event in events if event is not None})


def _missing_history(error: MissingPartitionsError, days: list[dt.date]) -> str:
    """Which of the run's dates read the missing ones: those from the first missing date on."""
    needing = [day for day in days if day >= error.trade_dates[0]]
    others = "; the dates before it can run on their own" if len(needing) < len(days) else ""
    return (
        f"{error}; the history of {len(needing)} of this run's {len(days)} trade dates reads it "
        f"({needing[0]} .. {needing[-1]}). Materialize {error.dataset} for it first{others}."
    )


def _with_stored_rows(result: FamilyResult, stored: pd.DataFrame) -> FamilyResult:
    """The result's check inputs, aligned to the rows stored for its dates (what a re-check judges)."""
    keys = ["trade_date", "security_code"]
    index = pd.MultiIndex.from_frame(result.rows[keys])
    at = pd.MultiIndex.from_frame(stored[keys])
    expected = result.expected.set_axis(index).reindex(at, fill_value=False).reset_index(drop=True)
    factor = result.action_factor.set_axis(index).reindex(at, fill_value=1.0).reset_index(drop=True)
    return FamilyResult(stored.reset_index(drop=True), expected, factor)


def _stored_reference_rows(store: ObjectStore, family: FeatureFamily, references: dict[dt.date, list[dt.date]]) -> pd.DataFrame:
    """The family's stored rows of the reference dates outside the run (those inside are in its rows), in
    one read: for a range, the DRIFT_WINDOW dates before it. A date never stored is left out."""
    outside = set().union(*references.values()) - references.keys()
    return store.read_partitions(family.name, sorted(outside.intersection(store.stored_partitions(family.name))), columns=family.columns)


def _outcomes(family: FeatureFamily, result: FamilyResult, partitions: list[str], drift: dict[dt.date, DriftReport]):
    """Every check of the family on every partition of the run."""
    rows = result.rows
    report = validate(rows, feature_schema(family))
    null_shares = null_share_after_warmup(result)
    failing = {check.name: rows.index[check.failing(result)] for check in family.row_checks}
    by_day = _rows_by_day(rows)
    shares_by_day = {day: shares for day, shares in null_shares.iterrows()}  # a row's lookup by date, once
    for partition in partitions:
        day = pd.Timestamp(partition_trade_date(partition))
        of_day = by_day.get(day, rows.index[:0])
        day_report = report.restricted_to(of_day)
        yield CheckOutcome(SCHEMA_CHECK, partition, day_report.passed, report_metadata(day_report, rows, "row"))
        shares = shares_by_day.get(day, pd.Series(dtype=float))
        yield CheckOutcome(
            NULLS_CHECK, partition, bool((shares <= MAX_NULL_SHARE_AFTER_WARMUP).all()),
            {"highest_null_share": float(shares.max()) if len(shares) else 0.0,
             "highest_null_shares": MetadataValue.json(shares.nlargest(5).round(4).to_dict())},
        )  # fmt: skip
        for check in family.row_checks:
            bad = rows.loc[of_day.intersection(failing[check.name]), list(check.shown_columns)]
            yield CheckOutcome(check.name, partition, bad.empty, rows_metadata(bad))
        yield _drift_outcome(partition, drift[day.date()])


def _rows_by_day(rows: pd.DataFrame) -> dict[pd.Timestamp, pd.Index]:
    """Each trade date's row labels, found in one pass (a range has hundreds of dates)."""
    return {day: rows.index[positions] for day, positions in rows.groupby("trade_date", sort=False).indices.items()}


def _drift_outcome(partition: str, report: DriftReport) -> CheckOutcome:
    """Counts and extremes the UI plots across partitions, and each feature's statistics."""
    dates, features = report.reference_dates, report.features
    metadata = {
        "features_drifted": len(report.drifted),
        "drifted_features": MetadataValue.json(report.drifted),
        "features_evaluated": int(features["evaluated"].sum()),
        "reference_dates": len(dates),
        "reference": f"{dates[0]} .. {dates[-1]}" if dates else f"none: no trade date of the {DRIFT_WINDOW} before it is stored",
    }
    if dates:
        metadata["statistics"] = MetadataValue.md(features.to_markdown(floatfmt=".4g"))
    if features["evaluated"].any():
        metadata |= {"max_psi": float(features["psi"].max()), "max_ks_statistic": float(features["ks_statistic"].max())}
    return CheckOutcome(DRIFT_CHECK, partition, not report.drifted, metadata)


def _left_out_by_class(store: ObjectStore, days: list[dt.date], kept: list[str]) -> pd.DataFrame:
    """Per trade date (rows) and instrument class (columns): the clean rows no feature is computed for."""
    classes = store.read_partitions(CLEAN, days, columns=["instrument_class"])
    other = classes[~classes["instrument_class"].isin(kept)]
    return pd.crosstab(other["trade_date"], other["instrument_class"]).reindex(pd.to_datetime(days), fill_value=0)


def _partition_metadata(family: FeatureFamily, result: FamilyResult, partitions: list[str], left_out: pd.DataFrame):
    """Per partition: rows, securities, null shares (numbers the UI plots across partitions) and the
    rows of other instrument classes left out."""
    rows = result.rows
    by_day = rows.groupby("trade_date", sort=False)
    counts = by_day.size()
    securities = by_day["security_code"].nunique()
    null_shares = rows[family.columns].isna().groupby(rows["trade_date"], sort=False).mean()
    for partition in partitions:
        day = pd.Timestamp(partition_trade_date(partition))
        nulls = null_shares.loc[day] if day in null_shares.index else pd.Series(0.0, index=family.columns)
        yield partition, {
            "rows": int(counts.get(day, 0)),
            "securities": int(securities.get(day, 0)),
            "null_share": round(float(nulls.mean()), 4),
            "null_share_by_column": MetadataValue.json(nulls.round(4).to_dict()),
            "rows_left_out": int(left_out.loc[day].sum()),
            "rows_left_out_by_class": MetadataValue.json({k: int(v) for k, v in left_out.loc[day].items() if v}),
        }

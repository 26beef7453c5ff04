"""A point-in-time training set as an asset: label events joined to the features known before them.

Configured in the launchpad: which trade dates, which features, the staleness limit, and either
forward-return labels built by the platform or a Parquet file of your own events in the object store.
The set is written to ``training_sets/<name>/data.parquet`` only after its leakage audit passed; the
audit is the asset's check, its counts are the materialization's metadata.
"""

import datetime as dt
import io

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from pydantic import Field

from bse_platform.defs.conventions import OWNERS, layer_tags
from bse_platform.defs.partitions import TRADING_CALENDAR
from bse_platform.defs.resources import StorageResource
from bse_platform.features.catalog import FAMILIES, describe
from bse_platform.training import (
    DEFAULT_MAX_STALENESS,
    LABEL_HORIZONS,
    available_at_column,
    forward_return_labels,
    label_column,
    point_in_time_join,
    trade_date_column,
)
from bse_platform.training.labels import RETURNS

LEAKAGE_CHECK = "no_leakage"
TRAINING_SETS = "training_sets"


class TrainingSetConfig(Config):
    name: str = Field(default="forward_returns", description=f"The set's name: written to {TRAINING_SETS}/<name>/data.parquet")
    start: str | None = Field(default=None, description="First trade date of the events (ISO); default: a year before end")
    end: str | None = Field(default=None, description="Last trade date of the events (ISO); default: the last stored returns partition")
    features: list[str] = Field(default=list(FAMILIES), description="Families and single features to join (default: every family)")
    horizons: list[int] = Field(default=list(LABEL_HORIZONS), description="Forward-return labels, in trade dates ahead")
    max_staleness_days: float = Field(default=DEFAULT_MAX_STALENESS.days, description="Values older than this at the event are null")
    drop_missing: bool = Field(default=False, description="Drop events lacking a value of some family (else kept with nulls)")
    events_key: str | None = Field(
        default=None, description="A Parquet file of your own events in the object store (key under the base URI): "
        "security_code, event_time (tz-aware), labels; replaces the forward-return labels",
    )  # fmt: skip


def _column_schema() -> TableSchema:
    """The default set's columns: the label events, then each family's as-of keys and features."""
    columns = [
        TableColumn("security_code", "int", description="BSE scrip code"),
        TableColumn("trade_date", "date", description="the label's trade date"),
        TableColumn("event_time", "timestamp", description="the decision moment: a minute after the trade date's publication"),
        *(TableColumn(label_column(h), "float", description=f"return from the trade date's close to the close {h} trade date(s) later")
          for h in LABEL_HORIZONS),
    ]  # fmt: skip
    for family in FAMILIES.values():
        columns += [
            TableColumn(trade_date_column(family.name), "date", description=f"trade date of the {family.name} values joined"),
            TableColumn(available_at_column(family.name), "timestamp", description="their publication: strictly before event_time"),
            *(TableColumn(spec.name, "float", description=describe(spec)) for spec in family.features),
        ]
    return TableSchema(columns=columns)


@asset(
    deps=[AssetKey(name) for name in FAMILIES],
    metadata={"dagster/column_schema": _column_schema()},
    group_name="training",
    kinds={"duckdb", "parquet"},
    owners=OWNERS,
    tags=layer_tags("training"),
    check_specs=[AssetCheckSpec(LEAKAGE_CHECK, asset="training_set", blocking=True,
                                description="Every joined value was published strictly before its event")],  # fmt: skip
)
def training_set(context: AssetExecutionContext, config: TrainingSetConfig, storage: StorageResource):
    """Label events (forward returns of the configured trade dates, or your own) with every selected
    feature's latest value published strictly before each event, null beyond the staleness limit."""
    store = storage.store()
    if config.events_key:
        events = pd.read_parquet(io.BytesIO(store.read_bytes(config.events_key)))
    else:
        start, end = _label_range(store.stored_partitions(RETURNS), config)
        events = forward_return_labels(store, TRADING_CALENDAR, start, end, horizons=config.horizons)
    try:
        training = point_in_time_join(
            store, events, config.features, max_staleness=pd.Timedelta(days=config.max_staleness_days), drop_missing=config.drop_missing
        )
    except (KeyError, ValueError) as error:
        raise Failure(description=str(error)) from error
    audit = training.audit.as_dict()
    yield AssetCheckResult(check_name=LEAKAGE_CHECK, passed=training.audit.passed, metadata=audit)
    if not training.audit.passed:
        raise Failure(description=f"{training.audit.violations} joined value(s) were not known before their event; nothing written")
    key = f"{TRAINING_SETS}/{config.name}/data.parquet"
    store.write_parquet(key, pa.Table.from_pandas(training.frame, preserve_index=False))
    frame = training.frame
    yield MaterializeResult(
        metadata={
            "uri": MetadataValue.path(store.uri(key)),
            "rows": len(frame),
            "securities": int(frame["security_code"].nunique()),
            "features": sum(map(len, training.features.values())),
            "first_event": frame["event_time"].min().isoformat() if len(frame) else "",
            "last_event": frame["event_time"].max().isoformat() if len(frame) else "",
            "partitions_read": MetadataValue.json(training.partitions_read),
            **{name: value for name, value in audit.items() if name != "passed"},
        }
    )


def _label_range(stored: list[dt.date], config: TrainingSetConfig) -> tuple[dt.date, dt.date]:
    if not stored:
        raise Failure(description=f"no {RETURNS} partition is stored: materialize the feature families first")
    end = dt.date.fromisoformat(config.end) if config.end else stored[-1]
    start = dt.date.fromisoformat(config.start) if config.start else end - dt.timedelta(days=365)
    if start > end:
        raise Failure(description=f"start {start} is after end {end}")
    return start, end

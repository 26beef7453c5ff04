"""The corporate_actions asset: BSE's corporate-actions export as price and volume factors.

Partition D holds the actions taking effect in session D (ex-date D, or the non-session days just
before it). Each partition's materialization records a digest of its actions; when a re-run changes
it (an action announced or corrected late), the ``recompute_features_after_late_corporate_actions``
sensor re-runs the feature partitions already built from D to a lookback later (defs/sensors.py).
"""

import datetime as dt
import hashlib

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Failure, MetadataValue, Output, asset

from bse_platform.bse import BseSourceError
from bse_platform.corporate_actions.export import CorporateActionsError, corporate_action_factors, read_corporate_actions_export
from bse_platform.defs.checks import checks_reported, partition_evaluation, partitioned_check
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN, TRADE_DATE_PARTITIONS, TRADING_CALENDAR, partition_trade_date
from bse_platform.defs.resources import BseSourceResource

UNPARSED_CHECK = "every_purpose_is_understood"
DIGEST = "actions_digest"
_TEXT_COLUMNS = ("kind", "purpose", "detail")


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    io_manager_key="parquet_io_manager",
    group_name="corporate_actions",
    kinds={"parquet"},
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=MAX_TRADE_DATES_PER_RUN),
    check_specs=[partitioned_check("corporate_actions", UNPARSED_CHECK, "Split/bonus/consolidation texts whose ratio could not be read (kept, never guessed)")],
)  # fmt: skip
def corporate_actions(context: AssetExecutionContext, bse: BseSourceResource):
    """Splits, bonus issues and consolidations (and dividends, rights, others, with factor 1) per
    security and session: multiply prices before the ex-date by ``price_factor``, volumes by
    ``volume_factor``. One download of BSE's export covers the run's whole range."""
    days = [partition_trade_date(key) for key in context.partition_keys]
    first_day = _day_after_previous_session(days[0])
    client = bse.client()
    try:
        published = client.fetch_corporate_actions(first_day, days[-1])
        export = read_corporate_actions_export(published.content, file=published.file_name)
    except (BseSourceError, CorporateActionsError) as error:
        raise Failure(description=f"corporate actions {first_day}..{days[-1]}: {error}") from error
    finally:
        client.close()

    actions = corporate_action_factors(export)
    actions["trade_date"] = _session_taking_effect(actions["ex_date"], days)
    actions = actions.astype({name: "string" for name in _TEXT_COLUMNS})[["trade_date", *actions.columns.drop("trade_date")]]
    for day, key in zip(days, context.partition_keys):
        of_day = actions[actions["trade_date"] == pd.Timestamp(day)]
        context.add_asset_metadata(
            {
                "actions": len(of_day),
                "by_kind": MetadataValue.json(of_day["kind"].value_counts().to_dict()),
                DIGEST: _digest(of_day),
            },
            partition_key=key,
        )
    yield Output(actions, metadata={"source": published.url})
    yield from _unparsed_evaluations(actions, days, context.partition_keys)
    yield from checks_reported(context)


def _digest(actions: pd.DataFrame) -> str:
    """What a partition's actions say, as a hash: a new value means features after it are stale."""
    canonical = actions.drop(columns="trade_date").sort_values(["security_code", "ex_date", "detail"]).to_csv(index=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _day_after_previous_session(day: dt.date) -> dt.date:
    """Ex-dates on the days since the previous partition take effect on ``day`` (weekend sessions
    are no partitions, so their actions land on the next weekday session)."""
    earlier = TRADING_CALENDAR.sessions(day - dt.timedelta(days=14), day - dt.timedelta(days=1))
    return (earlier[-1] if earlier else day - dt.timedelta(days=1)) + dt.timedelta(days=1)


def _session_taking_effect(ex_dates: pd.Series, sessions: list[dt.date]) -> pd.Series:
    positions = pd.DatetimeIndex(pd.to_datetime(sessions)).searchsorted(ex_dates, side="left")
    return pd.Series(pd.to_datetime(sessions)[positions.clip(max=len(sessions) - 1)], index=ex_dates.index)


def _unparsed_evaluations(actions: pd.DataFrame, days: list[dt.date], keys: list[str]):
    for day, key in zip(days, keys):
        unparsed = actions[(actions["trade_date"] == pd.Timestamp(day)) & (actions["kind"] == "unparsed")]
        metadata = {"unparsed": len(unparsed)}
        if len(unparsed):
            metadata["rows"] = MetadataValue.md(unparsed[["security_code", "ex_date", "purpose"]].to_markdown(index=False))
        yield partition_evaluation(AssetKey("corporate_actions"), UNPARSED_CHECK, key, passed=unparsed.empty, metadata=metadata, blocking=False)

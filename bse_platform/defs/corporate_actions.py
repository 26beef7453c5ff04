"""The corporate_actions asset: BSE's corporate-actions export as price and volume factors.

Partition D holds the actions taking effect in session D (ex-date D, or the non-session days just
before it). Each partition's materialization records a digest of its actions; when a re-run changes
it (an action announced or corrected late), the ``recompute_features_after_late_corporate_actions``
sensor re-runs the feature partitions already built whose history reads the rows they adjust.
"""

import datetime as dt
import hashlib

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Failure, MetadataValue, Output, asset

from bse_platform.bse import BseSourceError
from bse_platform.corporate_actions import KINDS
from bse_platform.corporate_actions.export import (
    CORPORATE_ACTIONS_SCHEMA,
    CorporateActionsError,
    actions_by_session,
    corporate_action_factors,
    read_corporate_actions_export,
)
from bse_platform.defs.checks import CheckOutcome, checks_reported, evaluations, partitioned_check, rows_metadata
from bse_platform.defs.conventions import OWNERS, column_schema, layer_tags
from bse_platform.defs.partitions import MAX_TRADE_DATES_PER_RUN, TRADE_DATE_PARTITIONS, partition_trade_date, previous_trade_date
from bse_platform.defs.resources import BseSourceResource

UNPARSED_CHECK = "every_purpose_is_understood"
DIGEST = "actions_digest"
ACTION_SECURITIES = "securities"


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    io_manager_key="parquet_io_manager",
    group_name="corporate_actions",
    kinds={"parquet", "pandas"},
    owners=OWNERS,
    tags=layer_tags("clean"),
    metadata={"dagster/column_schema": column_schema(CORPORATE_ACTIONS_SCHEMA)},
    backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=MAX_TRADE_DATES_PER_RUN),
    pool="bse_downloads",
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

    actions = actions_by_session(corporate_action_factors(export), days)
    outcomes = []
    for day, partition in zip(days, context.partition_keys):
        of_day = actions[actions["trade_date"] == pd.Timestamp(day)]
        by_kind = of_day["kind"].value_counts()
        context.add_asset_metadata(
            {
                "actions": len(of_day),
                **{f"actions_{kind}": int(by_kind.get(kind, 0)) for kind in KINDS},
                DIGEST: _digest(of_day),
                ACTION_SECURITIES: MetadataValue.json(sorted(int(code) for code in of_day["security_code"].unique())),
            },
            partition_key=partition,
        )
        unparsed = of_day.loc[of_day["kind"] == "unparsed", ["security_code", "ex_date", "purpose"]]
        outcomes.append(CheckOutcome(UNPARSED_CHECK, partition, unparsed.empty, rows_metadata(unparsed)))
    yield Output(actions, metadata={"source": published.url})
    yield from evaluations(context, AssetKey("corporate_actions"), outcomes)
    yield from checks_reported(context)


def _digest(actions: pd.DataFrame) -> str:
    """What a partition's actions say, as a hash: a new value means features after it are stale."""
    canonical = actions.drop(columns="trade_date").sort_values(["security_code", "ex_date", "detail"]).to_csv(index=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _day_after_previous_session(day: dt.date) -> dt.date:
    """Ex-dates on the days since the previous partition take effect on ``day`` (weekend sessions
    are no partitions, so their actions land on the next weekday session)."""
    return (previous_trade_date(day) or day - dt.timedelta(days=1)) + dt.timedelta(days=1)

"""Jobs over the trade-date partitions."""

from dagster import AssetSelection, define_asset_job, multiprocess_executor

from bse_platform.defs.corporate_actions import corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.online import online_features

ingest_bhavcopy_job = define_asset_job(
    "ingest_bhavcopy",
    selection=AssetSelection.assets(raw_bhavcopy, clean_bhavcopy),  # partitioned by trade date, as they are
    description="Download one trade date's bhavcopy, keep it as published, and write its clean table",
)

build_features_job = define_asset_job(
    "build_features",
    selection=AssetSelection.assets(corporate_actions, feature_families),
    description="Corporate actions and every feature family for a trade date or a range (one computation per range)",
)

# Each step in a process of its own, forked from a server that imported the code location once (by
# Dagster's default, `spawn`, every step re-imports it: seconds per step; `make bench WHAT=executor`).
# For the unattended daily run, a step that dies (out of memory, say) fails as a step, with its
# own error, instead of taking the run's process with it.
STEP_PROCESS_EXECUTOR = multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": ["bse_platform.definitions"]}}}
)

daily_trade_date_job = define_asset_job(
    "daily_trade_date",
    selection=AssetSelection.assets(raw_bhavcopy, clean_bhavcopy, corporate_actions, feature_families, online_features),
    description="One trade date from BSE's file to the online store: what the sensor and the schedule run",
    executor_def=STEP_PROCESS_EXECUTOR,
)

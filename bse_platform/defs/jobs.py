"""Jobs over the trade-date partitions."""

from dagster import AssetSelection, define_asset_job

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

daily_trade_date_job = define_asset_job(
    "daily_trade_date",
    selection=AssetSelection.assets(raw_bhavcopy, clean_bhavcopy, corporate_actions, feature_families, online_features),
    description="One trade date from BSE's file to the online store: what the sensor and the schedule run",
)

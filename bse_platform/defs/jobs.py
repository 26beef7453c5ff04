"""Jobs over the trade-date partitions."""

from dagster import AssetSelection, define_asset_job

from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS

ingest_bhavcopy_job = define_asset_job(
    "ingest_bhavcopy",
    selection=AssetSelection.assets(raw_bhavcopy, clean_bhavcopy),
    partitions_def=TRADE_DATE_PARTITIONS,
    description="Download one trade date's bhavcopy, keep it as published, and write its clean table",
)

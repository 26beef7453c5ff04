"""Jobs over the trade-date partitions."""

from dagster import AssetSelection, define_asset_job

from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy

ingest_bhavcopy_job = define_asset_job(
    "ingest_bhavcopy",
    selection=AssetSelection.assets(raw_bhavcopy, clean_bhavcopy),  # partitioned by trade date, as they are
    description="Download one trade date's bhavcopy, keep it as published, and write its clean table",
)

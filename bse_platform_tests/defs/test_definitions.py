"""The code location as the UI loads it: assets, checks, job, partitions, settings from the environment."""

import datetime as dt
import os
import subprocess
import sys

from dagster import AssetCheckKey, AssetKey, EnvVar

from bse_platform.definitions import defs, storage_from_env
from bse_platform.defs.ingestion import CLEAN_CHECK, RAW_CHECK
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS
from bse_platform.features.catalog import FAMILIES


def test_dagster_validates_the_code_location():
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # a temporary instance
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "bse_platform.definitions"],
        capture_output=True, text=True, timeout=120, env=environment,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_assets_checks_and_job_are_defined():
    graph = defs.resolve_asset_graph()
    families = set(FAMILIES)
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "raw_bhavcopy", "clean_bhavcopy", "corporate_actions", "online_features"
    } | families  # fmt: skip
    assert graph.get(AssetKey("online_features")).parent_keys == {AssetKey("clean_bhavcopy")} | {AssetKey(f) for f in families}
    assert graph.get(AssetKey("clean_bhavcopy")).parent_keys == {AssetKey("raw_bhavcopy")}
    for family in families:
        assert graph.get(AssetKey(family)).parent_keys == {AssetKey("clean_bhavcopy"), AssetKey("corporate_actions")}
    check_keys = graph.asset_check_keys
    assert AssetCheckKey(AssetKey("raw_bhavcopy"), RAW_CHECK) in check_keys
    assert AssetCheckKey(AssetKey("clean_bhavcopy"), CLEAN_CHECK) in check_keys
    assert defs.resolve_job_def("ingest_bhavcopy").partitions_def == TRADE_DATE_PARTITIONS


def test_partitions_are_trade_dates():
    keys = set(TRADE_DATE_PARTITIONS.get_partition_keys())
    assert "2025-08-15" not in keys  # Independence Day
    assert "2025-08-16" not in keys and "2025-08-17" not in keys  # a weekend
    assert "2025-08-14" in keys
    assert "2024-11-01" in keys  # Muhurat trading on a Friday, an extra session XBOM calls a holiday
    assert "2021-11-04" in keys  # ... and on a Thursday
    assert "2025-02-01" not in keys  # a Budget-day Saturday session: weekends cannot be partitions
    assert len(TRADE_DATE_PARTITIONS.exclusions) < 500  # the definition stays small (see partitions.py)
    assert TRADE_DATE_PARTITIONS.timezone == "Asia/Kolkata"


def test_s3_credentials_are_environment_variables_read_at_run_time(monkeypatch):
    monkeypatch.setenv("BSE_STORAGE_URI", "s3://bse/platform")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "an-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-secret-value")
    storage = storage_from_env()
    assert storage.s3_access_key_id == EnvVar("AWS_ACCESS_KEY_ID")
    assert storage.s3_secret_access_key == EnvVar("AWS_SECRET_ACCESS_KEY")


def test_without_credentials_in_the_environment_s3_uses_the_default_aws_chain(monkeypatch):
    monkeypatch.setenv("BSE_STORAGE_URI", "s3://bse/platform")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    storage = storage_from_env()
    assert storage.s3_access_key_id is None and storage.s3_secret_access_key is None


def test_today_has_a_partition_from_midnight_ist():
    assert TRADE_DATE_PARTITIONS.end_offset == 1
    last = dt.date.fromisoformat(TRADE_DATE_PARTITIONS.get_last_partition_key())
    assert last >= dt.date.today() - dt.timedelta(days=4)  # today, or the last session before a weekend/holiday

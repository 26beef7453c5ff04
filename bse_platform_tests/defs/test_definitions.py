"""The code location as the UI loads it: assets, checks, job, partitions, settings from the environment."""

import datetime as dt
import os
import subprocess
import sys

from dagster import AssetCheckKey, AssetKey

from bse_platform.definitions import defs
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


def test_loading_the_code_location_prints_no_warnings():
    """What `make ui` and every run worker print on start: nothing a user can do nothing about."""
    code = "from bse_platform.definitions import defs\nfor job in defs.jobs: defs.resolve_job_def(job.name)"
    completed = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0 and "Warning" not in completed.stderr, completed.stderr[-2000:]


def test_assets_checks_and_job_are_defined():
    graph = defs.resolve_asset_graph()
    families = set(FAMILIES)
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "raw_bhavcopy", "clean_bhavcopy", "corporate_actions", "online_features", "training_set"
    } | families  # fmt: skip
    assert graph.get(AssetKey("training_set")).parent_keys == {AssetKey(f) for f in families}
    assert graph.get(AssetKey("online_features")).parent_keys == {AssetKey("clean_bhavcopy")} | {AssetKey(f) for f in families}
    assert graph.get(AssetKey("clean_bhavcopy")).parent_keys == {AssetKey("raw_bhavcopy")}
    for family in families:
        assert graph.get(AssetKey(family)).parent_keys == {AssetKey("clean_bhavcopy"), AssetKey("corporate_actions")}
    check_keys = graph.asset_check_keys
    assert AssetCheckKey(AssetKey("raw_bhavcopy"), RAW_CHECK) in check_keys
    assert AssetCheckKey(AssetKey("clean_bhavcopy"), CLEAN_CHECK) in check_keys
    assert defs.resolve_job_def("ingest_bhavcopy").partitions_def == TRADE_DATE_PARTITIONS


def test_every_asset_has_owners_tags_kinds_columns_and_code():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners and node.tags.get("layer") and node.kinds, key
        schema = node.metadata["dagster/column_schema"]
        assert schema.columns and all(column.description for column in schema.columns), key
        assert node.metadata["dagster/code_references"].code_references, key
    clean = graph.get(AssetKey("clean_bhavcopy")).metadata["dagster/column_schema"]
    assert [c.name for c in clean.columns][:3] == ["trade_date", "security_code", "isin"]


def test_every_check_is_partitioned_like_its_asset():
    """The UI's Checks › Partitions needs it; a check without partitions shows nothing there."""
    graph = defs.resolve_asset_graph()
    for check_key in graph.asset_check_keys:
        assert graph.get(check_key).partitions_def == graph.get(check_key.asset_key).partitions_def, check_key


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


def _resource_defaults(environment: dict[str, str], code: str) -> str:
    """What the code location makes of ``environment``, printed by ``code`` in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BSE_", "AWS_", "REDIS_URL"))} | environment
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout.strip()


def test_s3_credentials_are_environment_variables_read_at_run_time():
    printed = _resource_defaults(
        {"BSE_STORAGE_URI": "s3://bse/platform", "AWS_ACCESS_KEY_ID": "an-access-key", "AWS_SECRET_ACCESS_KEY": "a-secret-value"},
        "from bse_platform.definitions import defs; r = defs.resources; s3 = r['s3']; "
        "print(r['storage'].base_uri, type(s3.aws_access_key_id).__name__, s3.aws_access_key_id.env_var_name, "
        "s3.aws_secret_access_key.env_var_name, r['storage'].s3 is s3)",
    )
    assert printed == "s3://bse/platform EnvVar AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY True"  # names, never values


def test_without_credentials_in_the_environment_s3_uses_the_default_aws_chain():
    printed = _resource_defaults(
        {"BSE_STORAGE_URI": "s3://bse/platform"},
        "from bse_platform.defs.resources import s3_from_settings; s3 = s3_from_settings(); print(s3.aws_access_key_id, s3.aws_secret_access_key)",
    )
    assert printed == "None None"


def test_editing_one_field_at_launch_keeps_the_others_from_the_environment(tmp_path):
    """Run config naming one field of the ``bse`` resource: the mirror URL still comes from the environment."""
    printed = _resource_defaults(
        {"BSE_MIRROR_URL": "http://127.0.0.1:8765", "BSE_MIN_ROWS": "50", "DAGSTER_HOME": str(tmp_path)},
        "from dagster import asset, materialize, DagsterInstance\n"
        "from bse_platform.defs.resources import BseSourceResource\n"
        "@asset\n"
        "def probe(bse: BseSourceResource):\n"
        "    print(bse.client().base_url, bse.min_rows, bse.timeout_seconds)\n"
        "materialize([probe], resources={'bse': BseSourceResource()}, instance=DagsterInstance.ephemeral(),\n"
        "    run_config={'resources': {'bse': {'config': {'timeout_seconds': 5}}}})",
    )
    assert "http://127.0.0.1:8765/download/BhavCopy/Equity/ 50 5.0" in printed


def test_today_has_a_partition_from_midnight_ist():
    assert TRADE_DATE_PARTITIONS.end_offset == 1
    last = dt.date.fromisoformat(TRADE_DATE_PARTITIONS.get_last_partition_key())
    assert last >= dt.date.today() - dt.timedelta(days=4)  # today, or the last session before a weekend/holiday

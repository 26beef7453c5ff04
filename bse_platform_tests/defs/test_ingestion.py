"""raw_bhavcopy and clean_bhavcopy run through a real Dagster instance against the BSE mirror."""

import hashlib
import uuid

import pandas as pd
import pytest
from dagster import AssetKey, EnvVar, materialize
from dagster_aws.s3 import S3Resource
from dagster._serdes import serialize_value

from bse_platform.bse import parse_bhavcopy
from bse_platform.definitions import build_resources
from bse_platform.defs.ingestion import CLEAN_CHECK, CONTINUITY_CHECK, RAW_CHECK, clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.mirror.generator import published_file, render_bhavcopy
from bse_platform.storage import ObjectStore
from bse_platform_tests.conftest import ERA_SESSIONS, RECENT_SESSIONS
from bse_platform_tests.s3 import ACCESS_KEY, SECRET_KEY, moto_s3_endpoint

DAY, NEXT_DAY = RECENT_SESSIONS[0], RECENT_SESSIONS[1]


def ingest(mirror, storage: StorageResource, day, instance, selection=None, *, through=None, **bse_settings):
    """Materialize raw and clean for ``day`` (through ``through``: a range, in one run, as a backfill runs it)."""
    settings = {"min_rows": 10, "min_interval_seconds": 0, "retries": 1, "backoff_seconds": 0.01} | bse_settings
    partition = {"partition_key": day.isoformat()} if through is None else {
        "tags": {"dagster/asset_partition_range_start": day.isoformat(), "dagster/asset_partition_range_end": through.isoformat()}
    }  # fmt: skip
    return materialize(
        [raw_bhavcopy, clean_bhavcopy],
        **partition,
        instance=instance,
        resources=build_resources(storage, BseSourceResource(mirror_url=mirror.root_url, **settings)),
        selection=selection,
        raise_on_error=False,
    )


def checks_of(result) -> dict[str, object]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def materialized(result) -> set[str]:
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def failure_message(result) -> str:
    return " ".join(str(event.step_failure_data.error) for event in result.get_step_failure_events())


@pytest.fixture
def local(tmp_path):
    return StorageResource(base_uri=str(tmp_path / "data"))


def test_published_day_is_kept_as_published_and_cleaned(mirror, local, instance):
    result = ingest(mirror, local, DAY, instance)
    assert result.success, failure_message(result)
    store = local.store()
    content = mirror.site.content(DAY)
    file_name = mirror.site.file_name(DAY)

    raw_key = f"raw_bhavcopy/trade_date={DAY}/{file_name}"
    assert store.list_files("raw_bhavcopy") == [raw_key]
    assert store.read_bytes(raw_key) == content
    raw_meta = instance.get_latest_materialization_event(AssetKey("raw_bhavcopy")).asset_materialization.metadata
    assert raw_meta["sha256"].value == hashlib.sha256(content).hexdigest()
    assert raw_meta["format"].value == "udiff"
    assert raw_meta["url"].value == mirror.base_url + file_name

    clean = pd.read_parquet(store.uri("clean_bhavcopy"))
    expected = parse_bhavcopy(content, file_name, instrument_classes=None)
    assert len(clean) == len(expected) == len(mirror.site.market.day(DAY))
    pd.testing.assert_series_equal(
        clean.sort_values("security_code")["close"].reset_index(drop=True), expected["close"].sort_index(),
        check_names=False,
    )  # fmt: skip

    checks = checks_of(result)
    assert checks[RAW_CHECK].passed and checks[CLEAN_CHECK].passed
    assert checks[CLEAN_CHECK].partition == DAY.isoformat()


def test_rerun_replaces_exactly_that_partition(mirror, local, instance):
    assert ingest(mirror, local, DAY, instance).success
    assert ingest(mirror, local, NEXT_DAY, instance).success
    store = local.store()
    next_day_before = store.read_bytes(f"clean_bhavcopy/trade_date={NEXT_DAY}/data.parquet")

    fewer = mirror.site.market.day(DAY).iloc[:-5]
    _, corrected = published_file(fewer, "udiff", DAY)
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=corrected)
    assert ingest(mirror, local, DAY, instance).success

    assert len(store.read_partitions("clean_bhavcopy", [DAY])) == len(fewer)
    assert store.read_bytes(f"clean_bhavcopy/trade_date={NEXT_DAY}/data.parquet") == next_day_before
    assert len(store.list_files(f"raw_bhavcopy/trade_date={DAY}")) == 1
    assert len(store.list_files(f"clean_bhavcopy/trade_date={DAY}")) == 1


def test_not_published_fails_and_stores_nothing(mirror, local, instance):
    mirror.site.published_through = ERA_SESSIONS[-1]
    result = ingest(mirror, local, DAY, instance)
    assert not result.success
    assert "HTML page" in failure_message(result)
    assert local.store().list_files("") == []


def test_stale_file_is_kept_as_served_and_blocks_clean(mirror, local, instance):
    mirror.site.set_fault(mirror.site.file_name(NEXT_DAY), 200, body=mirror.site.content(DAY))
    result = ingest(mirror, local, NEXT_DAY, instance)
    assert not result.success
    check = checks_of(result)[RAW_CHECK]
    assert not check.passed
    assert "stale" in check.metadata["error"].value and str(DAY) in check.metadata["error"].value
    assert local.store().list_files("raw_bhavcopy") == [f"raw_bhavcopy/trade_date={NEXT_DAY}/{mirror.site.file_name(NEXT_DAY)}"]
    assert materialized(result) == {"raw_bhavcopy"}
    assert local.store().list_files("clean_bhavcopy") == []


def test_truncated_zip_is_kept_and_fails_the_raw_check(mirror, local, instance):
    day = ERA_SESSIONS[0]  # EQ_ISINCODE era: a zip
    whole = mirror.site.content(day)
    mirror.site.set_fault(mirror.site.file_name(day), 200, body=whole[: len(whole) // 2])
    result = ingest(mirror, local, day, instance)
    check = checks_of(result)[RAW_CHECK]
    assert not check.passed and "cannot be read" in check.metadata["error"].value
    assert local.store().read_bytes(f"raw_bhavcopy/trade_date={day}/{mirror.site.file_name(day)}") == whole[: len(whole) // 2]
    assert local.store().list_files("clean_bhavcopy") == []


def test_bad_values_fail_the_clean_check_with_the_rows_and_write_nothing(mirror, local, instance):
    quotes = mirror.site.market.day(DAY).copy()
    bad_code = int(quotes["security_code"].iloc[3])
    quotes.loc[quotes.index[3], ["high", "low"]] = [10.0, 20.0]  # high < low
    _, content = published_file(quotes, "udiff", DAY)
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=content)

    result = ingest(mirror, local, DAY, instance)
    assert not result.success
    checks = checks_of(result)
    assert checks[RAW_CHECK].passed
    clean_check = checks[CLEAN_CHECK]
    assert not clean_check.passed
    assert clean_check.metadata["failures_by_check"].value.get("clean_bhavcopy: high >= low") == 1
    assert str(bad_code) in clean_check.metadata["failing_rows"].value
    assert "nothing was written" in failure_message(result)
    assert local.store().list_files("clean_bhavcopy") == []
    assert len(local.store().list_files("raw_bhavcopy")) == 1


def test_s3_storage_through_an_s3_endpoint(mirror, instance):
    with moto_s3_endpoint() as (endpoint, bucket):
        storage = StorageResource(
            base_uri=f"s3://{bucket}/platform",
            s3=S3Resource(endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY),
        )
        assert ingest(mirror, storage, DAY, instance).success
        store: ObjectStore = storage.store()
        assert store.list_files("") == [
            f"clean_bhavcopy/trade_date={DAY}/data.parquet",
            f"raw_bhavcopy/trade_date={DAY}/{mirror.site.file_name(DAY)}",
        ]
        assert len(store.read_partitions("clean_bhavcopy", [DAY])) == len(mirror.site.market.day(DAY))


def test_clean_alone_refuses_a_raw_file_that_failed_its_check(mirror, local, instance):
    """Blocking checks only block within a run: clean must not build on a rejected raw file later."""
    first = ingest(mirror, local, DAY, instance, min_rows=10_000)
    assert not checks_of(first)[RAW_CHECK].passed and materialized(first) == {"raw_bhavcopy"}

    clean_only = ingest(mirror, local, DAY, instance, selection=[clean_bhavcopy], min_rows=10_000)
    assert not clean_only.success
    assert "raw file fails its check" in checks_of(clean_only)[CLEAN_CHECK].metadata["error"].value
    assert local.store().list_files("clean_bhavcopy") == []


def test_raw_partition_keeps_only_the_latest_products_file(mirror, local, instance):
    assert ingest(mirror, local, DAY, instance).success
    older_product = published_file(mirror.site.market.day(DAY), "bse_eq_bhavcopy", DAY)
    mirror.site.set_fault(older_product[0], 200, body=older_product[1])

    refetched = ingest(mirror, local, DAY, instance, product_eras={"bse_eq_bhavcopy": "2000-01-01"})
    assert refetched.success, failure_message(refetched)
    assert local.store().list_files(f"raw_bhavcopy/trade_date={DAY}") == [f"raw_bhavcopy/trade_date={DAY}/{older_product[0]}"]


def test_s3_secret_comes_from_the_environment_and_never_reaches_the_event_log(mirror, instance, monkeypatch):
    secret = f"secret-{uuid.uuid4().hex}"
    with moto_s3_endpoint() as (endpoint, bucket):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        storage = StorageResource(
            base_uri=f"s3://{bucket}/platform",
            s3=S3Resource(  # what the settings make of them (test_definitions)
                endpoint_url=endpoint, aws_access_key_id=EnvVar("AWS_ACCESS_KEY_ID"), aws_secret_access_key=EnvVar("AWS_SECRET_ACCESS_KEY")
            ),
        )
        result = ingest(mirror, storage, DAY, instance)
        assert result.success, failure_message(result)

    run = instance.get_run_by_id(result.run_id)
    recorded = [serialize_value(record) for record in instance.all_logs(result.run_id)]
    assert recorded and not any(secret in text for text in recorded)
    assert secret not in repr(run.run_config)


# --- numbers you can trust: degenerate, discontinuous and re-served files ----------------------------


def test_one_row_repeated_past_min_rows_is_one_security_and_fails(mirror, local, instance):
    lines = mirror.site.content(DAY).splitlines(keepends=True)
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=b"".join([lines[0], *[lines[1]] * 50]))
    result = ingest(mirror, local, DAY, instance, min_rows=10)
    check = checks_of(result)[RAW_CHECK]
    assert not check.passed and "at least 10 securities" in str(check.metadata["failures_by_check"].value)
    assert local.store().list_files("clean_bhavcopy") == []


def test_an_old_dateless_file_served_as_today_breaks_continuity_and_writes_nothing(mirror, local, instance):
    for day in (DAY, NEXT_DAY):
        assert ingest(mirror, local, day, instance).success
    later = RECENT_SESSIONS[2]
    legacy = {"product_eras": {"eq": "2000-01-01"}}  # a legacy EQ file: no date column, no zip member name
    site_quotes = mirror.site.market.day(DAY)
    mirror.site.set_fault(f"EQ{later:%d%m%y}_CSV.ZIP", 200, body=render_bhavcopy(site_quotes, "eq", DAY), times=None)
    result = ingest(mirror, local, later, instance, **legacy)
    assert not result.success
    checks = checks_of(result)
    assert checks[RAW_CHECK].passed  # by its name it is the right date
    continuity = checks[CONTINUITY_CHECK]
    assert not continuity.passed and "prev_close is the previous session's close" in continuity.metadata["problem"].value
    assert continuity.metadata["previous_session"].value == str(NEXT_DAY)
    assert f"clean_bhavcopy/trade_date={later}/data.parquet" not in local.store().list_files("clean_bhavcopy")
    # The genuine file of that date continues the previous one.
    mirror.site.clear_faults()
    genuine = ingest(mirror, local, later, instance)
    assert genuine.success and checks_of(genuine)[CONTINUITY_CHECK].metadata["matching_prev_close_share"].value == 1.0


def test_a_rejected_rerun_removes_the_clean_table_of_the_good_file_before(mirror, local, instance):
    assert ingest(mirror, local, DAY, instance).success
    clean_key = f"clean_bhavcopy/trade_date={DAY}/data.parquet"
    assert local.store().list_files("clean_bhavcopy") == [clean_key]
    whole = mirror.site.content(DAY)
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=whole[: len(whole) // 3])  # truncated this time
    rejected = ingest(mirror, local, DAY, instance)
    assert not rejected.success
    assert local.store().read_bytes(f"raw_bhavcopy/trade_date={DAY}/{mirror.site.file_name(DAY)}") == whole[: len(whole) // 3]
    assert local.store().list_files("clean_bhavcopy") == []  # raw and clean never disagree
    raw_event = instance.get_latest_materialization_event(AssetKey("raw_bhavcopy")).asset_materialization
    assert raw_event.metadata["removed_clean_table"].value is True


def test_a_legacy_eq_file_takes_isins_and_classes_from_the_security_master(mirror, local, instance):
    assert ingest(mirror, local, DAY, instance).success  # UDiFF: ISINs
    name, legacy = published_file(mirror.site.market.day(NEXT_DAY), "eq", NEXT_DAY)  # the same day as BSE's EQ file
    mirror.site.set_fault(name, 200, body=legacy)
    result = ingest(mirror, local, NEXT_DAY, instance, product_eras={"eq": "2000-01-01"})
    assert result.success, failure_message(result)
    clean = local.store().read_partitions("clean_bhavcopy", [NEXT_DAY]).set_index("security_code")
    master = mirror.site.market.securities.set_index("security_code")
    etfs = master.index[(master["instrument_class"] == "fund") & (master["group"] == "B")].intersection(clean.index)
    assert len(etfs) and (clean.loc[etfs, "instrument_class"] == "fund").all()  # without the master: equity
    assert (clean.loc[etfs, "isin"] == master.loc[etfs, "isin"]).all() and (clean["source_format"] == "eq").all()
    clean_event = instance.get_latest_materialization_event(AssetKey("clean_bhavcopy")).asset_materialization
    assert clean_event.metadata["isins_from_master"].value == clean["isin"].notna().sum()


def test_a_range_in_one_run_stores_each_date_as_its_own_partition_with_its_own_checks(mirror, local, instance):
    days = RECENT_SESSIONS[:4]
    result = ingest(mirror, local, days[0], instance, through=days[-1])
    assert result.success, failure_message(result)
    keys = [day.isoformat() for day in days]
    for asset in ("raw_bhavcopy", "clean_bhavcopy"):
        events = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset]
        assert sorted(e.partition for e in events) == keys, asset
    raw_events = {e.partition: e.materialization.metadata for e in result.get_asset_materialization_events() if e.asset_key == AssetKey("raw_bhavcopy")}
    for day in days:  # each partition's metadata is its own file's
        assert raw_events[day.isoformat()]["sha256"].value == hashlib.sha256(mirror.site.content(day)).hexdigest()
    clean_rows = {e.partition: e.materialization.metadata["rows"].value for e in result.get_asset_materialization_events() if e.asset_key == AssetKey("clean_bhavcopy")}
    assert clean_rows == {day.isoformat(): len(mirror.site.market.day(day)) for day in days}
    by_check = {}
    for evaluation in result.get_asset_check_evaluations():
        by_check.setdefault(evaluation.check_name, []).append((evaluation.partition, evaluation.passed))
    for check in (RAW_CHECK, CLEAN_CHECK, CONTINUITY_CHECK):
        assert sorted(by_check[check]) == [(key, True) for key in keys], check
    # The second date's continuity is judged against the first, built in the same run (not yet stored before it).
    continuity = {e.partition: e.metadata for e in result.get_asset_check_evaluations() if e.check_name == CONTINUITY_CHECK}
    assert continuity[keys[1]]["previous_session"].value == keys[0]
    assert continuity[keys[1]]["matching_prev_close_share"].value == 1.0
    store = local.store()
    for day in days:
        assert store.read_partitions("clean_bhavcopy", [day])["security_code"].nunique() == len(mirror.site.market.day(day))


def test_a_range_with_a_date_not_published_stores_none_and_names_the_date(mirror, local, instance):
    days = RECENT_SESSIONS[:3]
    mirror.site.published_through = days[1]
    result = ingest(mirror, local, days[0], instance, through=days[-1])
    assert not result.success
    message = failure_message(result)
    assert f"trade date {days[-1]}" in message and "none of this run's 3 trade dates" in message
    assert local.store().list_files("") == []


def test_a_range_with_one_bad_date_writes_nothing_names_it_and_each_other_date_runs_alone(mirror, local, instance):
    days = RECENT_SESSIONS[:3]
    assert ingest(mirror, local, days[1], instance).success  # an earlier good table of the date that goes bad
    quotes = mirror.site.market.day(days[1]).copy()
    quotes.loc[quotes.index[3], ["high", "low"]] = [10.0, 20.0]  # high < low
    mirror.site.set_fault(mirror.site.file_name(days[1]), 200, body=published_file(quotes, "udiff", days[1])[1])

    result = ingest(mirror, local, days[0], instance, through=days[-1])
    assert not result.success
    message = failure_message(result)
    assert f"trade date {days[1].isoformat()}" in message and "none" in message and "nothing was written" in message
    failed = [e for e in result.get_asset_check_evaluations() if e.check_name == CLEAN_CHECK]
    assert [(e.partition, e.passed) for e in failed] == [(days[1].isoformat(), False)]
    assert local.store().list_files("clean_bhavcopy") == []  # the bad date's earlier table is gone; the others not written
    assert len(local.store().list_files("raw_bhavcopy")) == 3  # every file kept as published
    alone = ingest(mirror, local, days[2], instance)
    assert alone.success, failure_message(alone)
    assert local.store().list_files("clean_bhavcopy") == [f"clean_bhavcopy/trade_date={days[2]}/data.parquet"]

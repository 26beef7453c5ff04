"""Feature families through a real Dagster instance: one run for a range, one partition per date."""

import datetime as dt

import pandas as pd
import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    build_reconstructable_job,
    build_sensor_context,
    execute_job,
    materialize,
)

from bse_platform.bse import parse_bhavcopy
from bse_platform.calendar import TradingCalendar
from bse_platform.definitions import build_definitions, build_resources
from bse_platform.defs.corporate_actions import UNPARSED_CHECK, corporate_actions
from bse_platform.defs.features import feature_families
from bse_platform.features.quality import SCHEMA_CHECK
from bse_platform.defs.ingestion import clean_bhavcopy, raw_bhavcopy
from bse_platform.defs.resources import BseSourceResource, StorageResource
from bse_platform.defs.automation import recompute_features_after_late_corporate_actions
from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family
from bse_platform.features.drift import DRIFT_CHECK, DRIFT_WINDOW
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import CORPORATE_ACTIONS, MirrorSite, serve_mirror
from bse_platform.storage import ObjectStore

SESSIONS = TradingCalendar().sessions(dt.date(2025, 3, 1), dt.date(2025, 6, 30))
RANGE = SESSIONS[-60:]  # the issue: 60 trade dates in one backfill run
ALL_ASSETS = [raw_bhavcopy, clean_bhavcopy, corporate_actions, feature_families]
FEATURES_AND_ACTIONS = [corporate_actions, feature_families]


@pytest.fixture(scope="module")
def market():
    """About 130 equities a day: enough values for the drift check to evaluate (drift.MIN_VALUES)."""
    return generate_market(200, SESSIONS, seed=21)


@pytest.fixture(scope="module")
def features_mirror(market):
    with serve_mirror(MirrorSite(market)) as running:
        yield running


@pytest.fixture
def storage(tmp_path, market, features_mirror):
    """Clean partitions of every session, written from the mirror's files (the ingestion tests cover
    how they get there)."""
    storage = StorageResource(base_uri=str(tmp_path / "data"))
    store = storage.store()
    for day in SESSIONS:
        site = features_mirror.site
        store.write_partition("clean_bhavcopy", day, parse_bhavcopy(site.content(day), site.file_name(day), instrument_classes=None))
    return storage


def run(features_mirror, storage, instance, selection_override=None, **kwargs):
    bse = BseSourceResource(
        mirror_url=features_mirror.root_url, min_interval_seconds=0
    )
    return materialize(
        ALL_ASSETS, selection=selection_override or FEATURES_AND_ACTIONS, instance=instance,
        resources=build_resources(storage, bse), raise_on_error=False, **kwargs,
    )  # fmt: skip


def range_tags(days):
    return {"dagster/asset_partition_range_start": days[0].isoformat(), "dagster/asset_partition_range_end": days[-1].isoformat()}


def test_a_range_is_one_run_and_each_date_its_own_partition(features_mirror, storage, instance, market):
    result = run(features_mirror, storage, instance, tags=range_tags(RANGE))
    assert result.success, [str(e.step_failure_data.error) for e in result.get_step_failure_events()]
    store = storage.store()
    quotes = market.quotes
    for family in FAMILIES.values():
        assert store.list_files(family.name) == [f"{family.name}/trade_date={d}/data.parquet" for d in RANGE]
        stored = store.read_partitions(family.name, RANGE)
        expected = compute_family(family, quotes, market.corporate_actions, RANGE).rows
        pd.testing.assert_frame_equal(
            stored.drop(columns="available_at"), expected.drop(columns="available_at"), check_dtype=False, rtol=1e-9
        )
        schema_checks = [e for e in result.get_asset_check_evaluations() if e.asset_key == AssetKey(family.name) and e.check_name == SCHEMA_CHECK]
        assert sorted(e.partition for e in schema_checks) == [d.isoformat() for d in RANGE]
        assert all(e.passed for e in schema_checks)
    materialized = {(e.asset_key.path[-1], e.partition) for e in result.get_asset_materialization_events()}
    assert ("momentum", RANGE[7].isoformat()) in materialized and len(materialized) == 7 * len(RANGE)

    drift = {(e.asset_key.path[-1], e.partition): e for e in result.get_asset_check_evaluations() if e.check_name == DRIFT_CHECK}
    assert set(drift) == {(family, d.isoformat()) for family in FAMILIES for d in RANGE}
    first, last = drift[("returns", RANGE[0].isoformat())], drift[("returns", RANGE[-1].isoformat())]
    assert first.passed and first.metadata["reference_dates"].value == 0  # nothing before it yet
    assert last.metadata["reference_dates"].value == DRIFT_WINDOW and last.metadata["features_evaluated"].value > 0
    assert "ks_statistic" in last.metadata["statistics"].value


def test_rerunning_one_date_replaces_it_with_the_same_values(features_mirror, storage, instance, monkeypatch):
    ranged = run(features_mirror, storage, instance, tags=range_tags(RANGE))
    assert ranged.success
    store = storage.store()
    day = RANGE[10]
    before = {family: store.read_partitions(family, [day]) for family in FAMILIES}
    neighbour = store.read_bytes(f"momentum/trade_date={RANGE[11]}/data.parquet")

    family_reads = []
    read_partitions = ObjectStore.read_partitions

    def recording(self, dataset, trade_dates, **options):
        if dataset in FAMILIES:
            family_reads.append((dataset, sorted(trade_dates)))
        return read_partitions(self, dataset, trade_dates, **options)

    monkeypatch.setattr(ObjectStore, "read_partitions", recording)
    alone = run(features_mirror, storage, instance, partition_key=day.isoformat())
    assert alone.success
    # Its drift reference, inside the range from the run's rows, is now one read of the stored dates before it.
    assert sorted(family_reads) == sorted((family, RANGE[:10]) for family in FAMILIES)
    for family, frame in before.items():
        pd.testing.assert_frame_equal(store.read_partitions(family, [day]), frame, rtol=1e-9)
    assert store.read_bytes(f"momentum/trade_date={RANGE[11]}/data.parquet") == neighbour
    statistics = [
        {e.asset_key: e.metadata["statistics"].value for e in result.get_asset_check_evaluations()
         if e.check_name == DRIFT_CHECK and e.partition == day.isoformat()}
        for result in (ranged, alone)
    ]  # fmt: skip
    assert statistics[0] == statistics[1] and len(statistics[0]) == len(FAMILIES)  # the date alone is the date in the range


def test_a_shifted_date_fails_the_drift_warning_until_rebuilt(features_mirror, storage, instance):
    days = RANGE[-DRIFT_WINDOW - 1 :]
    assert run(features_mirror, storage, instance, tags=range_tags(days)).success
    store, day = storage.store(), days[-1]
    stored = store.read_partitions("returns", [day])
    store.write_partition("returns", day, stored.assign(ret_1d=stored["ret_1d"] + 0.05))  # every return 5 points higher

    drift = AssetCheckKey(AssetKey("returns"), DRIFT_CHECK)
    # The partition as a tag: materialize() takes partition_key's definition from the selected assets, and there are none.
    result = run(
        features_mirror, storage, instance, selection_override=AssetSelection.checks(drift), tags={"dagster/partition": day.isoformat()}
    )
    assert result.success  # a warning, not a failure
    assert not result.get_asset_materialization_events()  # the stored partition judged, not rebuilt
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.asset_check_key == drift]
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN and evaluation.partition == day.isoformat()
    assert evaluation.metadata["drifted_features"].value == ["ret_1d"]
    assert evaluation.metadata["reference_dates"].value == DRIFT_WINDOW and evaluation.metadata["max_ks_statistic"].value > 0.5

    rebuilt = run(features_mirror, storage, instance, selection_override=[AssetKey("returns")], partition_key=day.isoformat())
    (evaluation,) = [e for e in rebuilt.get_asset_check_evaluations() if e.asset_check_key == drift]
    assert evaluation.passed and evaluation.metadata["features_drifted"].value == 0  # recomputed, it is like the dates before it


def test_corrupted_input_fails_the_blocking_schema_check(features_mirror, storage, instance):
    store = storage.store()
    day = RANGE[-1]
    clean = store.read_partitions("clean_bhavcopy", [day])
    traded_before = clean["security_code"].isin(store.read_partitions("clean_bhavcopy", [RANGE[-2]])["security_code"])
    victim = int(clean.loc[(clean["instrument_class"] == "equity") & traded_before, "security_code"].iloc[0])  # its return is defined
    clean.loc[clean["security_code"] == victim, ["open", "high", "low", "close"]] *= -1  # corrupt prices
    store.write_partition("clean_bhavcopy", day, clean)

    result = run(features_mirror, storage, instance, partition_key=day.isoformat())
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if e.check_name == SCHEMA_CHECK and not e.passed]
    assert {e.asset_key.path[-1] for e in failed} >= {"moving_averages", "returns"}  # sma_5 < 0, range_hl < 0
    assert all(e.partition == day.isoformat() for e in failed)
    assert str(victim) in failed[0].metadata["failing_rows"].value
    # A failed blocking check leaves no partial output; families that passed are stored.
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    for family in FAMILIES:
        assert (family in materialized) == bool(store.list_files(family)) == (family not in {e.asset_key.path[-1] for e in failed})


def test_a_gap_in_the_lookback_fails_naming_the_missing_date(features_mirror, storage, instance):
    store = storage.store()
    gap = RANGE[20]
    store.delete(f"clean_bhavcopy/trade_date={gap}/data.parquet")
    result = run(features_mirror, storage, instance, tags=range_tags(RANGE[25:30]))
    assert not result.success
    assert not [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] in FAMILIES]
    (failure,) = result.get_step_failure_events()
    message = str(failure.step_failure_data.user_failure_data.description)
    assert f"clean_bhavcopy has no stored partition for 1 trade date(s): {gap}" in message
    assert f"({RANGE[25]} .. {RANGE[29]})" in message
    assert all(not store.list_files(family) for family in FAMILIES)


def test_one_family_can_be_materialized_alone(features_mirror, storage, instance):
    bse = BseSourceResource(
        mirror_url=features_mirror.root_url, min_interval_seconds=0
    )
    resources = build_resources(storage, bse)
    day = RANGE[-1].isoformat()
    assert materialize(ALL_ASSETS, selection=[corporate_actions], instance=instance, resources=resources, partition_key=day).success
    result = materialize(ALL_ASSETS, selection=[AssetKey("returns")], instance=instance, resources=resources, partition_key=day)
    assert result.success
    assert {e.asset_key.path[-1] for e in result.get_asset_materialization_events()} == {"returns"}
    assert {e.asset_key.path[-1] for e in result.get_asset_check_evaluations()} == {"returns"}
    assert storage.store().list_files("momentum") == []


def test_a_late_corporate_action_reruns_exactly_the_feature_partitions_that_read_it(features_mirror, storage, instance, market):
    assert run(features_mirror, storage, instance, tags=range_tags(RANGE)).success
    ex_day = RANGE[5]
    clean = storage.store().read_partitions("clean_bhavcopy", [ex_day])
    security = int(clean.loc[clean["instrument_class"] == "equity", "security_code"].iloc[0])
    before = storage.store().read_partitions("returns", [ex_day]).set_index("security_code").loc[security, "ret_1d"]

    # BSE lists a split for that day only now: the export (and so the partition's digest) changes.
    site = features_mirror.site
    late = f"{security},X,X LTD,{ex_day:%d %b %Y},Stock  Split From Rs.10/- to Rs.5/-,,,,,,\r\n".encode()
    site.set_fault(CORPORATE_ACTIONS, 200, body=site.corporate_actions_export(ex_day, ex_day) + late, content_type="text/csv")
    assert run(features_mirror, storage, instance, partition_key=ex_day.isoformat(), selection_override=[corporate_actions]).success

    # Entered: the storage resource holds dagster-aws's S3Resource, which Dagster sets up as a context manager.
    with build_sensor_context(instance=instance, resources={"storage": storage}) as context:
        requests = list(recompute_features_after_late_corporate_actions(context))
    assert len(requests) == 1
    assert (requests[0].tags["dagster/asset_partition_range_start"], requests[0].tags["dagster/asset_partition_range_end"]) == (ex_day.isoformat(), RANGE[-1].isoformat())
    assert set(requests[0].asset_selection) == {AssetKey(name) for name in FAMILIES}
    assert run(features_mirror, storage, instance, tags=requests[0].tags, selection_override=list(requests[0].asset_selection)).success

    after = storage.store().read_partitions("returns", [ex_day]).set_index("security_code").loc[security, "ret_1d"]
    assert (1 + after) == pytest.approx((1 + before) * 2)  # the raw halving is now read as a split
    with build_sensor_context(instance=instance, cursor=None, resources={"storage": storage}) as again:
        assert len(list(recompute_features_after_late_corporate_actions(again))) == 1  # same change, same run key


def test_an_unreadable_purpose_is_kept_and_reported_not_guessed(features_mirror, storage, instance):
    day = RANGE[3]
    site = features_mirror.site
    vague = f"500001,X,X LTD,{day:%d %b %Y},Stock Split,,,,,,\r\n".encode()
    site.set_fault(CORPORATE_ACTIONS, 200, body=site.corporate_actions_export(day, day) + vague, content_type="text/csv")
    result = run(features_mirror, storage, instance, partition_key=day.isoformat(), selection_override=[corporate_actions])
    assert result.success  # a warning, not a failure
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == UNPARSED_CHECK]
    assert not check.passed and check.partition == day.isoformat() and "Stock Split" in check.metadata["rows"].value
    stored = storage.store().read_partitions("corporate_actions", [day])
    kept = stored[stored["security_code"] == 500001]
    assert list(kept["kind"]) == ["unparsed"] and kept["price_factor"].isna().all()


def test_each_family_materialization_logs_a_finished_mlflow_run(features_mirror, storage, instance):
    result = run(features_mirror, storage, instance, tags=range_tags(RANGE[-20:]))
    assert result.success
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{storage.base_uri}/mlflow/mlflow.db")  # beside the data (defs/tracking.py)
    experiment = client.get_experiment_by_name("bse-features")
    parents = client.search_runs([experiment.experiment_id], filter_string=f"tags.dagster_run_id = '{result.run_id}'")
    nested = client.search_runs([experiment.experiment_id], filter_string=f"tags.`dagster.run_id` = '{result.run_id}'")
    families = {r.data.tags["dagster.asset_key"]: r for r in nested}
    assert set(families) == set(FAMILIES) and len(parents) == 1
    assert {r.info.status for r in parents + nested} == {"FINISHED"}  # never left RUNNING
    momentum = families["momentum"]
    assert momentum.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
    params = momentum.data.params
    assert (params["family"], params["first_trade_date"], params["last_trade_date"]) == ("momentum", str(RANGE[-20]), str(RANGE[-1]))
    assert params["window.rsi_14"] == str(FAMILIES["momentum"].features[0].window) and params["definitions_version"]
    stored = storage.store().read_partitions("momentum", RANGE[-20:])
    assert momentum.data.metrics["rows"] == len(stored)
    assert momentum.data.metrics["mean.rsi_14"] == pytest.approx(stored["rsi_14"].mean())
    assert momentum.data.metrics["null_share.macd"] == pytest.approx(stored["macd"].isna().mean())
    definitions = client.download_artifacts(momentum.info.run_id, "feature_definitions.json")
    assert "rsi_14" in open(definitions).read()
    assert momentum.info.artifact_uri.startswith(f"{storage.base_uri}/mlflow/artifacts")


def features_job(base_uri: str, mirror_url: str):
    """The build_features job of the code location, rebuilt in each step process."""
    bse = BseSourceResource(mirror_url=mirror_url, min_interval_seconds=0)
    return build_definitions(StorageResource(base_uri=base_uri), bse).resolve_job_def("build_features")


def test_mlflow_runs_end_as_their_step_did_when_the_resource_is_set_up_again(features_mirror, storage, instance):
    """A run executed through ``execute_job``, then its result read back, which sets the MLflow
    resource up again for the same Dagster run in this process: dagster-mlflow resumes the run
    (RUNNING) and the resource's teardown must end it as it was, and leave nothing active for the
    next run."""
    from mlflow.tracking import MlflowClient

    job = build_reconstructable_job(__name__, "features_job", reconstructable_args=(storage.base_uri, features_mirror.root_url))
    client = MlflowClient(f"sqlite:///{storage.base_uri}/mlflow/mlflow.db")
    statuses = {}
    for name, days in (("built", RANGE[-3:]), ("history missing", RANGE[-6:-4])):
        if name == "history missing":
            storage.store().delete_partition("clean_bhavcopy", RANGE[-7])
        with execute_job(job, instance, tags=range_tags(days), raise_on_error=False) as result:
            assert result.success is (name == "built"), name
        experiment = client.get_experiment_by_name("bse-features").experiment_id
        (parent,) = client.search_runs([experiment], filter_string=f"tags.dagster_run_id = '{result.run_id}'")
        nested = client.search_runs([experiment], filter_string=f"tags.`dagster.run_id` = '{result.run_id}'")
        statuses[name] = {"run": parent.info.status, **{r.data.tags["dagster.asset_key"]: r.info.status for r in nested}}
    assert statuses["built"] == {"run": "FINISHED", **{family: "FINISHED" for family in FAMILIES}}
    assert statuses["history missing"] == {"run": "FAILED"}

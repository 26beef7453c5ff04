"""Backfills, check dashboards and partition metadata as the UI shows them: a real webserver and
daemon over an instance of the test's own, driven and read through the UI's GraphQL."""

import datetime as dt
import os
import signal
import time

import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS
from bse_platform.features.catalog import FAMILIES
from bse_platform.features.quality import NULLS_CHECK, SCHEMA_CHECK
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror
from bse_platform_tests.ui.dagster_ui import dagster_ui
from bse_platform_tests.ui.queries import (
    ASSET_NODES,
    CHECK_EXECUTIONS,
    RUN_EVENTS,
    RUNS,
    check_statuses,
    counts_by_asset,
    finished_backfill,
    finished_run,
    key,
    launch_backfill,
    launch_checks,
    metadata_of,
    step_failures,
)

# Old dates, so the publication sensor (on by default) finds nothing to run in this mirror.
SESSIONS = TradingCalendar().sessions(dt.date(2025, 3, 3), dt.date(2025, 4, 11))
FIRST, SECOND = SESSIONS[:5], SESSIONS[5:15]
UNPUBLISHED = SECOND[4]
ASSETS = ["raw_bhavcopy", "clean_bhavcopy", "corporate_actions", *FAMILIES]
KEYS = TRADE_DATE_PARTITIONS.get_partition_keys()


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    site = MirrorSite(generate_market(60, SESSIONS, seed=5))
    with serve_mirror(site) as mirror:
        home = tmp_path_factory.mktemp("dagster_home")
        environment = {
            "BSE_MIRROR_URL": mirror.root_url,
            "BSE_STORAGE_URI": str(home / "data"),
            "BSE_EMBEDDED_REDIS_PATH": str(home / "redis.db"),
            "BSE_MIN_ROWS": "10",
            "BSE_REQUEST_INTERVAL_SECONDS": "0",
        }
        with dagster_ui(home, environment) as running:
            running.site = site
            yield running


@pytest.fixture(scope="module")
def first_backfill(ui):
    return finished_backfill(ui, launch_backfill(ui, ASSETS, [d.isoformat() for d in FIRST]))


def test_a_backfill_of_n_dates_materializes_n_partitions_of_each_asset(first_backfill):
    assert first_backfill["status"] == "COMPLETED_SUCCESS"
    counts = counts_by_asset(first_backfill)
    assert set(counts) == set(ASSETS)
    for asset, count in counts.items():
        assert (count["targeted"], count["materialized"], count["failed"]) == (len(FIRST), len(FIRST), 0), asset


def every_check_shows_every_partition(ui) -> None:
    """What Checks › Partitions shows: each partitioned check, each materialized or failed partition."""
    for node in ui.graphql(ASSET_NODES)["assetNodes"]:
        if not (node["hasAssetChecks"] and node["isPartitioned"]):
            continue
        asset = node["assetKey"]["path"][-1]
        built, checks = check_statuses(ui, asset, KEYS)
        assert checks, asset
        for check, by_status in checks.items():
            shown = set().union(*by_status.values()) if by_status else set()
            assert built <= shown, f"{asset}.{check}: no status for {sorted(built - shown)}"


def test_every_check_shows_a_status_for_every_partition(ui, first_backfill):
    every_check_shows_every_partition(ui)
    built, checks = check_statuses(ui, "momentum", KEYS)
    assert built == {d.isoformat() for d in FIRST}
    assert checks[SCHEMA_CHECK]["SUCCEEDED"] == built


def test_each_evaluation_targets_its_own_partitions_materialization(ui, first_backfill):
    day = FIRST[2].isoformat()
    (materialization,) = ui.graphql(
        "query($k: AssetKeyInput!, $p: [String!]) { assetOrError(assetKey: $k) { ... on Asset { "
        "assetMaterializations(partitions: $p) { runId storageId: timestamp } } } }", k=key("returns"), p=[day]
    )["assetOrError"]["assetMaterializations"]
    for check in (SCHEMA_CHECK, NULLS_CHECK, "no_unexplained_jumps"):
        (execution,) = ui.graphql(CHECK_EXECUTIONS, key=key("returns"), check=check, partition=day)["assetCheckExecutions"]
        assert execution["partition"] == day and execution["status"] in ("SUCCEEDED", "FAILED"), (check, execution)
        assert execution["evaluation"]["targetMaterialization"]["runId"] == materialization["runId"], check


def test_a_family_partition_carries_numeric_metadata(ui, first_backfill):
    metadata = metadata_of(ui, "momentum", FIRST[-1].isoformat())
    assert metadata["rows"] > 0 and metadata["securities"] == metadata["rows"]
    assert 0 <= metadata["null_share"] <= 1
    clean = metadata_of(ui, "clean_bhavcopy", FIRST[-1].isoformat())
    assert clean["rows_equity"] > 0 and clean["rows"] >= clean["rows_equity"]
    assert isinstance(metadata_of(ui, "corporate_actions", FIRST[-1].isoformat())["actions"], int)


def test_a_missing_date_fails_the_ingest_run_it_is_in_and_the_dates_before_it_then_run_alone(ui, first_backfill):
    ui.site.set_fault(ui.site.file_name(UNPUBLISHED), 404, times=None)  # BSE never publishes it
    try:
        backfill = finished_backfill(ui, launch_backfill(ui, ASSETS, [d.isoformat() for d in SECOND]))
    finally:
        ui.site.clear_faults()
    counts = counts_by_asset(backfill)
    assert all(count["targeted"] == len(SECOND) for count in counts.values())
    # The ten dates are one ingest run (INGEST_TRADE_DATES_PER_RUN): it stores all of them or none.
    assert (counts["raw_bhavcopy"]["materialized"], counts["raw_bhavcopy"]["failed"]) == (0, len(SECOND))
    for family in FAMILIES:
        assert counts[family]["materialized"] == 0, family
    runs = ui.graphql(
        "query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results { runId status } } } }",
        f={"tags": [{"key": "dagster/backfill", "value": backfill_id_of(ui)}], "statuses": ["FAILURE"]},
    )["runsOrError"]["results"]
    messages = [m for run in runs for m in step_failures(finished_run(ui, run["runId"]))]
    assert any(f"trade date {UNPUBLISHED}" in m and f"none of this run's {len(SECOND)} trade dates" in m for m in messages), messages
    every_check_shows_every_partition(ui)  # failures included
    _, raw_checks = check_statuses(ui, "raw_bhavcopy", KEYS)
    assert UNPUBLISHED.isoformat() in raw_checks["is_bhavcopy_of_its_trade_date"]["EXECUTION_FAILED"]

    before = SECOND[: SECOND.index(UNPUBLISHED)]  # the dates before it, backfilled again without it
    again = counts_by_asset(finished_backfill(ui, launch_backfill(ui, ASSETS, [d.isoformat() for d in before])))
    assert all((count["materialized"], count["failed"]) == (len(before), 0) for count in again.values()), again
    built, _ = check_statuses(ui, "volume", KEYS)
    assert {d.isoformat() for d in before} <= built and UNPUBLISHED.isoformat() not in built


def backfill_id_of(ui) -> str:
    """The latest backfill's id."""
    return ui.graphql("{ partitionBackfillsOrError(limit: 1) { ... on PartitionBackfills { results { id } } } }")[
        "partitionBackfillsOrError"
    ]["results"][0]["id"]


def test_executing_a_check_re_evaluates_a_stored_partition(ui, first_backfill):
    day = FIRST[1].isoformat()
    before = ui.graphql(CHECK_EXECUTIONS, key=key("momentum"), check=SCHEMA_CHECK, partition=day)["assetCheckExecutions"]
    run_id = launch_checks(ui, "momentum", [SCHEMA_CHECK, NULLS_CHECK], {"dagster/partition": day})
    assert finished_run(ui, run_id)["status"] == "SUCCESS"
    after = ui.graphql(CHECK_EXECUTIONS, key=key("momentum"), check=SCHEMA_CHECK, partition=day)["assetCheckExecutions"]
    assert len(after) == len(before) + 1 and after[0]["runId"] == run_id and after[0]["status"] == "SUCCEEDED"
    built, checks = check_statuses(ui, "momentum", KEYS)
    assert day in checks[SCHEMA_CHECK]["SUCCEEDED"]  # still current: it judged the stored materialization


def test_execute_all_without_a_partition_checks_the_latest_one(ui, first_backfill):
    """The checks page's "Execute all" launches a run with no partition."""
    run_id = launch_checks(ui, "volatility", [SCHEMA_CHECK], {})
    run = finished_run(ui, run_id)
    assert run["status"] == "SUCCESS", step_failures(run)
    (latest,) = ui.graphql(
        "query($k: AssetKeyInput!) { assetOrError(assetKey: $k) { ... on Asset { assetMaterializations(limit: 1) { partition } } } }",
        k=key("volatility"),
    )["assetOrError"]["assetMaterializations"]
    executions = ui.graphql(CHECK_EXECUTIONS, key=key("volatility"), check=SCHEMA_CHECK, partition=latest["partition"])
    assert executions["assetCheckExecutions"][0]["runId"] == run_id


def test_a_run_whose_worker_is_killed_is_marked_failed(ui, first_backfill):
    """Killed mid-download (the mirror holds the answer back), the run ends FAILURE, not STARTED forever."""
    day = SESSIONS[-1]
    ui.site.set_fault(ui.site.file_name(day), 200, body=ui.site.content(day), delay_seconds=60, times=None)
    try:
        backfill_id = launch_backfill(ui, ["raw_bhavcopy"], [day.isoformat()])

        def worker_pid():
            runs = ui.graphql(RUNS, filter={"tags": [{"key": "dagster/backfill", "value": backfill_id}]})["runsOrError"]["results"]
            if not runs:
                return None
            events = ui.graphql(RUN_EVENTS, id=runs[0]["runId"])["runOrError"]["eventConnection"]["events"]
            started = [e["message"] for e in events if "Started process for run (pid:" in (e["message"] or "")]
            return (runs[0]["runId"], int(started[0].split("pid: ")[1].rstrip(")."))) if started else None

        run_id, pid = ui.wait_for("the run's worker process", worker_pid, timeout=120)
        time.sleep(2)  # inside the download now
        os.kill(pid, signal.SIGKILL)
        assert finished_run(ui, run_id, timeout=60)["status"] == "FAILURE"
    finally:
        ui.site.clear_faults()

"""The GraphQL the Dagster UI sends for what these tests look at (backfills, checks, metadata, runs)."""

from bse_platform_tests.ui.dagster_ui import DagsterUI

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""

BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill {
      status
      assetBackfillData { assetBackfillStatuses { ... on AssetPartitionsStatusCounts {
        assetKey { path } numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized numPartitionsFailed } } }
    }
  }
}"""

CHECK_STATUSES = """
query($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) { ... on AssetNode {
    assetPartitionStatuses { ... on TimePartitionStatuses { ranges { status startKey endKey } } }
    assetChecksOrError { ... on AssetChecks { checks {
      name jobNames canExecuteIndividually
      partitionStatuses { ... on AssetCheckTimePartitionStatuses { ranges { status startKey endKey } } }
    } } }
  } }
}"""

ASSET_NODES = "{ assetNodes { assetKey { path } hasAssetChecks isPartitioned } }"

MATERIALIZATIONS = """
query($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) { ... on Asset { assetMaterializations(partitions: $partitions) {
    partition runId
    metadataEntries { label __typename ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue } }
  } } }
}"""

CHECK_EXECUTIONS = """
query($key: AssetKeyInput!, $check: String!, $partition: String) {
  assetCheckExecutions(assetKey: $key, checkName: $check, partition: $partition, limit: 20) {
    runId status partition evaluation { success targetMaterialization { storageId runId } }
  }
}"""

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

RUN = """
query($id: ID!) {
  runOrError(runId: $id) { ... on Run { status
    eventConnection(afterCursor: null) { events { __typename ... on ExecutionStepFailureEvent { error { message } } } }
  } }
}"""

RUN_EVENTS = """
query($id: ID!) { runOrError(runId: $id) { ... on Run { eventConnection(afterCursor: null) { events { __typename ... on MessageEvent { message } } } } } }
"""

RUNS = """
query($filter: RunsFilter) { runsOrError(filter: $filter) { ... on Runs { results { runId status tags { key value } } } } }
"""

REPOSITORY = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"

FINISHED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
FINISHED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}


def key(name: str) -> dict:
    return {"path": [name]}


def launch_backfill(ui: DagsterUI, assets: list[str], partitions: list[str]) -> str:
    """What the UI's "Materialize" -> partitions dialog does for a selection of assets."""
    params = {"partitionNames": partitions, "assetSelection": [key(a) for a in assets], "fromFailure": False}
    launched = ui.graphql(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def finished_backfill(ui: DagsterUI, backfill_id: str, timeout: float = 600) -> dict:
    """The backfill once the daemon has finished it: status and per-asset partition counts."""

    def done():
        backfill = ui.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
        return backfill if backfill["status"] in FINISHED_BACKFILL else None

    return ui.wait_for(f"backfill {backfill_id}", done, timeout=timeout, interval=2)


def counts_by_asset(backfill: dict) -> dict[str, dict[str, int]]:
    return {
        "/".join(s["assetKey"]["path"]): {k.removeprefix("numPartitions").lower(): v for k, v in s.items() if k != "assetKey"}
        for s in backfill["assetBackfillData"]["assetBackfillStatuses"]
    }


def launch_checks(ui: DagsterUI, asset: str, checks: list[str], tags: dict[str, str]) -> str:
    """What the UI's "Execute" on asset checks sends (plus partition tags)."""
    repository = ui.graphql(REPOSITORY)["repositoriesOrError"]["nodes"][0]
    node = ui.graphql(CHECK_STATUSES, key=key(asset))["assetNodeOrError"]
    job = node["assetChecksOrError"]["checks"][0]["jobNames"][0]
    params = {
        "mode": "default",
        "runConfigData": "{}",
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": job,
            "assetSelection": [],
            "assetCheckSelection": [{"assetKey": key(asset), "name": name} for name in checks],
        },
    }
    launched = ui.graphql(LAUNCH_RUN, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def finished_run(ui: DagsterUI, run_id: str, timeout: float = 300) -> dict:
    def done():
        run = ui.graphql(RUN, id=run_id)["runOrError"]
        return run if run["status"] in FINISHED_RUN else None

    return ui.wait_for(f"run {run_id}", done, timeout=timeout, interval=1)


def step_failures(run: dict) -> list[str]:
    return [e["error"]["message"] for e in run["eventConnection"]["events"] if e["__typename"] == "ExecutionStepFailureEvent"]


def partitions_in(ranges: list[dict] | None, statuses: set[str], keys: list[str]) -> set[str]:
    """The partition keys (of ``keys``, in order) that the UI's status ranges put in ``statuses``."""
    index = {k: i for i, k in enumerate(keys)}
    found = set()
    for r in ranges or []:
        if r["status"] in statuses:
            found.update(keys[index[r["startKey"]] : index[r["endKey"]] + 1])
    return found


def check_statuses(ui: DagsterUI, asset: str, keys: list[str]) -> tuple[set[str], dict[str, dict[str, set[str]]]]:
    """(the asset's materialized or failed partitions, per check: status -> partitions), as Checks › Partitions shows."""
    node = ui.graphql(CHECK_STATUSES, key=key(asset))["assetNodeOrError"]
    built = partitions_in(node["assetPartitionStatuses"]["ranges"], {"MATERIALIZED", "FAILED"}, keys)
    checks = {}
    for check in node["assetChecksOrError"]["checks"]:
        ranges = (check["partitionStatuses"] or {}).get("ranges")
        statuses = {r["status"] for r in ranges or []}
        checks[check["name"]] = {status: partitions_in(ranges, {status}, keys) for status in statuses}
    return built, checks


def metadata_of(ui: DagsterUI, asset: str, partition: str) -> dict[str, object]:
    events = ui.graphql(MATERIALIZATIONS, key=key(asset), partitions=[partition])["assetOrError"]["assetMaterializations"]
    assert events, f"{asset} has no materialization of {partition}"
    return {e["label"]: e.get("intValue", e.get("floatValue", e["__typename"])) for e in events[0]["metadataEntries"]}

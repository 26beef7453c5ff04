"""The compose stack's Dagster, for real: its instance config (deploy/compose/dagster.yaml) on the
PostgreSQL these machines run (a database of the test's own), compute logs in S3 (moto's server
stands in for MinIO), the data in S3 too, the code location in its own gRPC server, and a range
backfill through the webserver's GraphQL executed by the daemon."""

import os
import uuid

import boto3
import pytest

from bse_platform.features.catalog import FAMILIES
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror
from bse_platform_tests.s3 import ACCESS_KEY, SECRET_KEY, moto_s3_endpoint
from bse_platform_tests.ui.dagster_ui import dagster_ui
from bse_platform_tests.ui.queries import CHECK_EXECUTIONS, check_statuses, counts_by_asset, finished_backfill, key, launch_backfill
from bse_platform_tests.ui.test_backfills_and_checks import ASSETS, KEYS, SESSIONS, every_check_shows_every_partition

PG = {"host": os.environ.get("BSE_TEST_PG_HOST", "127.0.0.1"), "port": 5432, "user": "postgres"}
DAYS = SESSIONS[:3]

SENSORS = """
query($repository: RepositorySelector!) {
  sensorsOrError(repositorySelector: $repository) { ... on Sensors { results { name sensorState { status } } } }
}"""
START_SENSOR = """
mutation($selector: SensorSelector!) { startSensor(sensorSelector: $selector) { __typename ... on Sensor { sensorState { status } } } }"""


@pytest.fixture(scope="module")
def database():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(dbname="test", connect_timeout=5, **PG)
    except psycopg2.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {PG['host']}:5432 (trust auth, database test): {error}")
    admin.autocommit = True
    name = f"bse_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def stack(database, tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home_postgres")
    with serve_mirror(MirrorSite(generate_market(40, SESSIONS, seed=9))) as mirror, moto_s3_endpoint() as (endpoint, bucket):
        environment = {
            "DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]), "DAGSTER_PG_USER": PG["user"],
            "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": database, "DAGSTER_COMPUTE_LOG_BUCKET": bucket,
            "BSE_STORAGE_URI": f"s3://{bucket}/platform", "BSE_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "BSE_MIRROR_URL": mirror.root_url, "BSE_MIN_ROWS": "10", "BSE_REQUEST_INTERVAL_SECONDS": "0",
            "BSE_EMBEDDED_REDIS_PATH": str(home / "redis.db"),
            "BSE_MLFLOW_TRACKING_URI": f"sqlite:///{home}/mlflow.db", "BSE_MLFLOW_ARTIFACTS": str(home / "mlflow-artifacts"),
        }  # fmt: skip
        with dagster_ui(home, environment, instance_config="deploy/compose/dagster.yaml", code_server=True) as ui:
            ui.bucket, ui.endpoint = bucket, endpoint
            yield ui


def test_a_range_backfill_on_postgres_materializes_and_checks_every_partition(stack):
    backfill = finished_backfill(stack, launch_backfill(stack, ASSETS, [d.isoformat() for d in DAYS]))
    assert backfill["status"] == "COMPLETED_SUCCESS"
    for asset, count in counts_by_asset(backfill).items():
        assert (count["targeted"], count["materialized"]) == (len(DAYS), len(DAYS)), asset
    every_check_shows_every_partition(stack)
    day = DAYS[1].isoformat()
    (execution,) = stack.graphql(CHECK_EXECUTIONS, key=key("clean_bhavcopy"), check="matches_clean_schema", partition=day)[
        "assetCheckExecutions"
    ]
    assert execution["status"] == "SUCCEEDED" and execution["partition"] == day
    built, _ = check_statuses(stack, "momentum", KEYS)
    assert built == {d.isoformat() for d in DAYS}
    s3 = boto3.client("s3", endpoint_url=stack.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket).get("Contents", [])]
    assert any(k.startswith("compute-logs/") for k in keys)  # the S3 compute-log manager
    assert f"platform/momentum/trade_date={day}/data.parquet" in keys and len([k for k in keys if k.startswith("platform/")]) > len(FAMILIES)


def test_the_sensors_are_listed_and_turned_on(stack):
    repository = stack.graphql("{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")[
        "repositoriesOrError"
    ]["nodes"][0]
    where = {"repositoryLocationName": repository["location"]["name"], "repositoryName": repository["name"]}
    sensors = {s["name"]: s["sensorState"]["status"] for s in stack.graphql(SENSORS, repository=where)["sensorsOrError"]["results"]}
    assert set(sensors) == {"bse_publication_sensor", "online_freshness_sensor", "recompute_features_after_late_corporate_actions"}
    assert set(sensors.values()) == {"RUNNING"}  # on by default
    started = stack.graphql(START_SENSOR, selector=where | {"sensorName": "online_freshness_sensor"})["startSensor"]
    assert started["__typename"] == "Sensor" and started["sensorState"]["status"] == "RUNNING"

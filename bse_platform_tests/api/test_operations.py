"""The registry, health, Prometheus metrics and the OpenAPI document, over real HTTP."""

import os
import socket

import pandas as pd
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import requests
from prometheus_client.parser import text_string_to_metric_families

from bse_platform.api import app_from_settings, create_app
from bse_platform.features.catalog import FAMILIES, definitions_version, entry, feature_names
from bse_platform.online import OnlineStore
from bse_platform.settings import REDIS_URL
from bse_platform_tests.api import serving
from bse_platform_tests.api.known_values import LIVE_DATE, available_at

VECTOR_ROUTE = "/feature-store/vector/{entity_id}"
PASSWORD = "not-to-be-shown"


def test_registry_lists_every_feature_by_family(api):
    registry = requests.get(f"{api}/registry").json()
    assert registry["definitions_version"] == definitions_version()
    assert [family["name"] for family in registry["families"]] == list(FAMILIES)
    assert [feature["name"] for family in registry["families"] for feature in family["features"]] == feature_names()
    momentum = next(family for family in registry["families"] if family["name"] == "momentum")
    assert (momentum["description"], momentum["own_days"]) == (FAMILIES["momentum"].description, FAMILIES["momentum"].own_days)
    assert momentum["features"][0] == entry("rsi_14")


def test_registry_entry_of_a_feature_or_a_family(api):
    assert requests.get(f"{api}/registry/sma_5").json() == entry("sma_5")
    family = requests.get(f"{api}/registry/volume").json()
    assert family["name"] == "volume" and [feature["name"] for feature in family["features"]] == FAMILIES["volume"].columns
    unknown = requests.get(f"{api}/registry/sma5")
    assert unknown.status_code == 404 and unknown.json()["parameter"] == "feature_or_family" and "sma_5" in unknown.json()["detail"]


def test_health_reports_the_live_snapshot(api):
    answer = requests.get(f"{api}/health")
    assert answer.status_code == 200
    health = answer.json()
    assert (health["status"], health["problems"], health["redis"], health["object_store"]) == ("ok", [], True, True)
    assert health["offline_latest_trade_date"] == "2024-11-15"
    snapshot = health["snapshot"]
    assert (snapshot["trade_date"], snapshot["vectors"]) == (LIVE_DATE.isoformat(), 3)
    assert snapshot["definitions_version"] == definitions_version()
    expected_age = (pd.Timestamp.now(tz="UTC") - available_at(LIVE_DATE)).total_seconds()
    assert abs(snapshot["age_seconds"] - expected_age) < 60


def test_health_of_an_empty_online_store_is_503(feature_store, redis_client, namespace, serve):
    answer = requests.get(f"{serve(create_app(feature_store, OnlineStore(redis_client, namespace)))}/health")
    assert answer.status_code == 503
    assert answer.json()["redis"] is True and answer.json()["snapshot"] is None
    assert any("no snapshot" in problem for problem in answer.json()["problems"])


def test_unreachable_redis_is_503(feature_store, serve):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    # Without redis-py's default retries and their backoff, which take seconds to give up.
    unreachable = redis.Redis(
        host="127.0.0.1", port=closed_port, password=PASSWORD, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    api = serve(create_app(feature_store, OnlineStore(unreachable, "unreachable")))
    health = requests.get(f"{api}/health")
    lookup = requests.get(f"{api}/feature-store/vector/500325")
    assert health.status_code == 503 and health.json()["redis"] is False
    assert any(problem.startswith("redis: ") and str(closed_port) in problem for problem in health.json()["problems"])
    assert lookup.status_code == 503 and "unreachable" in lookup.json()["detail"]
    assert all(PASSWORD not in answer.text for answer in (health, lookup, requests.get(f"{api}/metrics")))


def test_app_from_settings_serves_the_deployments_redis(monkeypatch, redis_client, serve):
    """Read-only: the deployment's namespace may hold a real snapshot, or none."""
    if not os.environ.get(REDIS_URL):  # the Redis the tests found, as a deployment would name it
        connection = redis_client.connection_pool.connection_kwargs
        socket_path, host, port, db = (connection.get(key) for key in ("path", "host", "port", "db"))
        url = f"unix://{socket_path}" if socket_path else f"redis://{host}:{port}/{db}"
        monkeypatch.setenv(REDIS_URL, url)
    api = serve(app_from_settings())
    assert requests.get(f"{api}/health").json()["redis"] is True
    assert requests.get(f"{api}/registry/sma_5").json() == entry("sma_5")


def metric_samples(api: str) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"{api}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_and_errors_by_route(api):
    for code in (500325, 500180, 532540):
        assert requests.get(f"{api}/feature-store/vector/{code}").status_code == 200
    assert requests.get(f"{api}/feature-store/vector/NOSUCH").status_code == 404
    samples = metric_samples(api)
    route = (("route", VECTOR_ROUTE),)
    assert samples[("bse_api_request_duration_seconds_count", route)] == 4
    assert samples[("bse_api_request_duration_seconds_bucket", (("le", "+Inf"), *route))] == 4
    assert ("bse_api_request_duration_seconds_bucket", (("le", "0.0005"), *route)) in samples  # fine buckets
    assert samples[("bse_api_errors_total", (("route", VECTOR_ROUTE), ("status", "404")))] == 1
    age = samples[("bse_api_snapshot_age_seconds", ())]
    assert abs(age - (pd.Timestamp.now(tz="UTC") - available_at(LIVE_DATE)).total_seconds()) < 60


def test_each_app_has_its_own_metrics(api, feature_store, online):
    with serving(create_app(feature_store, online)) as other:  # both at once: a server of its own
        requests.get(f"{other}/registry")
        assert not any(name == "bse_api_request_duration_seconds_count" and dict(labels).get("route") == "/registry"
                       for name, labels in metric_samples(api))  # fmt: skip
        assert metric_samples(other)[("bse_api_request_duration_seconds_count", (("route", "/registry"),))] == 1


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_openapi_is_served(api, path):
    assert requests.get(f"{api}{path}").status_code == 200


def test_openapi_documents_every_route(api):
    document = requests.get(f"{api}/openapi.json").json()
    assert document["info"]["title"] == "BSE feature store" and "point in time" in document["info"]["description"].lower()
    operations = {(path, method): operation for path, methods in document["paths"].items() for method, operation in methods.items()}
    assert set(operations) == {
        ("/feature-store/lookup", "get"), (VECTOR_ROUTE, "get"), ("/feature-store/batch", "post"), ("/feature-store/ingest", "post"),
        ("/registry", "get"), ("/registry/{feature_or_family}", "get"), ("/health", "get"), ("/metrics", "get"),
    }  # fmt: skip
    assert all(operation.get("summary") for operation in operations.values())
    assert {parameter["name"] for parameter in operations[("/feature-store/lookup", "get")]["parameters"]} == {
        "entity_id", "feature_name", "timestamp",
    }  # fmt: skip

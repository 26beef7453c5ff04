"""Ingest over real HTTP: a stored trade date published through the guarded atomic sync, then read
back; an older date or a much smaller snapshot refused (409) with the live one left as it was; the
data source and the features validated."""

import datetime as dt
import os

import pytest
import requests

from bse_platform_tests.api.known_values import SECURITIES, known_value, publish

NEXT_DATE = dt.date(2024, 11, 15)
RELIANCE = 500325


def ingest(api: str, data_source: str, feature_view: str = "momentum", features=("rsi_14", "macd"), **extra) -> requests.Response:
    body = {"feature_view": feature_view, "data_source": data_source, "features": list(features), **extra}
    return requests.post(f"{api}/feature-store/ingest", json=body, timeout=30)


def live_trade_date(api: str) -> str:
    return requests.get(f"{api}/feature-store/vector/{RELIANCE}").json()["trade_date"]


@pytest.mark.parametrize("source", ["uri", "relative path", "trade date"])
def test_ingest_publishes_a_newer_trade_date_that_readers_then_see(api, feature_store, source):
    data_source = {
        "uri": feature_store.uri("momentum/trade_date=2024-11-15/data.parquet"),
        "relative path": os.path.relpath(f"{feature_store.base_uri}/momentum/trade_date=2024-11-15"),  # to the server's folder
        "trade date": "2024-11-15",
    }[source]
    answer = ingest(api, data_source, timestamp="2024-11-15T20:00:00Z")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "success" and body["message"].startswith("published 3 vectors")
    assert (body["trade_date"], body["live_trade_date"], body["vectors"], body["published"]) == ("2024-11-15", "2024-11-15", 3, True)
    assert (body["features"], body["data_source"], body["timestamp"]) == (["rsi_14", "macd"], data_source, "2024-11-15T20:00:00Z")

    vector = requests.get(f"{api}/feature-store/vector/HDFCBANK").json()  # aliases came from clean_bhavcopy
    assert vector["trade_date"] == "2024-11-15" and vector["available_at"] == "2024-11-15T14:30:00Z"
    assert vector["values"]["rsi_14"] == known_value(NEXT_DATE, 500180, "rsi_14")
    assert vector["values"]["ret_1d"] == known_value(NEXT_DATE, 500180, "ret_1d")  # every family, not just momentum's
    assert vector["values"]["sma_200"] == known_value(NEXT_DATE, 500180, "sma_200")


def test_an_older_trade_date_is_refused_with_409_and_live_is_unchanged(api):
    answer = ingest(api, "2024-11-13")
    assert answer.status_code == 409
    body = answer.json()
    assert (body["status"], body["published"], body["live_trade_date"]) == ("skipped", False, "2024-11-14")
    assert "newer than 2024-11-13" in body["message"]
    assert live_trade_date(api) == "2024-11-14"


def test_a_much_smaller_snapshot_is_refused_unless_forced(api, online):
    publish(online, dt.date(2024, 11, 14), codes=[*SECURITIES, *range(600_000, 600_007)])  # 10 securities live
    refused = ingest(api, "2024-11-15")
    assert refused.status_code == 409 and refused.json()["status"] == "refused" and "Force it" in refused.json()["message"]
    assert live_trade_date(api) == "2024-11-14"

    forced = ingest(api, "2024-11-15", force=True)
    assert forced.status_code == 200 and forced.json()["live_trade_date"] == "2024-11-15"
    assert live_trade_date(api) == "2024-11-15"


@pytest.mark.parametrize(
    ("arguments", "status", "parameter", "words"),
    [
        ({"feature_view": "momentom"}, 422, "feature_view", ["'momentom'", "momentum"]),
        ({"features": ["rsi_14", "sma_5"]}, 422, "features", ["'sma_5'", "rsi_14"]),
        ({"data_source": "{base}/volume/trade_date=2024-11-15/data.parquet"}, 422, "data_source", ["'volume'", "'momentum'"]),
        ({"data_source": "s3://elsewhere/momentum/trade_date=2024-11-15/data.parquet"}, 422, "data_source", ["not under"]),
        ({"data_source": "{base}/momentum/2024-11-15.parquet"}, 422, "data_source", ["not a partition", "trade_date=YYYY-MM-DD"]),
        ({"data_source": "2024-11-20"}, 404, "data_source", ["no stored partition of 2024-11-20"]),
        ({"timestamp": "2024-11-15T09:00:00Z"}, 422, "timestamp", ["before", "2024-11-15T14:30:00+00:00"]),
        ({"features": []}, 422, "features", ["at least 1"]),
    ],
    ids=["unknown view", "foreign feature", "other family", "outside the store", "not a partition", "not stored", "early", "no features"],
)
def test_bad_ingest_requests_are_4xx_naming_the_parameter(api, feature_store, arguments, status, parameter, words):
    request = {"data_source": "2024-11-15", **arguments}
    request["data_source"] = request["data_source"].format(base=feature_store.base_uri)
    answer = ingest(api, **request)
    assert answer.status_code == status, answer.text
    assert answer.json()["parameter"] == parameter and all(word in answer.json()["detail"] for word in words), answer.json()
    assert live_trade_date(api) == "2024-11-14"

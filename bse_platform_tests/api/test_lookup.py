"""Lookups over real HTTP: online and point-in-time values, symbol/ISIN resolution, full vectors,
batches, and the 4xx/503 answers to what cannot be served."""

import datetime as dt

import pandas as pd
import pytest
import requests

from bse_platform.api import create_app
from bse_platform.online import OnlineStore
from bse_platform_tests.api.known_values import LIVE_DATE, SECURITIES, available_at, known_value, publish

RELIANCE, TCS = 500325, 532540


def lookup(api: str, **parameters) -> requests.Response:
    return requests.get(f"{api}/feature-store/lookup", params=parameters, timeout=10)


def test_online_lookup_by_query_parameters(api):
    answer = lookup(api, entity_id=RELIANCE, feature_name="sma_5")
    assert answer.status_code == 200
    assert answer.json() == {
        "entity_id": str(RELIANCE),
        "feature_name": "sma_5",
        "value": known_value(LIVE_DATE, RELIANCE, "sma_5"),
        "timestamp": None,
        "source": "online",
        "security_code": RELIANCE,
        "trade_date": LIVE_DATE.isoformat(),
        "available_at": "2024-11-14T14:30:00Z",
    }


def test_online_lookup_by_json_body_as_the_seed_sends_it(api):
    body = {"entity_id": "RELIANCE", "feature_name": "rsi_14", "timestamp": "2024-11-15T20:00:00Z"}
    answer = requests.get(f"{api}/feature-store/lookup", json=body, timeout=10).json()
    assert answer["entity_id"] == "RELIANCE" and answer["feature_name"] == "rsi_14"
    assert answer["value"] == known_value(LIVE_DATE, RELIANCE, "rsi_14")
    assert (answer["source"], answer["trade_date"], answer["timestamp"]) == ("online", "2024-11-14", "2024-11-15T20:00:00Z")


def test_the_live_snapshot_answers_from_just_after_its_available_at_as_a_training_set_would(api):
    at = available_at(LIVE_DATE)
    answer = lookup(api, entity_id=RELIANCE, feature_name="sma_5", timestamp=at.isoformat()).json()
    assert (answer["source"], answer["trade_date"]) == ("offline", "2024-11-13")  # not yet known at that instant
    later = lookup(api, entity_id=RELIANCE, feature_name="sma_5", timestamp=(at + pd.Timedelta(seconds=1)).isoformat()).json()
    assert (later["source"], later["trade_date"]) == ("online", "2024-11-14")


def test_a_code_no_longer_live_still_has_its_point_in_time_values(online, feature_store, serve):
    publish(online, LIVE_DATE, codes=[RELIANCE, 500180])  # TCS is not in the live snapshot
    api = serve(create_app(feature_store, online))
    answer = lookup(api, entity_id=str(TCS), feature_name="sma_5", timestamp="2024-11-14T12:00:00Z")
    assert answer.status_code == 200 and answer.json()["value"] == known_value(dt.date(2024, 11, 13), TCS, "sma_5")
    assert lookup(api, entity_id=str(TCS), feature_name="sma_5").status_code == 404  # online: not live


def test_an_earlier_timestamp_gets_the_point_in_time_value_from_the_offline_store(api):
    answer = lookup(api, entity_id=RELIANCE, feature_name="sma_5", timestamp="2024-11-14T12:00:00Z").json()
    day = dt.date(2024, 11, 13)
    assert answer["value"] == known_value(day, RELIANCE, "sma_5")
    assert (answer["source"], answer["trade_date"], answer["available_at"]) == ("offline", "2024-11-13", "2024-11-13T14:30:00Z")
    assert answer["timestamp"] == "2024-11-14T12:00:00Z"


def test_a_timestamp_exactly_at_a_dates_available_at_gets_the_previous_date(api):
    at_publication = available_at(dt.date(2024, 11, 13)).tz_convert("Asia/Kolkata").isoformat()  # any time zone
    answer = lookup(api, entity_id=RELIANCE, feature_name="macd", timestamp=at_publication).json()
    assert (answer["source"], answer["trade_date"]) == ("offline", "2024-11-12")
    assert answer["value"] == known_value(dt.date(2024, 11, 12), RELIANCE, "macd")


def test_before_anything_is_stored_the_value_is_null(api):
    answer = lookup(api, entity_id=RELIANCE, feature_name="sma_5", timestamp="2024-11-01T00:00:00Z")
    assert answer.status_code == 200
    assert {key: answer.json()[key] for key in ("value", "source", "trade_date", "available_at")} == {
        "value": None, "source": "offline", "trade_date": None, "available_at": None,
    }  # fmt: skip


@pytest.mark.parametrize("timestamp", [None, "2024-11-13T20:00:00Z"], ids=["online", "offline"])
def test_an_undefined_value_is_null(api, timestamp):
    answer = lookup(api, entity_id=TCS, feature_name="sma_200", **({"timestamp": timestamp} if timestamp else {})).json()
    assert answer["value"] is None and answer["trade_date"] is not None


@pytest.mark.parametrize("entity", ["RELIANCE", "reliance", "INE002A01018"])
def test_symbols_and_isins_resolve_to_the_security(api, entity):
    online = lookup(api, entity_id=entity, feature_name="vwap").json()
    offline = lookup(api, entity_id=entity, feature_name="vwap", timestamp="2024-11-13T20:00:00Z").json()
    assert online["security_code"] == offline["security_code"] == RELIANCE and online["entity_id"] == entity
    assert online["value"] == known_value(LIVE_DATE, RELIANCE, "vwap")
    assert offline["value"] == known_value(dt.date(2024, 11, 13), RELIANCE, "vwap")


@pytest.mark.parametrize(
    ("parameters", "status", "parameter", "words"),
    [
        ({"entity_id": RELIANCE, "feature_name": "sma_55"}, 404, "feature_name", ["'sma_55'", "sma_5", "GET /registry"]),
        ({"entity_id": "NOSUCH", "feature_name": "sma_5"}, 404, "entity_id", ["'NOSUCH'", "2024-11-14"]),
        ({"entity_id": 999999, "feature_name": "sma_5"}, 404, "entity_id", ["999999"]),
        ({"entity_id": RELIANCE, "feature_name": "sma_5", "timestamp": "yesterday"}, 422, "timestamp", ["datetime"]),
        ({"entity_id": RELIANCE, "feature_name": "sma_5", "timestamp": "2024-11-14T12:00:00"}, 422, "timestamp", ["timezone"]),
        ({"feature_name": "sma_5"}, 422, "entity_id", ["required"]),
    ],
    ids=["unknown feature", "unknown symbol", "unknown code", "bad timestamp", "naive timestamp", "no entity"],
)
def test_bad_parameters_are_4xx_naming_the_parameter(api, parameters, status, parameter, words):
    answer = lookup(api, **parameters)
    assert answer.status_code == status
    assert answer.json()["parameter"] == parameter and answer.json()["detail"].startswith(f"{parameter}: ")
    assert all(word in answer.json()["detail"] for word in words), answer.json()


def test_query_parameters_and_a_body_together_are_refused(api):
    body = {"entity_id": RELIANCE, "feature_name": "sma_5"}
    answer = requests.get(f"{api}/feature-store/lookup", params={"entity_id": RELIANCE}, json=body)
    assert answer.status_code == 422 and "not both" in answer.json()["detail"]


def test_an_empty_online_store_is_503(feature_store, redis_client, namespace, serve):
    api = serve(create_app(feature_store, OnlineStore(redis_client, namespace)))
    answers = [
        lookup(api, entity_id=RELIANCE, feature_name="sma_5"),
        requests.get(f"{api}/feature-store/vector/{RELIANCE}"),
        requests.post(f"{api}/feature-store/batch", json={"entity_ids": [RELIANCE]}),
    ]
    for answer in answers:
        assert answer.status_code == 503 and "no snapshot" in answer.json()["detail"]


def test_full_vector_in_vector_order(api):
    answer = requests.get(f"{api}/feature-store/vector/TCS").json()
    expected = {name: known_value(LIVE_DATE, TCS, name) for name in answer["values"]}
    expected["sma_200"] = None
    assert list(answer["values"]) == list(expected) and answer["values"] == expected
    assert len(answer["values"]) == 53 and list(answer["values"])[:2] == ["ret_1d", "log_ret_1d"]
    assert (answer["entity_id"], answer["security_code"], answer["trade_date"]) == ("TCS", TCS, "2024-11-14")


def test_vector_of_chosen_features_in_the_order_asked(api):
    answer = requests.get(f"{api}/feature-store/vector/{RELIANCE}", params={"features": "rsi_14, sma_5"}).json()
    assert answer["values"] == {"rsi_14": known_value(LIVE_DATE, RELIANCE, "rsi_14"), "sma_5": known_value(LIVE_DATE, RELIANCE, "sma_5")}
    assert list(answer["values"]) == ["rsi_14", "sma_5"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [(f"/feature-store/vector/{RELIANCE}?features=sma_5,bogus", "features"), ("/feature-store/vector/NOSUCH", "entity_id"),
     (f"/feature-store/vector/{RELIANCE}?features=", "features")],
    ids=["unknown feature", "unknown security", "empty features"],
)  # fmt: skip
def test_vector_errors_name_the_parameter(api, path, parameter):
    answer = requests.get(f"{api}{path}")
    assert answer.status_code in (404, 422) and answer.json()["parameter"] == parameter


def test_batch_answers_in_the_order_asked_from_one_snapshot(api):
    asked = ["TCS", RELIANCE, "INE040A01034"]
    answer = requests.post(f"{api}/feature-store/batch", json={"entity_ids": asked, "features": ["sma_200", "ret_1d"]}).json()
    assert (answer["trade_date"], answer["available_at"]) == ("2024-11-14", "2024-11-14T14:30:00Z")
    assert [vector["entity_id"] for vector in answer["vectors"]] == asked
    assert [vector["security_code"] for vector in answer["vectors"]] == [TCS, RELIANCE, 500180]
    assert answer["vectors"][0]["values"] == {"sma_200": None, "ret_1d": known_value(LIVE_DATE, TCS, "ret_1d")}
    assert answer["vectors"][2]["values"]["sma_200"] == known_value(LIVE_DATE, 500180, "sma_200")


def test_batch_of_every_security_with_full_vectors(api):
    answer = requests.post(f"{api}/feature-store/batch", json={"entity_ids": list(SECURITIES)}).json()
    assert [len(vector["values"]) for vector in answer["vectors"]] == [53, 53, 53]


@pytest.mark.parametrize(
    ("body", "status", "parameter"),
    [({"entity_ids": [RELIANCE, "NOSUCH"]}, 404, "entity_ids"), ({"entity_ids": [RELIANCE], "features": ["nope"]}, 404, "features"),
     ({"entity_ids": []}, 422, "entity_ids"), ({}, 422, "entity_ids")],
    ids=["unknown security", "unknown feature", "no securities", "no body field"],
)  # fmt: skip
def test_batch_errors_name_the_parameter(api, body, status, parameter):
    answer = requests.post(f"{api}/feature-store/batch", json=body)
    assert answer.status_code == status and answer.json()["parameter"] == parameter
    if status == 404:
        assert "NOSUCH" in answer.json()["detail"] or "'nope'" in answer.json()["detail"]

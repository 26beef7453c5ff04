"""The training_set asset through a real Dagster instance, on stored feature partitions."""

import datetime as dt
import io

import numpy as np
import pandas as pd
from dagster import materialize

from bse_platform.calendar import TradingCalendar
from bse_platform.defs.resources import StorageResource
from bse_platform.defs.training import LEAKAGE_CHECK, training_set
from bse_platform.features.catalog import feature_names
from bse_platform_tests.training import published, write_feature_partitions

SESSIONS = TradingCalendar().sessions(dt.date(2025, 3, 3), dt.date(2025, 3, 28))
CODES = np.array([500325, 532540, 500180])


def stored_features(tmp_path) -> StorageResource:
    """Every family for every session; each security's ret_1d is 1% a day, every other feature its code."""
    storage = StorageResource(base_uri=str(tmp_path / "data"))
    for day in SESSIONS:
        values = pd.DataFrame({name: CODES.astype(float) for name in feature_names()}).assign(security_code=CODES, ret_1d=0.01)
        write_feature_partitions(storage.store(), day, values)
    return storage


def run(storage, instance, **config):
    return materialize(
        [training_set], instance=instance, resources={"storage": storage}, raise_on_error=False,
        run_config={"ops": {"training_set": {"config": {"name": "test", **config}}}},
    )  # fmt: skip


def test_a_training_set_of_forward_return_labels_is_written_with_its_audit(tmp_path, instance):
    storage = stored_features(tmp_path)
    result = run(storage, instance, start=SESSIONS[0].isoformat(), end=SESSIONS[-1].isoformat(), features=["momentum", "ret_1d"])
    assert result.success
    frame = pd.read_parquet(io.BytesIO(storage.store().read_bytes("training_sets/test/data.parquet")))
    assert len(frame) == len(SESSIONS) * len(CODES)
    # Each event takes the values of its own trade date (published a minute before it), never a later one.
    assert (frame["momentum_trade_date"] == frame["trade_date"]).all()
    assert (frame["rsi_14"] == frame["security_code"]).all()
    assert frame["fwd_ret_5d"].iloc[: -5 * len(CODES)].round(12).eq(round(1.01**5 - 1, 12)).all()
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == LEAKAGE_CHECK and check.passed and check.metadata["violations"].value == 0
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["rows"].value == len(frame) and metadata["features"].value == 9
    assert metadata["partitions_read"].value == {"momentum": len(SESSIONS), "returns": len(SESSIONS)}


def test_your_own_events_from_the_object_store(tmp_path, instance):
    storage = stored_features(tmp_path)
    events = pd.DataFrame({"security_code": [500325, 500325], "event_time": [published(SESSIONS[4]), published(SESSIONS[4]) + pd.Timedelta(seconds=1)], "y": [0, 1]})
    buffer = io.BytesIO()
    events.to_parquet(buffer)
    storage.store().write_bytes("events/mine.parquet", buffer.getvalue())
    assert run(storage, instance, events_key="events/mine.parquet", features=["rsi_14"]).success
    frame = pd.read_parquet(io.BytesIO(storage.store().read_bytes("training_sets/test/data.parquet")))
    assert frame["momentum_trade_date"].dt.date.tolist() == [SESSIONS[3], SESSIONS[4]]
    assert frame["y"].tolist() == [0, 1]


def test_an_unknown_feature_fails_the_run_naming_it_and_writes_nothing(tmp_path, instance):
    storage = stored_features(tmp_path)
    result = run(storage, instance, features=["rsi_15"])
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert "rsi_15" in str(failure.step_failure_data.error)
    assert storage.store().list_files("training_sets") == []

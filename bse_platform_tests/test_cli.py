"""The bse-platform command, run as a user runs it: a process, the store from BSE_STORAGE_URI."""

import datetime as dt
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from bse_platform.calendar import TradingCalendar
from bse_platform.features.catalog import FAMILIES, FEATURES, entry, feature_names
from bse_platform.storage import ObjectStore
from bse_platform_tests.training import write_feature_partitions


def bse_platform(*args: str, storage: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"BSE_STORAGE_URI": storage} if storage else {})}
    return subprocess.run([sys.executable, "-m", "bse_platform.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def test_catalog_list_shows_every_feature_and_describe_gives_the_catalog_entry():
    listed = bse_platform("catalog", "list")
    assert listed.returncode == 0
    assert all(name in listed.stdout for name in FEATURES) and f"{len(FEATURES)} features" in listed.stdout
    described = bse_platform("catalog", "describe", "rsi_14")
    assert json.loads(described.stdout) == entry("rsi_14")
    family = json.loads(bse_platform("catalog", "describe", "volume").stdout)
    assert [feature["name"] for feature in family["features"]] == FAMILIES["volume"].columns


def test_an_unknown_name_is_a_clear_error():
    result = bse_platform("catalog", "describe", "rsi_15")
    assert result.returncode == 2 and "'rsi_15' is neither a feature nor a family" in result.stderr


def test_labels_then_a_training_set_from_the_command_line(tmp_path):
    sessions = TradingCalendar().sessions(dt.date(2025, 3, 3), dt.date(2025, 3, 14))
    codes = np.array([500325, 532540])
    store = ObjectStore(str(tmp_path / "data"))
    for day in sessions:
        values = pd.DataFrame({name: codes.astype(float) for name in feature_names()}).assign(security_code=codes, ret_1d=0.02)
        write_feature_partitions(store, day, values)
    labels, training = tmp_path / "labels.parquet", tmp_path / "train.parquet"
    made = bse_platform("training", "labels", "--start", sessions[0].isoformat(), "--end", sessions[-1].isoformat(),
                        "--out", str(labels), storage=str(tmp_path / "data"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    built = bse_platform("training", "build", "--events", str(labels), "--features", "returns,rsi_14", "--out", str(training),
                         storage=str(tmp_path / "data"))  # fmt: skip
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["audit"]["passed"] and report["audit"]["events"] == len(sessions) * len(codes)
    frame = pd.read_parquet(training)
    assert frame["fwd_ret_1d"].dropna().round(12).eq(0.02).all() and frame["fwd_ret_1d"].isna().sum() == len(codes)
    assert (frame["returns_trade_date"] == frame["trade_date"]).all() and (frame["rsi_14"] == frame["security_code"]).all()

"""The online/offline comparison against a real Redis server: equal passes, any difference is named."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bse_platform.online import OnlineStore
from bse_platform.online.consistency import SAMPLE_SIZE, compare_with_offline
from bse_platform.online.store import VECTOR_DTYPE

FEATURES = ["ret_1d", "rsi_14", "vol_20"]
DAY = dt.date(2025, 8, 29)


def offline_vectors(securities: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(securities, len(FEATURES)))
    values[rng.random(values.shape) < 0.1] = np.nan  # nulls online are nulls offline
    frame = pd.DataFrame(values, columns=FEATURES)
    frame.insert(0, "security_code", np.arange(500_000, 500_000 + securities, dtype="int64"))
    return frame


@pytest.fixture
def store(redis_client, namespace):
    return OnlineStore(redis_client, namespace)


def publish(store: OnlineStore, vectors: pd.DataFrame, day: dt.date = DAY) -> str:
    result = store.sync(
        vectors, feature_names=FEATURES, trade_date=day, available_at=pd.Timestamp(day, tz="UTC"), definitions_version="v-test"
    )
    return result.snapshot_id


def test_the_published_vectors_match_on_a_sample_that_depends_on_the_trade_date_only(store):
    vectors = offline_vectors(SAMPLE_SIZE + 50)
    publish(store, vectors)
    report = compare_with_offline(store.client(), vectors, DAY, FEATURES)
    assert report.passed and report.snapshot_trade_date == DAY
    assert (len(report.sampled), report.compared_values, report.mismatched_values) == (SAMPLE_SIZE, SAMPLE_SIZE * len(FEATURES), 0)
    shuffled = vectors.sample(frac=1.0, random_state=1)
    assert compare_with_offline(store.client(), shuffled, DAY, FEATURES).sampled == report.sampled
    assert compare_with_offline(store.client(), vectors, DAY + dt.timedelta(days=1), FEATURES).sampled != report.sampled


def test_a_value_changed_in_redis_is_named(store, redis_client):
    vectors = offline_vectors(30)  # all sampled
    snapshot_id = publish(store, vectors)
    code, offline = int(vectors["security_code"].iloc[4]), vectors[FEATURES].iloc[4].to_numpy()
    tampered = offline.copy()
    tampered[1] += 1e-12  # exact equality: the smallest change counts
    redis_client.hset(store.keys.snapshot(snapshot_id, ":vectors"), str(code), tampered.astype(VECTOR_DTYPE).tobytes())

    report = compare_with_offline(store.client(), vectors, DAY, FEATURES)
    assert not report.passed and report.mismatched_values == 1
    (mismatch,) = report.mismatches.to_dict("records")
    assert mismatch == {"security_code": code, "feature": FEATURES[1], "online": tampered[1], "offline": offline[1]}


def test_a_missing_security_another_trade_date_and_a_missing_feature_fail(store, redis_client):
    vectors = offline_vectors(30)
    snapshot_id = publish(store, vectors)
    gone = int(vectors["security_code"].iloc[0])
    redis_client.hdel(store.keys.snapshot(snapshot_id, ":vectors"), str(gone))
    missing = compare_with_offline(store.client(), vectors, DAY, FEATURES)
    assert not missing.passed and missing.missing_securities == (gone,) and missing.mismatched_values == 0

    publish(store, vectors, DAY + dt.timedelta(days=1))
    stale = compare_with_offline(store.client(), vectors, DAY, FEATURES)
    assert not stale.passed and stale.snapshot_trade_date == DAY + dt.timedelta(days=1) and stale.mismatched_values == 0

    renamed = vectors.rename(columns={"vol_20": "vol_60"})
    unknown = compare_with_offline(store.client(), renamed, DAY + dt.timedelta(days=1), ["ret_1d", "rsi_14", "vol_60"])
    assert not unknown.passed and unknown.missing_features == ("vol_60",) and unknown.compared_values == 30 * 2

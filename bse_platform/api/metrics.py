"""Prometheus metrics of one app: request latency and errors by route, and the live snapshot's age.

Each app has a registry of its own (not prometheus_client's global one), so several apps in one
process (the tests) do not collide. Routes are labelled by their template
(``/feature-store/vector/{entity_id}``), so a label's values stay few whatever the URLs asked.
"""

import time
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Fine around the 0.5-10 ms a lookup takes, coarse beyond (ingest, offline reads).
LATENCY_BUCKETS = (0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
                   0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)  # fmt: skip
UNMATCHED_ROUTE = "unmatched"  # a URL no route serves


class ApiMetrics:
    """``snapshot_age`` gives the live snapshot's age in seconds (NaN: none), read at each scrape."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, snapshot_age: Callable[[], float]):
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "bse_api_request_duration_seconds", "Time to answer a request, by route",
            ["route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "bse_api_errors", "Requests answered with a 4xx or 5xx status, by route and status", ["route", "status"], registry=self.registry
        )
        self.snapshot_age = Gauge(
            "bse_api_snapshot_age_seconds", "Seconds since the live online snapshot's available_at (NaN: no snapshot)",
            registry=self.registry,
        )  # fmt: skip
        self.snapshot_age.set_function(snapshot_age)

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.latency.labels(route).observe(seconds)
        if status >= 400:
            self.errors.labels(route, str(status)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request from its arrival to its last byte. A plain ASGI middleware:
    Starlette's BaseHTTPMiddleware would cost a task and a queue per request."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before starting its response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = scope.get("route")  # set by the router on the shared scope once a route matched
            self.metrics.observe(getattr(route, "path", UNMATCHED_ROUTE), status, time.perf_counter() - started)


"""The feature lookup API: FastAPI over the online store (Redis) and the offline store (Parquet).

``create_app`` builds it on any stores (the tests pass their own); ``app_from_settings`` on the
deployment's (``bse_platform.settings``, secrets from the environment); ``serve`` runs that under
uvicorn. Lookups of the live snapshot are ``async`` routes calling the synchronous Redis client: one
sub-millisecond round trip costs less than a hop to a thread. Whatever reads files or writes a
snapshot (offline lookups, ingest, health, metrics) runs in the thread pool, so it never stalls them.
"""

import math
from importlib.metadata import version

import redis
import uvicorn
from fastapi import Body, FastAPI, Path, Query, Response
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from bse_platform.api.errors import ApiError, install_error_handlers
from bse_platform.api.health import health_report, snapshot_age_seconds
from bse_platform.api.ingest import ingest
from bse_platform.api.lookup import lookup_request, offline_answer, online_answer, read_vectors, wants_online
from bse_platform.api.metrics import ApiMetrics, MetricsMiddleware
from bse_platform.api.registry import family_entry, registry, require_features, unknown_names_error
from bse_platform.api.schemas import (
    BatchRequest,
    BatchResponse,
    BatchVector,
    ErrorResponse,
    FamilyEntry,
    HealthResponse,
    IngestRequest,
    IngestResponse,
    LookupRequest,
    LookupResponse,
    RegistryResponse,
    VectorResponse,
)
from bse_platform.features.catalog import FAMILIES, FEATURES, entry
from bse_platform.deployment import object_store, online_store
from bse_platform.online import OnlineStore, OnlineStoreError
from bse_platform.storage import ObjectStore

DESCRIPTION = """
Technical-indicator features of BSE equities, by security: a BSE security code, or a symbol or ISIN
of the live snapshot.

* **Online**: the latest trade date's full vectors, from Redis (`/feature-store/lookup`,
  `/feature-store/vector/{entity_id}`, `/feature-store/batch`).
* **Point in time**: a lookup with a `timestamp` before the live snapshot's `available_at` is
  answered from the offline Parquet store: the latest value whose `available_at` is strictly before
  the timestamp, as the training sets join it.
* **Ingest**: `/feature-store/ingest` publishes a stored trade date to the online store.
* **Registry**: every feature's definition (`/registry`).

Errors answer `{"detail": ..., "parameter": ...}`: 4xx for a bad parameter, 503 when a store cannot answer.
"""

FEATURE_STORE, CATALOG, OPERATIONS = "feature store", "registry", "operations"
READ_ERRORS = {status: {"model": ErrorResponse} for status in (404, 422, 503)}


def create_app(store: ObjectStore, online: OnlineStore) -> FastAPI:
    """The API over ``store`` (offline features, the partitions ingest publishes) and ``online``."""
    # The async routes share one client on the event loop; thread-pool work makes its own, as a
    # client's snapshot cache is not meant to be shared across threads.
    reader = online.client()

    def snapshot_age() -> float:
        try:
            return snapshot_age_seconds(online.client().snapshot())
        except (OnlineStoreError, redis.RedisError):
            return math.nan

    metrics = ApiMetrics(snapshot_age)
    app = FastAPI(title="BSE feature store", description=DESCRIPTION, version=version("bse-platform"))
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    install_error_handlers(app)
    catalog = registry()  # the catalog is fixed for the process's life

    @app.get(
        "/feature-store/lookup", response_model=LookupResponse, tags=[FEATURE_STORE], responses=READ_ERRORS,
        summary="One feature of one security: online, or point-in-time before the live snapshot",
    )  # fmt: skip
    async def lookup(
        entity_id: str | None = Query(None, description="BSE security code, symbol or ISIN"),
        feature_name: str | None = Query(None, description="A feature name"),
        timestamp: AwareDatetime | None = Query(None, description="ISO 8601 with a time zone; none: the online value"),
        body: LookupRequest | None = Body(None, description="The same, as a JSON body instead of query parameters"),
    ) -> LookupResponse:
        request = lookup_request(entity_id, feature_name, timestamp, body)
        require_features([request.feature_name], "feature_name")
        code = request.entity_id.strip()
        if code.isdigit() and not wants_online(request, reader.snapshot().available_at):
            # A code need not be live (delisted, suspended) to have a past.
            return await run_in_threadpool(offline_answer, store, request, int(code))
        [live] = read_vectors(
            reader, [request.entity_id], [request.feature_name], entity_parameter="entity_id", feature_parameter="feature_name"
        )
        if wants_online(request, live.available_at):
            return online_answer(request, live)
        return await run_in_threadpool(offline_answer, store, request, live.security_code)

    @app.get(
        "/feature-store/vector/{entity_id}", response_model=VectorResponse, tags=[FEATURE_STORE], responses=READ_ERRORS,
        summary="One security's feature vector from the live snapshot",
    )  # fmt: skip
    async def vector(
        entity_id: str = Path(description="BSE security code, symbol or ISIN"),
        features: str | None = Query(None, description="Comma-separated feature names, in the order wanted (default: all)"),
    ) -> VectorResponse:
        names = None
        if features is not None:
            names = [name.strip() for name in features.split(",") if name.strip()]
            if not names:
                raise ApiError(422, "features: empty; leave it out for every feature", "features")
            require_features(names, "features")
        [found] = read_vectors(reader, [entity_id], names, entity_parameter="entity_id", feature_parameter="features")
        return VectorResponse(
            entity_id=entity_id,
            security_code=found.security_code,
            trade_date=found.trade_date,
            available_at=found.available_at.to_pydatetime(),
            values=found.values,
        )

    @app.post(
        "/feature-store/batch", response_model=BatchResponse, tags=[FEATURE_STORE], responses=READ_ERRORS,
        summary="Many securities' vectors in one round trip, all from one snapshot",
    )  # fmt: skip
    async def batch(request: BatchRequest) -> BatchResponse:
        if request.features is not None:
            require_features(request.features, "features")
        found = read_vectors(reader, request.entity_ids, request.features, entity_parameter="entity_ids", feature_parameter="features")
        return BatchResponse(
            trade_date=found[0].trade_date,
            available_at=found[0].available_at.to_pydatetime(),
            vectors=[
                BatchVector(entity_id=asked, security_code=vector.security_code, values=vector.values)
                for asked, vector in zip(request.entity_ids, found)
            ],
        )

    @app.post(
        "/feature-store/ingest", response_model=IngestResponse, tags=[FEATURE_STORE],
        responses={409: {"model": IngestResponse, "description": "Not published: a newer trade date is live, or far fewer vectors"},
                   404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
        summary="Publish a stored trade date's vectors to the online store (atomic, guarded)",
    )  # fmt: skip
    def ingest_trade_date(request: IngestRequest, response: Response) -> IngestResponse:
        response.status_code, answer = ingest(store, online, request)
        return answer

    @app.get("/registry", response_model=RegistryResponse, tags=[CATALOG], summary="Every feature's definition, by family")
    async def full_registry() -> RegistryResponse:
        return catalog

    @app.get(
        "/registry/{feature_or_family}", response_model=FamilyEntry | dict[str, object], tags=[CATALOG],
        responses={404: {"model": ErrorResponse}}, summary="One feature's definition, or one family's",
    )  # fmt: skip
    async def registry_entry(feature_or_family: str) -> FamilyEntry | dict[str, object]:
        if feature_or_family in FEATURES:
            return entry(feature_or_family)
        if feature_or_family in FAMILIES:
            return family_entry(feature_or_family)
        raise unknown_names_error("feature or family", [feature_or_family], [*FAMILIES, *FEATURES], "feature_or_family")

    @app.get(
        "/health", response_model=HealthResponse, tags=[OPERATIONS],
        responses={503: {"model": HealthResponse, "description": "Unhealthy: `problems` says what failed"}},
        summary="Redis, the object store and the live snapshot: 200 when all answer, else 503",
    )  # fmt: skip
    def health(response: Response) -> HealthResponse:
        report = health_report(store, online.client())
        response.status_code = 200 if report.status == "ok" else 503
        return report

    @app.get(
        "/metrics", tags=[OPERATIONS], response_class=Response,
        summary="Prometheus metrics: latency and errors by route, the live snapshot's age",
    )  # fmt: skip
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=metrics.content_type)

    return app


def app_from_settings() -> FastAPI:
    """The API on the deployment's object store and Redis (``bse_platform.deployment``); secrets
    come from the environment and are never logged (the Redis URL may carry a password)."""
    return create_app(object_store(), online_store())


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API on the deployment's stores under uvicorn (uvloop and httptools when installed).
    No access log: /metrics counts every route's requests and errors, and a line per lookup, hundreds
    a second, would bury the log lines that matter."""
    uvicorn.run(app_from_settings(), host=host, port=port, access_log=False)

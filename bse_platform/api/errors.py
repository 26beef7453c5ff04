"""How the API answers a request it cannot serve: a status code and one JSON shape,
``{"detail": <what is wrong>, "parameter": <the parameter at fault, or null>}``.

A bad parameter is a 4xx naming it; a store that cannot answer (no snapshot yet, Redis or the
object store unreachable) is a 503, which a client may retry.
"""

import pyarrow as pa
import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bse_platform.online import EmptyOnlineStoreError, OnlineStoreError


class ApiError(Exception):
    """A request the API refuses, with the parameter at fault (None: the request as a whole)."""

    def __init__(self, status_code: int, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.parameter = parameter


def error_response(status_code: int, message: str, parameter: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message, "parameter": parameter}, status_code=status_code, headers=headers)


def _validation_message(error: dict) -> tuple[str, str | None]:
    """pydantic's error as "<parameter>: <problem>"; its location minus where it came from (query, body)."""
    location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    parameter = ".".join(location) or None
    return (f"{parameter}: {error['msg']}" if parameter else error["msg"]), parameter


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status_code, str(error), error.parameter)

    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        messages = [_validation_message(detail) for detail in error.errors()]
        return error_response(422, "; ".join(message for message, _ in messages), messages[0][1] if messages else None)

    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), headers=error.headers)  # e.g. a 405's Allow

    async def empty_store(request: Request, error: EmptyOnlineStoreError) -> JSONResponse:
        return error_response(503, f"{error}: nothing is published yet (POST /feature-store/ingest publishes a trade date)")

    async def store_unavailable(request: Request, error: OnlineStoreError) -> JSONResponse:
        return error_response(503, str(error))

    async def redis_unreachable(request: Request, error: redis.RedisError) -> JSONResponse:
        # redis-py's messages name the host and the failure, never the password of the URL.
        return error_response(503, f"the online store (Redis) is unreachable: {error}")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(EmptyOnlineStoreError, empty_store)
    app.add_exception_handler(OnlineStoreError, store_unavailable)  # a snapshot expired mid-read: retry
    app.add_exception_handler(redis.RedisError, redis_unreachable)

    async def object_store_unreachable(request: Request, error: Exception) -> JSONResponse:
        return error_response(503, f"the object store cannot answer: {error}")

    app.add_exception_handler(OSError, object_store_unreachable)  # a local folder or S3 (pyarrow raises OSError)
    app.add_exception_handler(pa.ArrowException, object_store_unreachable)

"""The API under test: the known store (known_values.py) on disk, LIVE_DATE live in a Redis namespace
of the test's own, served over real HTTP."""

import pytest
from fastapi import FastAPI

from bse_platform.api import create_app
from bse_platform.online import OnlineStore
from bse_platform.storage import ObjectStore
from bse_platform_tests.api import AppSlot, serving
from bse_platform_tests.api.known_values import LIVE_DATE, publish, write_known_store
from bse_platform_tests.online.conftest import namespace, redis_client  # noqa: F401 (fixtures: a real Redis, a namespace per test)


@pytest.fixture(scope="session")
def feature_store(tmp_path_factory) -> ObjectStore:
    store = ObjectStore(str(tmp_path_factory.mktemp("api") / "store"))
    write_known_store(store)
    return store


@pytest.fixture
def online(redis_client, namespace) -> OnlineStore:  # noqa: F811 (the fixtures imported above)
    store = OnlineStore(redis_client, namespace)
    publish(store, LIVE_DATE)
    return store


@pytest.fixture(scope="session")
def _server():
    slot = AppSlot()
    with serving(slot) as url:
        yield slot, url


@pytest.fixture
def serve(_server):
    """``serve(app)`` serves ``app`` for the test and returns its base URL."""
    slot, url = _server

    def install(app: FastAPI) -> str:
        slot.app = app
        return url

    yield install
    slot.app = None


@pytest.fixture
def api(feature_store, online, serve) -> str:
    """The base URL of the API over the known store, LIVE_DATE live."""
    return serve(create_app(feature_store, online))

import uuid

import pytest

from bse_platform_tests.online import connect_test_redis


@pytest.fixture(scope="session")
def redis_client():
    return connect_test_redis().client


@pytest.fixture
def namespace(redis_client):
    """A namespace of the test's own; every key under it is deleted afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    keys = list(redis_client.scan_iter(match=f"{name}:*", count=1000))
    if keys:
        redis_client.delete(*keys)

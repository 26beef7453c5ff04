"""Serving an app under test: uvicorn on a loopback port, in a thread of the test process."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

STARTUP_SECONDS = 10


class AppSlot:
    """An ASGI app forwarding to whichever app a test puts in it: one server serves every test's own
    app, as starting and stopping uvicorn costs some 0.2 s each time."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` served over real HTTP until the block ends; yields its base URL. The socket is bound
    here, before the server starts, so no other process can take the port in between."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True, name="api-under-test")
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()

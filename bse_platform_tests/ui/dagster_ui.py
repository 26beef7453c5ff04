"""A real Dagster webserver and daemon on loopback, over an instance of the test's own, and the
GraphQL API the UI reads: what a user's browser sees, without the browser.

The instance is configured by the repository's ``deploy/local/dagster.yaml`` (the one ``make ui`` uses) and
the code location loads from ``workspace.yaml``, with the deployment's settings in ``environment``.
Both processes are started in sessions of their own and stopped by their ids.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterUI:
    def __init__(self, url: str, home: Path, logs: Path):
        self.url = url
        self.home = home
        self.logs = logs

    def graphql(self, query: str, **variables) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            json.dumps({"query": query, "variables": variables}).encode(),
            {"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:  # a query the schema rejects: say why
            raise AssertionError(f"GraphQL {error.code}: {error.read().decode()[:500]}") from error
        if "errors" in answer:
            raise AssertionError(f"GraphQL error: {answer['errors'][0]['message']}")
        return answer["data"]

    def wait_for(self, what: str, condition, timeout: float = 300, interval: float = 1.0):
        """Poll ``condition()`` until it returns something truthy; fail naming ``what`` and the logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        tail = "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.logs.glob("*.log")))
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


@contextmanager
def dagster_ui(
    home: Path,
    environment: Mapping[str, str],
    *,
    daemon: bool = True,
    instance_config: str = "deploy/local/dagster.yaml",
    code_server: bool = False,
) -> Iterator[DagsterUI]:
    """``dagster-webserver`` (and ``dagster-daemon``) for the instance ``instance_config`` makes in
    ``home``. With ``code_server``, the code location runs in its own server, which the webserver
    and the daemon load over gRPC (as docker-compose runs it); else they load it themselves."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / instance_config, home / "dagster.yaml")
    logs = home / "process-logs"
    logs.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BSE_", "REDIS_URL", "AWS_"))}
    env |= {"DAGSTER_HOME": str(home), **environment}
    processes = []

    def start(name: str, command: list[str]) -> None:
        with open(logs / f"{name}.log", "w") as log:
            processes.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    try:
        workspace = "workspace.yaml"
        if code_server:
            grpc_port = free_port()
            start("code-server", [str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
                                  "-m", "bse_platform.definitions", "--location-name", "bse_platform"])  # fmt: skip
            workspace = str(home / "workspace.yaml")
            Path(workspace).write_text(
                f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n      location_name: bse_platform\n"
            )
        port = free_port()
        start("webserver", [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port)])
        ui = DagsterUI(f"http://127.0.0.1:{port}", home, logs)
        ui.wait_for("the webserver to answer", lambda: _answers(f"{ui.url}/server_info"), timeout=180)
        ui.wait_for("the code location to load", lambda: _location_loaded(ui), timeout=180)
        if daemon:  # only now: two processes creating one new SQLite instance at once corrupt its schema version
            start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", workspace])
        yield ui
    finally:
        for process in processes:
            _stop(process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


def _location_loaded(ui: DagsterUI) -> bool:
    data = ui.graphql("{ workspaceOrError { ... on Workspace { locationEntries { loadStatus locationOrLoadError { __typename } } } } }")
    entries = data["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(
        e["loadStatus"] == "LOADED" and e["locationOrLoadError"]["__typename"] == "RepositoryLocation" for e in entries
    )


def _stop(process: subprocess.Popen) -> None:
    """Stop the process, then whatever it started (code server, run workers): its process group."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)

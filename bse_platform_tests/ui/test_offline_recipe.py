"""The README's offline recipe, as a user follows it: ``make mirror`` (the mirror's own command, its
defaults), then the UI with BSE_MIRROR_URL set; the daemon's publication sensor requests the daily
run, the run downloads everything from the mirror, and the trade date's vectors end up online."""

import datetime as dt
import subprocess
import sys

import pytest

from bse_platform.calendar import BSE_PUBLICATION_TIME, ist_datetime
from bse_platform.defs.partitions import TRADING_CALENDAR
from bse_platform.defs.resources import RedisResource
from bse_platform_tests.ui.dagster_ui import REPO, dagster_ui, free_port
from bse_platform_tests.ui.queries import RUNS, finished_run, step_failures


def latest_published_trade_date() -> dt.date:
    now = dt.datetime.now(dt.timezone.utc)
    recent = TRADING_CALENDAR.sessions(now.date() - dt.timedelta(days=14), now.date() + dt.timedelta(days=1))
    return [day for day in recent if ist_datetime(day, BSE_PUBLICATION_TIME) <= now][-1]


@pytest.fixture
def mirror_url(tmp_path):
    port = free_port()
    log = open(tmp_path / "mirror.log", "w")
    mirror = subprocess.Popen(
        [sys.executable, "-m", "bse_platform.mirror", "--port", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        mirror.terminate()
        mirror.wait(timeout=30)
        log.close()


def test_the_sensor_runs_the_evening_job_against_the_mirror_and_vectors_go_online(tmp_path, mirror_url):
    home = tmp_path / "dagster_home"
    environment = {
        "BSE_MIRROR_URL": mirror_url,  # the recipe's one setting; the rest keeps this test's files apart
        "BSE_STORAGE_URI": str(tmp_path / "data"),
        "BSE_EMBEDDED_REDIS_PATH": str(tmp_path / "redis.db"),
    }
    with dagster_ui(home, environment) as ui:
        expected = latest_published_trade_date()

        def sensor_run():
            runs = ui.graphql(RUNS, filter={"pipelineName": "daily_trade_date"})["runsOrError"]["results"]
            return runs[0] if runs else None

        run = ui.wait_for("the publication sensor's daily run", sensor_run, timeout=240, interval=2)
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        assert tags["dagster/sensor_name"] == "bse_publication_sensor" and tags["dagster/partition"] == expected.isoformat()
        finished = finished_run(ui, run["runId"], timeout=300)
        assert finished["status"] == "SUCCESS", step_failures(finished)

    client = RedisResource(embedded_path=str(tmp_path / "redis.db")).store().client()
    snapshot = client.snapshot()
    assert snapshot.trade_date == expected and snapshot.rows > 1000

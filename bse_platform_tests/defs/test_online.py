"""The daily job through a real Dagster instance leaves the trade date online, readable by the client."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from dagster import build_reconstructable_job, build_sensor_context, execute_job

from bse_platform.calendar import BSE_TIMEZONE
from bse_platform.definitions import build_definitions, defs
from bse_platform.defs import clock
from bse_platform.defs.automation import bse_publication_sensor, online_freshness_sensor
from bse_platform.defs.online import ONLINE_CONSISTENCY_CHECK, ONLINE_FRESHNESS_CHECK
from bse_platform.defs.resources import BseSourceResource, RedisResource, StorageResource
from bse_platform.features.catalog import definitions_version, feature_names
from bse_platform.online import OnlineStore, UnknownSecurityError
from bse_platform.online.store import VECTOR_DTYPE
from bse_platform.storage import ObjectStore
from bse_platform_tests.conftest import RECENT_SESSIONS
from bse_platform_tests.online import connect_test_redis

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@pytest.fixture
def online(tmp_path):
    """A real Redis (REDIS_URL, the local server, or embedded) under a namespace of this test's own."""
    redis_under_test = connect_test_redis()
    url = redis_under_test.client.connection_pool.connection_kwargs
    resource = (
        RedisResource(url=f"redis://{url['host']}:{url['port']}/{url.get('db', 0)}", namespace=f"test-{uuid.uuid4().hex}")
        if "host" in url
        else RedisResource(embedded_path=str(tmp_path / "redis.db"), namespace=f"test-{uuid.uuid4().hex}")
    )
    yield resource
    store = resource.store()
    keys = list(store.redis.scan_iter(match=f"{resource.namespace}:*"))
    if keys:
        store.redis.delete(*keys)


def daily_job(mirror, tmp_path, online):
    return daily_job_at(mirror.root_url, str(tmp_path / "data"), online.model_dump_json())


def daily_job_at(mirror_url: str, data: str, online: str):
    """The code location's daily job on the test's mirror, folder and Redis (rebuilt so in each step process)."""
    bse = BseSourceResource(mirror_url=mirror_url, min_rows=10, min_interval_seconds=0)
    redis = RedisResource.model_validate_json(online)
    return build_definitions(StorageResource(base_uri=data), bse, redis).resolve_job_def("daily_trade_date")


def test_the_daily_job_leaves_the_trade_date_online(mirror, tmp_path, instance, online):
    job = daily_job(mirror, tmp_path, online)
    day = RECENT_SESSIONS[-1]
    for earlier in RECENT_SESSIONS[-4:-1]:  # a little history for the lookback
        assert job.execute_in_process(partition_key=earlier.isoformat(), instance=instance, run_config=QUIET).success
    # As the sensor's run executes it: under the job's own executor, each step in a process of its own.
    in_step_processes = build_reconstructable_job(
        __name__, "daily_job_at", reconstructable_args=(mirror.root_url, str(tmp_path / "data"), online.model_dump_json())
    )
    with execute_job(in_step_processes, instance, tags={"dagster/partition": day.isoformat()}, run_config=QUIET) as result:
        assert result.success
        started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_WORKER_STARTED"]
        assert sorted(started) == sorted(node.name for node in job.nodes)

    client = online.store().client()
    quotes = mirror.site.market.day(day)
    equity = quotes[quotes["instrument_class"] == "equity"].iloc[0]
    vector = client.get(int(equity["security_code"]))
    assert vector.trade_date == day
    assert list(vector.values) == feature_names()
    assert vector.values["ret_1d"] == pytest.approx(equity["close"] / equity["prev_close"] - 1)
    assert client.get(equity["symbol"]).security_code == int(equity["security_code"])
    assert client.snapshot().definitions_version == definitions_version()
    with pytest.raises(UnknownSecurityError):
        client.get(999999)


def test_an_older_partition_does_not_replace_the_live_snapshot(mirror, tmp_path, instance, online):
    job = daily_job(mirror, tmp_path, online)
    newer, older = RECENT_SESSIONS[-1], RECENT_SESSIONS[-2]
    assert job.execute_in_process(partition_key=newer.isoformat(), instance=instance, run_config=QUIET).success
    result = job.execute_in_process(partition_key=older.isoformat(), instance=instance, run_config=QUIET)
    assert result.success
    (online_event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "online_features"]
    assert online_event.materialization.metadata["published"].value is False
    assert online.store().client().snapshot().trade_date == newer


def test_the_sensors_run_request_ends_with_the_new_trade_date_online(mirror, tmp_path, instance, online, monkeypatch):
    """End to end: BSE publishes at 8 PM, the sensor requests the run, the run leaves it in Redis."""
    previous, day = RECENT_SESSIONS[-2], RECENT_SESSIONS[-1]
    mirror.site.published_through = previous
    monkeypatch.setattr(clock, "now", lambda: dt.datetime.combine(day, dt.time(20, 10), tzinfo=ZoneInfo(BSE_TIMEZONE)))
    bse = BseSourceResource(mirror_url=mirror.root_url, min_interval_seconds=0, retries=0)
    repository = defs.get_repository_def()

    def tick():
        context = build_sensor_context(instance=instance, cursor=previous.isoformat(), resources={"bse": bse}, repository_def=repository)
        return bse_publication_sensor.evaluate_tick(context).run_requests

    assert tick() == []  # not published yet
    mirror.site.published_through = day
    (request,) = tick()
    job = daily_job(mirror, tmp_path, online)
    assert job.execute_in_process(partition_key=request.partition_key, instance=instance, run_config=QUIET).success
    assert online.store().client().snapshot().trade_date == day


def ist(day: dt.date, hh_mm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hh_mm), tzinfo=ZoneInfo(BSE_TIMEZONE))


def freshness_of(result) -> object:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == ONLINE_FRESHNESS_CHECK]
    return evaluation


def test_the_sync_reports_whether_the_vectors_were_online_by_the_deadline(mirror, tmp_path, instance, online, monkeypatch):
    job = daily_job(mirror, tmp_path, online)
    on_time, late = RECENT_SESSIONS[-2], RECENT_SESSIONS[-1]
    monkeypatch.setattr(clock, "now", lambda: ist(on_time, "20:40"))
    evaluation = freshness_of(job.execute_in_process(partition_key=on_time.isoformat(), instance=instance, run_config=QUIET))
    assert evaluation.passed and evaluation.partition == on_time.isoformat()
    monkeypatch.setattr(clock, "now", lambda: ist(late, "23:30"))
    evaluation = freshness_of(job.execute_in_process(partition_key=late.isoformat(), instance=instance, run_config=QUIET))
    assert not evaluation.passed and evaluation.metadata["minutes_late"].value == 30.0


def test_the_freshness_sensor_fails_a_trade_date_whose_vectors_never_came(mirror, tmp_path, instance, online, monkeypatch):
    online_day, missing_day = RECENT_SESSIONS[-2], RECENT_SESSIONS[-1]
    monkeypatch.setattr(clock, "now", lambda: ist(online_day, "20:40"))
    daily_job(mirror, tmp_path, online).execute_in_process(partition_key=online_day.isoformat(), instance=instance, run_config=QUIET)

    def tick(now: dt.datetime, cursor: str | None):
        monkeypatch.setattr(clock, "now", lambda: now)
        return online_freshness_sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))

    before = tick(ist(missing_day, "22:59"), online_day.isoformat())
    assert before.asset_events == [] and before.skip_message  # its deadline has not passed
    after = tick(ist(missing_day, "23:01"), online_day.isoformat())
    (event,) = after.asset_events
    assert (event.check_name, event.partition, event.passed) == (ONLINE_FRESHNESS_CHECK, missing_day.isoformat(), False)
    assert after.cursor == missing_day.isoformat()
    assert tick(ist(missing_day, "23:30"), after.cursor).asset_events == []  # reported once
    online_in_time = tick(ist(online_day, "23:01"), None)  # a first tick judges the latest due date only
    assert online_in_time.asset_events == [] and online_in_time.cursor == online_day.isoformat()


def consistency_of(result) -> object:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == ONLINE_CONSISTENCY_CHECK]
    return evaluation


def tamper(store: OnlineStore, security: int, feature: str, value: float) -> None:
    """Overwrite one value of the live snapshot, straight in Redis."""
    vector = store.client().get(security).values | {feature: value}
    packed = np.array([np.nan if v is None else v for v in vector.values()], dtype=VECTOR_DTYPE).tobytes()
    store.redis.hset(store.keys.snapshot(store.live_snapshot_id(), ":vectors"), str(security), packed)


def test_the_live_snapshot_is_compared_with_the_offline_partitions_it_came_from(mirror, tmp_path, instance, online):
    job = daily_job(mirror, tmp_path, online)
    older, newer = RECENT_SESSIONS[-2], RECENT_SESSIONS[-1]
    for day in (older, newer):
        result = job.execute_in_process(partition_key=day.isoformat(), instance=instance, run_config=QUIET)
        (synced,) = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "online_features"]
        published = consistency_of(result)
        assert published.passed and published.partition == day.isoformat(), published.metadata
        assert published.metadata["compared_trade_date"].value == day.isoformat() and published.metadata["mismatches"].value == 0
        assert published.metadata["sampled"].value == synced.metadata["vectors"].value  # a small market: every security

    store = online.store()
    quotes = mirror.site.market.day(newer)
    security = int(quotes.loc[quotes["instrument_class"] == "equity", "security_code"].iloc[0])
    tamper(store, security, "rsi_14", 1e6)
    # Re-running the older date leaves the live snapshot as it is (the sync is skipped) and checks it again.
    rechecked = consistency_of(job.execute_in_process(partition_key=older.isoformat(), instance=instance, run_config=QUIET))
    assert not rechecked.passed and rechecked.partition == older.isoformat()
    assert rechecked.metadata["compared_trade_date"].value == newer.isoformat() and rechecked.metadata["mismatches"].value == 1
    table = rechecked.metadata["first_mismatches"].value  # its one row: the security, the feature, both values
    assert str(security) in table and "rsi_14" in table and "1e+06" in table

    ObjectStore(str(tmp_path / "data")).delete_partition("momentum", newer)
    orphaned = consistency_of(job.execute_in_process(partition_key=older.isoformat(), instance=instance, run_config=QUIET))
    assert not orphaned.passed and f"momentum has no stored partition for 1 trade date(s): {newer}" in orphaned.metadata["error"].value

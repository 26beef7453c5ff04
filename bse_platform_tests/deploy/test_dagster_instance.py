"""The instance storages (bse_platform/dagster_instance.py) hold their connections open: events
stored through them open a handful of connections, where Dagster's stock storages open at least one
per event. PostgreSQL (the compose instance's) against the machine's PostgreSQL, in a database of
the test's own; SQLite (the local instance's) in a temporary folder."""

import time

import pytest
from dagster import AssetKey, AssetMaterialization, instance_for_test

from bse_platform_tests.ui.test_postgres_instance import PG, database  # noqa: F401 (the fixture)

EVENTS = 40


def sessions_opened(name: str) -> int:
    """Sessions established to the database ``name`` so far, ended ones included (PostgreSQL 14+)."""
    import psycopg2

    with psycopg2.connect(dbname="test", **PG) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,))
        return cursor.fetchone()[0]


def sessions_to_store_events(name: str, storage: dict) -> int:
    with instance_for_test(overrides={"storage": storage}) as instance:
        before = sessions_opened(name)
        for i in range(EVENTS):
            instance.report_runless_asset_event(AssetMaterialization("probe", partition=str(i)))
        stored = instance.fetch_materializations(AssetKey("probe"), limit=EVENTS * 2).records
        assert len(stored) >= EVENTS
    time.sleep(1.5)  # ended sessions reach the statistics within a second
    return sessions_opened(name) - before


def test_pooled_storage_stores_events_over_held_connections(database):  # noqa: F811
    url = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{database}"
    pooled = {"custom": {"module": "bse_platform.dagster_instance", "class": "PooledPostgresStorage", "config": {"postgres_url": url}}}
    stock = {"postgres": {"postgres_url": url}}
    if sessions_to_store_events(database, stock) < EVENTS:
        pytest.fail("dagster-postgres' stock storage no longer opens a session per event: the pooled storage may be unneeded")
    assert sessions_to_store_events(database, pooled) < 10


def connections_to_store_events(tmp_path, storage: dict, monkeypatch) -> int:
    """SQLite connections opened while storing EVENTS events (the real sqlite3.connect, counted)."""
    from sqlite3 import dbapi2  # what SQLAlchemy connects with

    opened = []
    real_connect = dbapi2.connect
    monkeypatch.setattr(dbapi2, "connect", lambda *args, **kwargs: opened.append(args) or real_connect(*args, **kwargs))
    with instance_for_test(overrides={"storage": storage}) as instance:
        before = len(opened)
        for i in range(EVENTS):
            instance.report_runless_asset_event(AssetMaterialization("probe", partition=str(i)))
        assert len(instance.fetch_materializations(AssetKey("probe"), limit=EVENTS * 2).records) == EVENTS
        return len(opened) - before


def test_held_sqlite_storage_stores_events_over_held_connections(tmp_path, monkeypatch):
    held = {"custom": {"module": "bse_platform.dagster_instance", "class": "HeldSqliteStorage", "config": {"base_dir": str(tmp_path / "held")}}}
    stock = {"sqlite": {"base_dir": str(tmp_path / "stock")}}
    if connections_to_store_events(tmp_path, stock, monkeypatch) < EVENTS:
        pytest.fail("Dagster's stock SQLite storage no longer connects per event: the held storage may be unneeded")
    assert connections_to_store_events(tmp_path, held, monkeypatch) < 10

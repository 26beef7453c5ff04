"""The compose instance's PostgreSQL storage holds its connections open: against the machine's
PostgreSQL (a database of the test's own), events stored through it open a handful of sessions,
where dagster-postgres' stock storage opens at least one per event."""

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

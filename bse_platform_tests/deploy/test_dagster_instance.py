"""The instance storages (bse_platform/dagster_instance.py) hold their connections open: events
stored through them open a handful of connections, where Dagster's stock storages open at least one
per event; and they do once what Dagster's event logs do per event (serialize a range run's planned
check, ask whether a table or column exists), and commit without waiting for the disk. PostgreSQL
(the compose instance's) against the machine's PostgreSQL, in a database of the test's own; SQLite
(the local instance's) in a temporary folder."""

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


def planned_check_rows(storage: dict) -> list[tuple]:
    """The rows a 3-partition run of an asset with a check stores for the planned check."""
    from dagster import AssetCheckResult, AssetCheckSpec, DailyPartitionsDefinition, MaterializeResult, asset, materialize
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
    from dagster._serdes import deserialize_value

    @asset(partitions_def=DailyPartitionsDefinition("2026-01-01"), check_specs=[AssetCheckSpec("probe_check", asset="probe")])
    def probe(context):
        yield MaterializeResult()
        yield AssetCheckResult(passed=True)

    with instance_for_test(overrides={"storage": storage}) as instance:
        tags = {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-01-03"}
        assert materialize([probe], instance=instance, tags=tags).success
        with instance.event_log_storage.index_connection() as conn:
            rows = conn.execute(AssetCheckExecutionsTable.select().where(AssetCheckExecutionsTable.c.execution_status == "PLANNED")).fetchall()
        return sorted((row.partition, row.check_name, type(deserialize_value(row.evaluation_event)).__name__) for row in rows)


def rows_and_serializations(storage: dict, monkeypatch) -> tuple[list[tuple], int]:
    """``planned_check_rows`` through ``storage``, and how often the storage serialized the planned event."""
    import bse_platform.dagster_instance as storages
    from dagster._serdes import serialize_value

    serialized = []
    monkeypatch.setattr(storages, "serialize_value", lambda value: serialized.append(value) or serialize_value(value))
    return planned_check_rows(storage), len(serialized)


def test_held_sqlite_storage_serializes_a_range_runs_planned_check_once(tmp_path, monkeypatch):
    """A 3-date run's planned check: the rows of Dagster's own storage (one per partition), serialized once."""
    stock = planned_check_rows({"sqlite": {"base_dir": str(tmp_path / "stock")}})
    assert [row[0] for row in stock] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    held = {"custom": {"module": "bse_platform.dagster_instance", "class": "HeldSqliteStorage", "config": {"base_dir": str(tmp_path / "held")}}}
    assert rows_and_serializations(held, monkeypatch) == (stock, 1)


def test_pooled_storage_serializes_a_range_runs_planned_check_once(database, monkeypatch):  # noqa: F811
    url = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{database}"
    stock = planned_check_rows({"postgres": {"postgres_url": url}})
    assert [row[0] for row in stock] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    pooled = {"custom": {"module": "bse_platform.dagster_instance", "class": "PooledPostgresStorage", "config": {"postgres_url": url}}}
    rows, serializations = rows_and_serializations(pooled, monkeypatch)
    assert serializations == 1 and rows == sorted(stock * 2)  # the stock run's rows are in the same database


@pytest.mark.parametrize("method", ["_store_asset_check_evaluation_planned", "_has_asset_key_col_on_connection", "has_table"])
def test_the_overridden_dagster_methods_still_exist(method):
    """The storages override these methods of Dagster's SqlEventLogStorage: were one renamed, its override would go unused."""
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    assert callable(getattr(SqlEventLogStorage, method, None))


def test_held_sqlite_event_log_commits_without_waiting_for_the_disk(tmp_path):
    """WAL with synchronous=NORMAL: no fsync per commit, the database still consistent after a crash."""
    held = {"custom": {"module": "bse_platform.dagster_instance", "class": "HeldSqliteStorage", "config": {"base_dir": str(tmp_path)}}}
    with instance_for_test(overrides={"storage": held}) as instance:
        instance.report_runless_asset_event(AssetMaterialization("probe"))
        with instance.event_log_storage.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (FULL is 2)


def questions_asked(storage: dict, owner: type, monkeypatch) -> list[str]:
    """What Dagster's event log ``owner`` asked during a 3-date run with a check: whether a table
    exists (``has_table``), whether the asset keys table has a column."""
    asked = []
    for method in ("has_table", "_has_asset_key_col_on_connection"):
        real = getattr(owner, method)
        monkeypatch.setattr(owner, method, lambda self, *args, real=real, method=method: asked.append((method, args[-1])) or real(self, *args))
    planned_check_rows(storage)
    monkeypatch.undo()
    return asked


def test_held_sqlite_event_log_asks_once_whether_a_table_or_column_exists(tmp_path, monkeypatch):
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    stock = questions_asked({"sqlite": {"base_dir": str(tmp_path / "stock")}}, SqliteEventLogStorage, monkeypatch)
    if len(stock) == len(set(stock)):
        pytest.fail("Dagster's SQLite event log no longer asks the same again: the remembering may be unneeded")
    held = {"custom": {"module": "bse_platform.dagster_instance", "class": "HeldSqliteStorage", "config": {"base_dir": str(tmp_path / "held")}}}
    asked = questions_asked(held, SqliteEventLogStorage, monkeypatch)
    assert {("has_table", "asset_check_executions"), ("_has_asset_key_col_on_connection", "last_materialization_timestamp")} <= set(asked)
    assert len(asked) == len(set(asked))


def test_pooled_storage_asks_once_whether_a_table_or_column_exists(database, monkeypatch):  # noqa: F811
    from dagster_postgres import PostgresEventLogStorage

    url = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{database}"
    stock = questions_asked({"postgres": {"postgres_url": url}}, PostgresEventLogStorage, monkeypatch)
    if len(stock) == len(set(stock)):
        pytest.fail("dagster-postgres' event log no longer asks the same again: the remembering may be unneeded")
    pooled = {"custom": {"module": "bse_platform.dagster_instance", "class": "PooledPostgresStorage", "config": {"postgres_url": url}}}
    asked = questions_asked(pooled, PostgresEventLogStorage, monkeypatch)
    assert {("has_table", "asset_check_executions"), ("_has_asset_key_col_on_connection", "last_materialization_timestamp")} <= set(asked)
    assert len(asked) == len(set(asked))


def test_pooled_storage_commits_without_waiting_for_the_wal(database):  # noqa: F811
    """synchronous_commit off on every storage's connections: no WAL flush awaited per commit, nothing corrupted by a crash."""
    url = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{database}"
    pooled = {"custom": {"module": "bse_platform.dagster_instance", "class": "PooledPostgresStorage", "config": {"postgres_url": url}}}
    with instance_for_test(overrides={"storage": pooled}) as instance:
        instance.report_runless_asset_event(AssetMaterialization("probe"))
        for part in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
            with part._engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"

"""The Dagster instance's storage (deploy/*/dagster.yaml): Dagster's own SQLite and PostgreSQL
storages, holding their connections open and doing once what Dagster's event logs do for every event
of a range run (``_EventLogStatements``).

Outside the webserver both open a new connection (SQLite: a new engine) for every statement, and a
run stores a few statements per event: on a 2-core machine that made storing one event take about
10 ms, most of a feature backfill's time (``make bench WHAT=features`` prints the breakdown).
Both commit without waiting for the disk (SQLite's event log: WAL with ``synchronous=NORMAL``;
PostgreSQL: ``synchronous_commit=off``): the database stays consistent; a crash or power cut may
lose the last events.
"""

import os
from collections import OrderedDict
from contextlib import contextmanager

from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData, serialize_value
from dagster_postgres import DagsterPostgresStorage, PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config
from sqlalchemy import event as sqlalchemy_event

# No statement time-out (the webserver sets one): creating a long range's run inserts its planned
# events in one statement. Connections are recycled hourly, as the webserver's are by default.
_POOL = {"statement_timeout": 0, "pool_recycle": 3600, "max_overflow": 10}
# The SQLite event log is a database per run plus an index: the engines of the index and of the
# runs written or read last are kept (a webserver reads many runs: their files are not all held open).
_HELD_SQLITE_SHARDS = 8


class _EventLogStatements:
    """What Dagster's SQL event logs do for every event of a range run, done once.

    - A run's planned check is stored as a row per partition of the run, and Dagster serializes the
      event anew for each row: ~24 KB each (it holds the partitions definition with its holidays),
      5,000 times in a 250-date feature run (20 checks), seconds of the run's creation. Serialized
      once here: the rows are the same. (Dagster's ``_store_asset_check_evaluation_planned``, but for that.)
    - Storing a check evaluation or an asset event asks whether its table exists, and an asset event
      whether the asset keys table has a column, for every event (SQLite: through a new engine each
      time; PostgreSQL: a catalog query). A table or column found stays there (migrations add them,
      never drop them): remembered; one not found is asked again.
    """

    def __init__(self, *args, **kwargs):
        self._found: set[str] = set()  # tables and asset key columns; before Dagster's __init__, which may ask
        super().__init__(*args, **kwargs)

    def has_table(self, table_name: str) -> bool:
        asked = super().has_table
        return self._remembered(f"table {table_name}", lambda: asked(table_name))

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        asked = super()._has_asset_key_col_on_connection
        return self._remembered(f"asset key column {column_name}", lambda: asked(conn, column_name))

    def _remembered(self, what: str, ask) -> bool:
        if what not in self._found and ask():
            self._found.add(what)
        return what in self._found

    def _store_asset_check_evaluation_planned(self, event, event_id: int | None) -> None:
        planned = event.dagster_event.event_specific_data
        partition_keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        row = dict(
            asset_key=planned.asset_key.to_string(),
            check_name=planned.check_name,
            run_id=event.run_id,
            execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
            evaluation_event=serialize_value(event),
            evaluation_event_timestamp=self._event_insert_timestamp(event),
            evaluation_event_storage_id=event_id,
        )
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert().values([{**row, "partition": key} for key in partition_keys]))


class _PostgresEventLogStorage(_EventLogStatements, PostgresEventLogStorage):
    pass


class PooledPostgresStorage(DagsterPostgresStorage):
    """``storage: custom`` with this class and the ``postgres`` storage's config: dagster-postgres'
    storage with the pooled engines its webserver uses (one connection held per storage, more on
    demand), in run workers and the daemon too."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, inst_data=None, token_provider=None):
        # DagsterPostgresStorage.__init__, with the event log above.
        self.postgres_url, self.should_autocreate_tables, self._inst_data = postgres_url, should_autocreate_tables, inst_data
        parts = (PostgresRunStorage, _PostgresEventLogStorage, PostgresScheduleStorage)
        self._run_storage, self._event_log_storage, self._schedule_storage = (
            part(postgres_url, should_autocreate_tables, token_provider=token_provider) for part in parts
        )
        for part in (self._run_storage, self._event_log_storage, self._schedule_storage):
            part.optimize_for_webserver(**_POOL)
            sqlalchemy_event.listen(part._engine, "connect", _commit_without_waiting_for_the_wal)
        super(DagsterPostgresStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> "PooledPostgresStorage":
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )


class HeldSqliteStorage(DagsterSqliteStorage):
    """``storage: custom`` with this class and ``base_dir``: Dagster's SQLite storage (same files),
    whose event log keeps its engines."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = _HeldSqliteEventLogStorage(self._event_log_storage._base_dir)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> "HeldSqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)


class _HeldSqliteEventLogStorage(_EventLogStatements, SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._engines = OrderedDict()

    @contextmanager
    def _connect(self, shard: str):
        # Dagster's own, but for the engine: kept instead of created and disposed every time.
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            if engine is not None and not os.path.exists(self.path_for_shard(shard)):  # a deleted run's file: start afresh
                engine.dispose()
                engine = None
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                sqlalchemy_event.listen(engine, "connect", _commit_without_sync)
            self._engines[shard] = engine
            while len(self._engines) > _HELD_SQLITE_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


def _commit_without_sync(connection, _record) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


def _commit_without_waiting_for_the_wal(connection, _record) -> None:
    with connection, connection.cursor() as cursor:  # committed, as Dagster sets its statement time-out
        cursor.execute("SET synchronous_commit TO off")

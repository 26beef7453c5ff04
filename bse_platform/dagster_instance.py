"""The Dagster instance's storage (deploy/*/dagster.yaml): Dagster's own SQLite and PostgreSQL
storages, holding their connections open.

Outside the webserver both open a new connection (SQLite: a new engine) for every statement, and a
run stores a few statements per event: on a 2-core machine that made storing one event take about
10 ms, most of a feature backfill's time (``make bench WHAT=features`` prints the breakdown).
"""

import os
from collections import OrderedDict
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

# No statement time-out (the webserver sets one): creating a long range's run inserts its planned
# events in one statement. Connections are recycled hourly, as the webserver's are by default.
_POOL = {"statement_timeout": 0, "pool_recycle": 3600, "max_overflow": 10}
# The SQLite event log is a database per run plus an index: the engines of the index and of the
# runs written or read last are kept (a webserver reads many runs: their files are not all held open).
_HELD_SQLITE_SHARDS = 8


class PooledPostgresStorage(DagsterPostgresStorage):
    """``storage: custom`` with this class and the ``postgres`` storage's config: dagster-postgres'
    storage with the pooled engines its webserver uses (one connection held per storage, more on
    demand), in run workers and the daemon too."""

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> "PooledPostgresStorage":
        storage = cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
        for part in (storage.run_storage, storage.event_log_storage, storage.schedule_storage):
            part.optimize_for_webserver(**_POOL)
        return storage


class HeldSqliteStorage(DagsterSqliteStorage):
    """``storage: custom`` with this class and ``base_dir``: Dagster's SQLite storage (same files),
    whose event log keeps its engines."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = _HeldSqliteEventLogStorage(self._event_log_storage._base_dir)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> "HeldSqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)


class _HeldSqliteEventLogStorage(SqliteEventLogStorage):
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

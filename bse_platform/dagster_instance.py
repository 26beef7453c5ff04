"""The Dagster instance's storage on PostgreSQL (deploy/compose/dagster.yaml), holding its
connections open.

dagster-postgres opens a new connection for every statement, except in the webserver, and a run
stores a few statements per event: on a 2-core machine storing one event took about 10 ms, most of
a feature backfill's time (``make bench WHAT=features``). This is dagster-postgres' own storage
with the pooled engines its webserver uses (one connection held per storage, more on demand), in
run workers and the daemon too.
"""

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

# No statement time-out (the webserver sets one): creating a long range's run inserts its planned
# events in one statement. Connections are recycled hourly, as the webserver's are by default.
_POOL = {"statement_timeout": 0, "pool_recycle": 3600, "max_overflow": 10}


class PooledPostgresStorage(DagsterPostgresStorage):
    """``storage: custom`` with this class and the ``postgres`` storage's own config."""

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

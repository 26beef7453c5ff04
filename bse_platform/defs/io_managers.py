"""IO managers storing each trade-date partition as its own file under the storage base URI.

Re-running a partition replaces exactly that partition's files; loading several partitions of a
Parquet asset is one scan.
"""

from pathlib import PurePosixPath

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext, ResourceDependency

from bse_platform.bse.client import PublishedFile
from bse_platform.defs.partitions import partition_trade_date
from bse_platform.defs.resources import StorageResource
from bse_platform.storage import PARTITION_COLUMN, partition_dir


def _dataset(context: OutputContext | InputContext) -> str:
    return context.asset_key.path[-1]


class RawFileIOManager(ConfigurableIOManager):
    """A published file, byte for byte, under ``<asset>/trade_date=D/<its published name>``."""

    storage: ResourceDependency[StorageResource]

    def handle_output(self, context: OutputContext, file: PublishedFile) -> None:
        store = self.storage.store()
        folder = partition_dir(_dataset(context), partition_trade_date(context.partition_key))
        key = f"{folder}/{file.file_name}"
        store.write_bytes(key, file.content)
        for other in store.list_files(folder):
            if other != key:  # an earlier run fetched another product's file for this date
                store.delete(other)
        context.add_output_metadata({"stored_at": store.uri(key)})

    def load_input(self, context: InputContext) -> PublishedFile:
        store = self.storage.store()
        folder = partition_dir(_dataset(context), partition_trade_date(context.asset_partition_key))
        files = store.list_files(folder)
        if len(files) != 1:
            raise FileNotFoundError(f"expected one raw file in {store.uri(folder)}, found {files}")
        return PublishedFile(store.uri(files[0]), PurePosixPath(files[0]).name, store.read_bytes(files[0]))


class ParquetIOManager(ConfigurableIOManager):
    """A DataFrame with a ``trade_date`` column as one Parquet file per trade-date partition."""

    storage: ResourceDependency[StorageResource]

    def handle_output(self, context: OutputContext, frame: pd.DataFrame) -> None:
        store = self.storage.store()
        days = {partition_trade_date(key) for key in context.asset_partition_keys}
        found = {ts.date() for ts in frame[PARTITION_COLUMN].unique()}
        if not found <= days:
            raise ValueError(f"{_dataset(context)}: rows for {sorted(found - days)} outside the run's partitions")
        by_day = {ts.date(): rows for ts, rows in frame.groupby(PARTITION_COLUMN)}
        for day in sorted(days):  # a day without rows still gets its (empty) file
            store.write_partition(_dataset(context), day, by_day.get(day, frame.iloc[0:0]))

    def load_input(self, context: InputContext) -> pd.DataFrame:
        """The upstream partitions in one scan."""
        days = [partition_trade_date(key) for key in context.asset_partition_keys]
        return self.storage.store().read_partitions(_dataset(context), days)

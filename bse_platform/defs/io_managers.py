"""IO managers storing each trade-date partition as its own file under the storage base URI.

Re-running a partition replaces exactly that partition's files; loading several partitions of a
Parquet asset is one scan. A run over a range of partitions hands each asset all of them at once.
"""

from collections.abc import Mapping

from pathlib import PurePosixPath

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext, ResourceDependency

from bse_platform.bse.client import PublishedFile
from bse_platform.defs.partitions import partition_trade_date
from bse_platform.defs.resources import StorageResource
from bse_platform.storage import PARTITION_COLUMN, partition_dir


def _dataset(context: OutputContext | InputContext) -> str:
    return context.asset_key.path[-1]


def raw_file_key(dataset: str, partition: str, file_name: str) -> str:
    """Where a partition's published file is stored."""
    return f"{partition_dir(dataset, partition_trade_date(partition))}/{file_name}"


class RawFileIOManager(ConfigurableIOManager):
    """Published files, byte for byte, each under ``<asset>/trade_date=D/<its published name>``;
    handled and loaded as a mapping of partition key to file."""

    storage: ResourceDependency[StorageResource]

    def handle_output(self, context: OutputContext, files: Mapping[str, PublishedFile]) -> None:
        store = self.storage.store()
        for partition, file in files.items():
            key = raw_file_key(_dataset(context), partition, file.file_name)
            store.write_bytes(key, file.content)
            for other in store.list_files(key.rsplit("/", 1)[0]):
                if other != key:  # an earlier run fetched another product's file for this date
                    store.delete(other)

    def load_input(self, context: InputContext) -> dict[str, PublishedFile]:
        store = self.storage.store()
        files = {}
        for partition in context.asset_partition_keys:
            folder = partition_dir(_dataset(context), partition_trade_date(partition))
            found = store.list_files(folder)
            if len(found) != 1:
                raise FileNotFoundError(f"expected one raw file in {store.uri(folder)}, found {found}")
            files[partition] = PublishedFile(store.uri(found[0]), PurePosixPath(found[0]).name, store.read_bytes(found[0]))
        return files


class ParquetIOManager(ConfigurableIOManager):
    """A DataFrame with a ``trade_date`` column as one Parquet file per trade-date partition."""

    storage: ResourceDependency[StorageResource]

    def handle_output(self, context: OutputContext, frame: pd.DataFrame) -> None:
        store = self.storage.store()
        days = {partition_trade_date(key) for key in context.asset_partition_keys}
        found = {ts.date() for ts in frame[PARTITION_COLUMN].unique()}
        if not found <= days:
            raise ValueError(f"{_dataset(context)}: rows for {sorted(found - days)} outside the run's partitions")
        store.write_partitions(_dataset(context), frame, days)

    def load_input(self, context: InputContext) -> pd.DataFrame:
        """The upstream partitions in one scan."""
        days = [partition_trade_date(key) for key in context.asset_partition_keys]
        return self.storage.store().read_partitions(_dataset(context), days)

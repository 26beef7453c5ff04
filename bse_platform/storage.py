"""Files under one base URI: a local folder (the embedded default) or ``s3://bucket/prefix``.

Partitioned datasets use the hive layout ``<dataset>/trade_date=YYYY-MM-DD/<file>`` with the
partition column in the path only (the convention pandas, DuckDB, Spark and Polars all read
directly). Writes never show a partial file: on a local disk a file is written aside and renamed
into place (the temporary files of writes killed midway are removed by a later write); to S3 the
whole payload is handed over from memory and the object appears when its upload completes.
Rewriting a partition replaces its files.
"""

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

PARTITION_COLUMN = "trade_date"
# A temporary file this old belongs to a write that was killed (a write takes seconds).
LEFTOVER_AGE_SECONDS = 3600
PARQUET_FILE = "data.parquet"
# Partitions are small files (a trade date each): read 16 at a time rather than pyarrow's 4, a
# daily partition's 634-session lookback is read in 0.42 s instead of 0.60 s (on a local disk).
FRAGMENT_READAHEAD = 16
_HIVE_DATE = ds.partitioning(pa.schema([(PARTITION_COLUMN, pa.date32())]), flavor="hive")


class MissingPartitionsError(FileNotFoundError):
    """A read needed partitions that are not stored."""

    def __init__(self, dataset: str, trade_dates: list[dt.date]):
        self.dataset = dataset
        self.trade_dates = trade_dates
        shown = ", ".join(d.isoformat() for d in trade_dates[:10]) + (" ..." if len(trade_dates) > 10 else "")
        super().__init__(f"{dataset} has no stored partition for {len(trade_dates)} trade date(s): {shown}")


def partition_dir(dataset: str, trade_date: dt.date) -> str:
    return f"{dataset}/{PARTITION_COLUMN}={trade_date.isoformat()}"


def table_frame(table: pa.Table) -> pd.DataFrame:
    """A table ``ObjectStore.read_table`` read, as ``read_partitions`` returns it: ``trade_date`` a
    datetime64[ns] column (cast in Arrow, where it costs a tenth of pandas' conversion)."""
    at = table.schema.get_field_index(PARTITION_COLUMN)
    return table.set_column(at, PARTITION_COLUMN, table[PARTITION_COLUMN].cast(pa.timestamp("ns"))).to_pandas(date_as_object=False)


class ObjectStore:
    def __init__(
        self,
        base_uri: str,
        *,
        s3_endpoint_url: str | None = None,
        s3_region: str | None = None,
        s3_access_key_id: str | None = None,
        s3_secret_access_key: str | None = None,
    ):
        self.base_uri = base_uri.rstrip("/")
        if base_uri.startswith("s3://"):
            endpoint = urlsplit(s3_endpoint_url) if s3_endpoint_url else None
            self._fs = pafs.S3FileSystem(
                access_key=s3_access_key_id,
                secret_key=s3_secret_access_key,
                region=s3_region or "us-east-1",
                endpoint_override=endpoint.netloc if endpoint else None,
                scheme=endpoint.scheme if endpoint else "https",
            )
            self._root = self.base_uri.removeprefix("s3://")
            self._local = False
        else:
            self._fs = pafs.LocalFileSystem()
            self._root = os.path.abspath(self.base_uri.removeprefix("file://"))
            self._local = True

    def uri(self, key: str) -> str:
        return f"{self.base_uri}/{key}"

    def write_bytes(self, key: str, data: bytes) -> None:
        final = self._path(key)
        if not self._local:  # the object appears when the upload of the in-memory payload completes
            with self._fs.open_output_stream(final) as stream:
                stream.write(data)
            return
        folder, name = final.rsplit("/", 1)
        self._fs.create_dir(folder)
        aside = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"  # dot-files are skipped by readers
        try:
            with self._fs.open_output_stream(aside) as stream:
                stream.write(data)
            self._fs.move(aside, final)  # rename: atomic, replaces an older file
        finally:
            if self._fs.get_file_info(aside).type == pafs.FileType.File:
                self._fs.delete_file(aside)
        self._remove_leftovers(folder, name)

    def _remove_leftovers(self, folder: str, name: str) -> None:
        """Temporary files of earlier writes of ``name`` killed midway (old enough not to be in flight)."""
        now = time.time()
        for info in self._fs.get_file_info(pafs.FileSelector(folder)):
            if (
                info.base_name.startswith(f".{name}.")
                and info.base_name.endswith(".tmp")
                and now - info.mtime.timestamp() > LEFTOVER_AGE_SECONDS
            ):
                self._fs.delete_file(info.path)

    def read_bytes(self, key: str) -> bytes:
        with self._fs.open_input_stream(self._path(key)) as stream:
            return stream.read()

    def write_parquet(self, key: str, table: pa.Table) -> None:
        # Serialised in memory first, so a failing write never leaves a partial object behind.
        # Snappy, and floats without dictionaries (their values rarely repeat): reading 1,238 feature
        # partitions took 0.44 s against 1.07 s with zstd and dictionaries, in files no larger for
        # features (a fifth larger for the clean table); reads are what training sets and lookbacks do.
        dictionary_encoded = [field.name for field in table.schema if not pa.types.is_floating(field.type)]
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer, compression="snappy", use_dictionary=dictionary_encoded)
        self.write_bytes(key, buffer.getvalue().to_pybytes())

    def write_partition(self, dataset: str, trade_date: dt.date, frame: pd.DataFrame) -> None:
        """``frame`` (one trade date's rows) as that partition's Parquet file, replacing it."""
        self.write_partitions(dataset, frame.assign(**{PARTITION_COLUMN: pd.Timestamp(trade_date)}), [trade_date])

    def write_partitions(self, dataset: str, frame: pd.DataFrame, trade_dates: Iterable[dt.date]) -> None:
        """Each of ``trade_dates`` its rows of ``frame`` (by its ``trade_date`` column) as that
        partition's Parquet file, replacing it; a date without rows gets a file without rows. The
        frame is converted to Arrow once, each date's file taken from it."""
        table = pa.Table.from_pandas(frame.drop(columns=PARTITION_COLUMN), preserve_index=False)
        rows = frame.groupby(PARTITION_COLUMN).indices
        for day in sorted(trade_dates):
            positions = rows.get(pd.Timestamp(day), [])
            self.write_parquet(f"{partition_dir(dataset, day)}/{PARQUET_FILE}", table.take(pa.array(positions, pa.int64())))

    def read_partitions(
        self,
        dataset: str,
        trade_dates: Iterable[dt.date],
        *,
        columns: Sequence[str] | None = None,
        where: pc.Expression | None = None,
    ) -> pd.DataFrame:
        """The partitions of ``trade_dates`` in one scan, ``trade_date`` (from the path) as the first
        column; only ``columns`` (default all) of the rows matching ``where`` (default all).

        Every partition must be stored, else ``MissingPartitionsError`` names the missing dates.
        """
        days = sorted(trade_dates)
        if not days:
            return pd.DataFrame({name: [] for name in [PARTITION_COLUMN, *(columns or ())]}).astype({PARTITION_COLUMN: "datetime64[ns]"})
        return table_frame(self.read_table(dataset, days, columns=columns, where=where))

    def read_table(
        self,
        dataset: str,
        trade_dates: Iterable[dt.date],
        *,
        columns: Sequence[str] | None = None,
        where: pc.Expression | None = None,
    ) -> pa.Table:
        """``read_partitions`` as an Arrow table (``trade_date`` a date32 column): for engines that
        read Arrow without a copy, such as DuckDB."""
        days = sorted(trade_dates)
        paths = [self._path(f"{partition_dir(dataset, d)}/{PARQUET_FILE}") for d in days]
        stored = [info.type == pafs.FileType.File for info in self._fs.get_file_info(paths)]
        missing = [day for day, exists in zip(days, stored) if not exists]
        if missing:
            raise MissingPartitionsError(dataset, missing)
        scan = ds.dataset(paths, filesystem=self._fs, format="parquet", partitioning=_HIVE_DATE, partition_base_dir=self._path(dataset))
        projected = None if columns is None else [PARTITION_COLUMN, *columns]
        table = scan.scanner(columns=projected, filter=where, fragment_readahead=FRAGMENT_READAHEAD).to_table()
        return table.select([PARTITION_COLUMN, *(c for c in table.column_names if c != PARTITION_COLUMN)])

    def stored_partitions(self, dataset: str) -> list[dt.date]:
        """The trade dates ``dataset`` has a stored partition for, oldest first (one listing)."""
        prefix = f"{dataset}/{PARTITION_COLUMN}="
        return sorted(
            dt.date.fromisoformat(key.removeprefix(prefix).split("/")[0])
            for key in self.list_files(dataset)
            if key.startswith(prefix) and key.endswith(f"/{PARQUET_FILE}")
        )

    def delete_partition(self, dataset: str, trade_date: dt.date) -> bool:
        """Remove a partition's Parquet file; whether there was one."""
        key = f"{partition_dir(dataset, trade_date)}/{PARQUET_FILE}"
        if self._fs.get_file_info(self._path(key)).type != pafs.FileType.File:
            return False
        self.delete(key)
        return True

    def list_files(self, prefix: str) -> list[str]:
        """Keys of the files under ``prefix`` (a folder), skipping in-flight temporary files."""
        selector = pafs.FileSelector(self._path(prefix), allow_not_found=True, recursive=True)
        keys = [
            info.path.removeprefix(self._root + "/")
            for info in self._fs.get_file_info(selector)
            if info.type == pafs.FileType.File and not info.base_name.startswith(".")
        ]
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._fs.delete_file(self._path(key))

    def _path(self, key: str) -> str:
        return f"{self._root}/{key}"

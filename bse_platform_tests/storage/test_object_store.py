import datetime as dt
import os
import time

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from bse_platform.storage import PARQUET_FILE, MissingPartitionsError, partition_dir

DAY_1, DAY_2 = dt.date(2025, 8, 25), dt.date(2025, 8, 26)


def _table(values):
    return pa.table({"security_code": pa.array(values, pa.int64()), "close": pa.array([v / 10 for v in values])})


def test_bytes_round_trip_and_listing_skips_nothing_real(store):
    store.write_bytes("raw/trade_date=2025-08-25/EQ250825.CSV", b"a,b\r\n1,2\r\n")
    assert store.read_bytes("raw/trade_date=2025-08-25/EQ250825.CSV") == b"a,b\r\n1,2\r\n"
    assert store.list_files("raw") == ["raw/trade_date=2025-08-25/EQ250825.CSV"]
    assert store.list_files("nothing-here") == []


def test_rewrite_replaces_the_file_and_leaves_no_temporary_files(store):
    key = f"{partition_dir('clean', DAY_1)}/{PARQUET_FILE}"
    store.write_parquet(key, _table([1, 2, 3]))
    store.write_parquet(key, _table([7]))
    assert store.list_files("clean") == [key]
    assert store.read_partitions("clean", [DAY_1])["security_code"].tolist() == [7]


def test_partitions_read_in_one_scan_with_typed_trade_date(store):
    store.write_parquet(f"{partition_dir('clean', DAY_1)}/{PARQUET_FILE}", _table([1, 2]))
    store.write_parquet(f"{partition_dir('clean', DAY_2)}/{PARQUET_FILE}", _table([3]))
    frame = store.read_partitions("clean", [DAY_2, DAY_1])
    assert list(frame.columns) == ["trade_date", "security_code", "close"]
    assert str(frame["trade_date"].dtype) == "datetime64[ns]"
    frame = frame.sort_values("security_code")
    assert [d.date() for d in frame["trade_date"]] == [DAY_1, DAY_1, DAY_2]
    assert len(store.read_partitions("clean", [DAY_2])) == 1


def test_frames_round_trip_through_partitions(store):
    frame = pd.DataFrame(
        {"trade_date": pd.to_datetime([DAY_1, DAY_1]), "security_code": [5, 6], "volume": pd.array([1, None], "Int64")}
    )
    store.write_partition("clean", DAY_1, frame)
    pd.testing.assert_frame_equal(store.read_partitions("clean", [DAY_1]), frame)


def test_missing_partition_is_a_clear_error(store):
    store.write_parquet(f"{partition_dir('clean', DAY_1)}/{PARQUET_FILE}", _table([1]))
    with pytest.raises(MissingPartitionsError, match="2025-08-26"):
        store.read_partitions("clean", [DAY_1, DAY_2])


def test_local_layout_is_read_directly_by_pandas_and_duckdb(tmp_path):
    from bse_platform.storage import ObjectStore

    store = ObjectStore(str(tmp_path))
    store.write_parquet(f"{partition_dir('clean', DAY_1)}/{PARQUET_FILE}", _table([1, 2]))
    store.write_parquet(f"{partition_dir('clean', DAY_2)}/{PARQUET_FILE}", _table([3]))

    by_pandas = pd.read_parquet(tmp_path / "clean")
    assert sorted(by_pandas["trade_date"].astype(str)) == ["2025-08-25", "2025-08-25", "2025-08-26"]
    rows = duckdb.sql(
        f"select trade_date, count(*) from read_parquet('{tmp_path}/clean/*/*.parquet', hive_partitioning=true) "
        "group by 1 order by 1"
    ).fetchall()
    assert rows == [(DAY_1, 2), (DAY_2, 1)]



def test_a_later_write_removes_what_a_killed_write_left_behind(tmp_path):
    from bse_platform.storage import LEFTOVER_AGE_SECONDS, ObjectStore

    store = ObjectStore(str(tmp_path))
    folder = tmp_path / "clean" / "trade_date=2025-08-25"
    folder.mkdir(parents=True)
    killed, in_flight = folder / ".data.parquet.dead.tmp", folder / ".data.parquet.live.tmp"
    for leftover in (killed, in_flight):
        leftover.write_bytes(b"half a file")
    hours_ago = time.time() - LEFTOVER_AGE_SECONDS - 60
    os.utime(killed, (hours_ago, hours_ago))
    store.write_partition("clean", DAY_1, pd.DataFrame({"security_code": [1]}))
    assert not killed.exists() and in_flight.exists()  # a write still running elsewhere is left alone
    assert store.list_files("clean") == ["clean/trade_date=2025-08-25/data.parquet"]

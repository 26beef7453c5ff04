"""The clean table's contract: the pandera model, and when a turnover can be a volume-weighted price."""

import numpy as np
import pandas as pd
import pytest
from pandera.engines import pandas_engine as pandera_engine

from bse_platform.bse import parse_bhavcopy
from bse_platform.clean_schema import (
    ARROW_STRING,
    ARROW_TEXT_DTYPES,
    CLEAN_DTYPES,
    CLEAN_SCHEMA,
    TEXT_COLUMNS,
    clean_bhavcopy_schema,
    trusted_vwap,
)


@pytest.mark.parametrize(
    ("turnover", "volume", "low", "high", "expected"),
    [
        (16181.0, 233, 69.45, 69.45, 69.45),  # 233 x 69.45 = 16181.85, truncated by BSE: clipped back in
        (45.0, 1, 45.60, 45.60, 45.60),  # one share, turnover truncated to whole rupees
        (275554.0, 25898, 10.64, 10.64, 10.64),
        (35778.0, 1175, 30.45, 30.60, 30.45),  # 35778.75 truncated: just under the low, clipped back in
        (3000.0, 100, 29.5, 30.5, 30.0),  # within the range, as it is
        (0.0, 1, 0.95, 0.95, np.nan),  # a one-share trade under a rupee: turnover 0 says nothing
        (239768527.0, 3614604, 60.45, 66.25, np.nan),  # implies 66.33 > high: not a price of the day
        (100.0, 0, 10.0, 10.0, np.nan),  # nothing traded
    ],
)
def test_trusted_vwap(turnover, volume, low, high, expected):
    got = trusted_vwap(pd.Series([turnover]), pd.Series([volume], dtype="Int64"), pd.Series([low]), pd.Series([high]))
    assert got.iloc[0] == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize("path", ["legacy_eq/EQ280318.CSV", "legacy_eq/EQ050221.CSV", "udiff/BSE_BhavCopy_20250825.csv"])
def test_real_files_turnover_is_consistent_but_for_a_few_rows(sample_bytes, path):
    """BSE truncates turnover: 6-9% of rows imply a price outside [low, high] until that is allowed for."""
    frame = parse_bhavcopy(sample_bytes(path), path.split("/")[-1], instrument_classes=None)
    traded = frame["volume"] > 0
    untrusted = traded & trusted_vwap(frame["turnover"], frame["volume"], frame["low"], frame["high"]).isna()
    naive = traded & ~(frame["turnover"] / frame["volume"].astype(float)).between(frame["low"], frame["high"])
    assert naive.sum() > 0.05 * traded.sum() and untrusted.sum() <= 3


def test_the_model_is_the_schema_and_the_dtypes():
    assert list(CLEAN_DTYPES) == list(CLEAN_SCHEMA.columns)
    assert CLEAN_DTYPES["isin"] == "object" and CLEAN_DTYPES["volume"] == "Int64"
    assert all(column.description for column in CLEAN_SCHEMA.columns.values())
    dated = clean_bhavcopy_schema(pd.Timestamp("2025-08-25").date())
    assert any("equal_to" in check.name for check in dated.columns["trade_date"].checks)


def test_arrow_text_schema_has_the_same_checks():
    """The parser validates text as Arrow strings: the same columns and checks, another text dtype."""
    plain, arrow = clean_bhavcopy_schema(), clean_bhavcopy_schema(arrow_text=True)
    assert list(arrow.columns) == list(plain.columns)
    for name, column in plain.columns.items():
        expected = ARROW_STRING if name in TEXT_COLUMNS else column.dtype
        assert arrow.columns[name].dtype == pandera_engine.Engine.dtype(expected)
        assert [check.name for check in arrow.columns[name].checks] == [check.name for check in column.checks]
        assert arrow.columns[name].nullable == column.nullable
    assert [check.name for check in arrow.checks] == [check.name for check in plain.checks]
    assert (arrow.unique, arrow.strict, arrow.ordered, arrow.name) == (plain.unique, plain.strict, plain.ordered, plain.name)
    assert {name: str(dtype) for name, dtype in ARROW_TEXT_DTYPES.items() if name not in TEXT_COLUMNS} == {
        name: dtype for name, dtype in CLEAN_DTYPES.items() if name not in TEXT_COLUMNS
    }

"""The parser on every real BSE file in ../shared/bse-samples, checked against the raw text itself.

Expected values come from SOURCES.md and from reading the raw CSV with the standard library
(``csv_rows``), never from the code under test.
"""

import datetime as dt
import math
import re

import pandas as pd
import pytest

from bse_platform.bse.errors import BrokenBhavcopyError
from bse_platform.bse.parser import _read_rows, parse_bhavcopy, read_bhavcopy, read_raw_bhavcopy
from bse_platform.clean_schema import CLEAN_DTYPES, EQUITY_CLASSES
from bse_platform_tests.bse.conftest import csv_rows, csv_text

# (path under bse-samples, format, trade date, data rows) as SOURCES.md lists them.
BHAVCOPIES = [
    ("legacy_eq/EQ280318.CSV", "eq", dt.date(2018, 3, 28), 2978),
    ("legacy_eq/EQ050221.CSV", "eq", dt.date(2021, 2, 5), 3446),
    ("legacy_eq/210421.zip", "eq", dt.date(2021, 4, 20), 3322),
    ("legacy_eq_isincode/EQ_ISINCODE_310118.CSV", "eq_isincode", dt.date(2018, 1, 31), 3158),
    ("udiff/BSE_BhavCopy_20250825.csv", "udiff", dt.date(2025, 8, 25), 4784),
    ("udiff/bse_bhavcopy_udiff_20240708.csv", "udiff", dt.date(2024, 7, 8), 3),
]
HTML_RESPONSE = "error_responses/EQ180823_CSV.ZIP"
IDS = [path.split("/")[-1] for path, *_ in BHAVCOPIES]

# Raw column of each clean column, per family, written out here independently of formats.py.
LEGACY_COLUMNS = {
    "security_code": "SC_CODE", "name": "SC_NAME", "group": "SC_GROUP", "instrument_type": "SC_TYPE",
    "open": "OPEN", "high": "HIGH", "low": "LOW", "close": "CLOSE", "last": "LAST",
    "prev_close": "PREVCLOSE", "num_trades": "NO_TRADES", "volume": "NO_OF_SHRS", "turnover": "NET_TURNOV",
}  # fmt: skip
UDIFF_COLUMNS = {
    "security_code": "FinInstrmId", "name": "FinInstrmNm", "group": "SctySrs", "instrument_type": "FinInstrmTp",
    "open": "OpnPric", "high": "HghPric", "low": "LwPric", "close": "ClsPric", "last": "LastPric",
    "prev_close": "PrvsClsgPric", "num_trades": "TtlNbOfTxsExctd", "volume": "TtlTradgVol",
    "turnover": "TtlTrfVal", "isin": "ISIN", "symbol": "TckrSymb",
}  # fmt: skip
RAW_COLUMNS = {
    "eq": LEGACY_COLUMNS,
    "eq_isincode": {**LEGACY_COLUMNS, "isin": "ISIN_CODE"},
    "udiff": UDIFF_COLUMNS,
}


def _name(path: str) -> str:
    return path.split("/")[-1]


def _all_classes(sample_bytes, path: str):
    return read_bhavcopy(sample_bytes(path), _name(path), instrument_classes=None)


# --- the sample set itself -------------------------------------------------------------------------


def test_sample_table_agrees_with_sources_md_and_the_folder(samples_dir):
    text = (samples_dir / "SOURCES.md").read_text()
    listed = {}
    for row in re.findall(r"^\|\s*([\w./-]+/[\w.-]+)\s*\|\s*([^|]*)\|[^|]*\|\s*([^|]*)\|", text, re.MULTILINE):
        path, day, rows = (cell.strip() for cell in row)
        listed[path] = (day, rows)
    on_disk = {p.relative_to(samples_dir).as_posix() for p in samples_dir.rglob("*") if p.is_file()}
    assert on_disk - {"SOURCES.md"} == set(listed), "every sample file is listed in SOURCES.md and tested here"
    assert set(listed) == {path for path, *_ in BHAVCOPIES} | {HTML_RESPONSE}
    for path, _, day, rows in BHAVCOPIES:
        assert listed[path] == (day.isoformat(), str(rows)), path


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_arrows_csv_reader_and_the_row_by_row_reader_read_the_same_table(sample_bytes, monkeypatch, path, fmt, day, rows):
    """A file with no quote and every row the header's width is read by Arrow's CSV reader, any other
    row by row: blank lines at its end (skipped) send the same file the other way."""
    from bse_platform.bse import parser

    read_row_by_row = []
    monkeypatch.setattr(parser, "_read_rows", lambda *args: read_row_by_row.append(path) or _read_rows(*args))
    content = csv_text(sample_bytes(path)).encode()
    by_arrow = read_raw_bhavcopy(content, _name(path))
    assert read_row_by_row == []
    row_by_row = read_raw_bhavcopy(content + b"\n\n", _name(path))
    assert read_row_by_row == [path]
    pd.testing.assert_frame_equal(by_arrow.table, row_by_row.table)
    assert len(by_arrow.table) == rows


# --- format and trade date -------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_format_is_detected_from_the_header(sample_bytes, path, fmt, day, rows):
    raw = read_raw_bhavcopy(sample_bytes(path), _name(path))
    assert raw.format.name == fmt
    assert raw.skipped_rows == ()
    assert raw.ignored_columns == ()


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_trade_date(sample_bytes, path, fmt, day, rows):
    parsed = _all_classes(sample_bytes, path)
    assert parsed.trade_date == day
    assert set(parsed.frame["trade_date"]) == {pd.Timestamp(day)}
    # The requested date is accepted when it is the file's own.
    assert read_bhavcopy(sample_bytes(path), _name(path), day).trade_date == day


def test_legacy_eq_date_comes_from_the_file_name(sample_bytes):
    raw = read_raw_bhavcopy(sample_bytes("legacy_eq/EQ280318.CSV"), "EQ280318.CSV")
    assert raw.date_inside is None  # the EQ format has no date column
    assert raw.trade_date() == dt.date(2018, 3, 28)


def test_renamed_zip_date_comes_from_its_member_name(sample_bytes):
    raw = read_raw_bhavcopy(sample_bytes("legacy_eq/210421.zip"), "210421.zip")
    assert (raw.file_name, raw.member_name) == ("210421.zip", "EQ200421.CSV")
    assert raw.file == "210421.zip/EQ200421.CSV"
    # 210421 read as a date would be 2021-04-21 or 2042-04-21: the member's name wins.
    assert raw.trade_date() == dt.date(2021, 4, 20)


def test_eq_isincode_date_comes_from_trading_date(sample_bytes):
    raw = read_raw_bhavcopy(sample_bytes("legacy_eq_isincode/EQ_ISINCODE_310118.CSV"))  # no file name at all
    assert raw.date_inside == dt.date(2018, 1, 31)
    assert raw.trade_date() == dt.date(2018, 1, 31)


@pytest.mark.parametrize(
    ("path", "day"),
    [("udiff/BSE_BhavCopy_20250825.csv", dt.date(2025, 8, 25)), ("udiff/bse_bhavcopy_udiff_20240708.csv", dt.date(2024, 7, 8))],
    ids=["20250825", "20240708"],
)
def test_udiff_date_comes_from_traddt(sample_bytes, path, day):
    raw = read_raw_bhavcopy(sample_bytes(path), _name(path))  # neither name is a BSE name
    assert raw.date_inside == day
    assert raw.trade_date() == day


# --- rows, columns, values -------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_row_count_and_one_row_per_security(sample_bytes, path, fmt, day, rows):
    content = sample_bytes(path)
    oracle = csv_rows(content)
    assert len(oracle) == rows  # SOURCES.md and the raw text agree
    frame = read_bhavcopy(content, _name(path), instrument_classes=None).frame
    assert len(frame) == rows
    assert frame["security_code"].is_unique
    code = RAW_COLUMNS[fmt]["security_code"]
    assert set(frame["security_code"]) == {int(row[code]) for row in oracle}


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_clean_columns_dtypes_and_validation(sample_bytes, path, fmt, day, rows):
    frame = parse_bhavcopy(sample_bytes(path), _name(path), instrument_classes=None)
    assert list(frame.columns) == list(CLEAN_DTYPES)
    assert {c: str(t) for c, t in frame.dtypes.items()} == CLEAN_DTYPES
    assert set(frame["source_format"]) == {fmt}
    assert read_bhavcopy(sample_bytes(path), _name(path), instrument_classes=None).validation.passed


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_every_value_matches_the_raw_text(sample_bytes, path, fmt, day, rows):
    content = sample_bytes(path)
    columns = RAW_COLUMNS[fmt]
    frame = read_bhavcopy(content, _name(path), instrument_classes=None).frame.set_index("security_code")
    for row in csv_rows(content):
        got = frame.loc[int(row[columns["security_code"]])]
        for clean in ("open", "high", "low", "close", "last", "turnover"):
            assert got[clean] == pytest.approx(float(row[columns[clean]])), (clean, row)
        for clean in ("volume", "num_trades"):
            assert got[clean] == int(row[columns[clean]]), (clean, row)
        for clean in ("name", "group", "instrument_type", "isin", "symbol"):
            expected = row[columns[clean]].strip() if clean in columns else ""
            if expected:
                assert got[clean] == expected, (clean, row)
            else:
                assert pd.isna(got[clean]), (clean, row)


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_prev_close_zero_becomes_null(sample_bytes, path, fmt, day, rows):
    content = sample_bytes(path)
    column = RAW_COLUMNS[fmt]["prev_close"]
    frame = read_bhavcopy(content, _name(path), instrument_classes=None).frame.set_index("security_code")
    code = RAW_COLUMNS[fmt]["security_code"]
    for row in csv_rows(content):
        prev = float(row[column])
        got = frame.loc[int(row[code]), "prev_close"]
        if prev == 0:
            assert pd.isna(got), row
        else:
            assert got == pytest.approx(prev), row


def test_names_and_groups_are_trimmed(sample_bytes):
    content = sample_bytes("legacy_eq/EQ280318.CSV")
    padded = [row for row in csv_rows(content) if row["SC_NAME"] != row["SC_NAME"].strip()]
    assert padded, "the legacy sample pads SC_NAME to 12 characters"
    assert all(row["SC_GROUP"].endswith(" ") for row in csv_rows(content) if len(row["SC_GROUP"].strip()) == 1)
    for path, *_ in BHAVCOPIES:
        frame = _all_classes(sample_bytes, path).frame
        for column in ("name", "group", "instrument_type", "isin", "symbol"):
            texts = frame[column].dropna()
            assert (texts == texts.str.strip()).all(), (path, column)
            assert (texts != "").all(), (path, column)


# --- spot checks against the raw lines -------------------------------------------------------------


def test_abb_in_eq280318(sample_bytes):
    # raw line 2: 500002,ABB LTD.    ,A ,Q,1282.55,1298.40,1275.30,1286.60,1286.60,1279.20,344,2429,3122487.00,
    frame = _all_classes(sample_bytes, "legacy_eq/EQ280318.CSV").frame
    abb = frame.loc[2]
    assert abb["security_code"] == 500002
    assert (abb["name"], abb["group"], abb["instrument_type"]) == ("ABB LTD.", "A", "Q")
    assert (abb["open"], abb["high"], abb["low"], abb["close"], abb["last"], abb["prev_close"]) == (
        1282.55, 1298.40, 1275.30, 1286.60, 1286.60, 1279.20,
    )  # fmt: skip
    assert (abb["num_trades"], abb["volume"], abb["turnover"]) == (344, 2429, 3122487.00)
    assert pd.isna(abb["isin"]) and pd.isna(abb["symbol"])  # the EQ format has neither
    assert abb["instrument_class"] == "equity"


def test_new_listing_prev_close_is_null(sample_bytes):
    # raw line 2793: 541154,HAL         ,B ,Q,1169.00,1184.00,1117.60,1128.35,1128.35,0.00,...
    frame = _all_classes(sample_bytes, "legacy_eq/EQ280318.CSV").frame
    hal = frame.loc[2793]
    assert (hal["security_code"], hal["name"], hal["close"]) == (541154, "HAL", 1128.35)
    assert math.isnan(hal["prev_close"])


def test_eq_isincode_values(sample_bytes):
    frame = _all_classes(sample_bytes, "legacy_eq_isincode/EQ_ISINCODE_310118.CSV").frame.set_index("security_code")
    assert frame.loc[500002, "isin"] == "INE117A01022"
    assert frame.loc[500002, "close"] == 1657.30
    assert frame.loc[580001, "instrument_type"] == "I"  # the one SC_TYPE I row (STAN CHART)
    assert frame.loc[580001, "name"] == "STAN CHART"


def test_udiff_values_and_same_isin_under_two_codes(sample_bytes):
    frame = _all_classes(sample_bytes, "udiff/BSE_BhavCopy_20250825.csv").frame.set_index("security_code")
    assert frame.loc[100112, "symbol"] == "SBIN#"
    assert frame.loc[500112, "symbol"] == "SBIN"
    assert frame.loc[100112, "isin"] == frame.loc[500112, "isin"] == "INE062A01020"
    assert frame.loc[500002, "name"] == "ABB INDIA LIMITED"
    assert frame.loc[500002, "close"] == 5101.35
    assert frame.loc[500002, "turnover"] == 147139595.00


def test_etf_is_classified_fund(sample_bytes):
    content = sample_bytes("udiff/bse_bhavcopy_udiff_20240708.csv")
    frame = read_bhavcopy(content, instrument_classes=None).frame.set_index("security_code")
    assert frame.loc[590103, "isin"].startswith("INF")
    assert frame.loc[590103, "group"] == "B"  # a group equities use too: the ISIN decides
    assert frame.loc[590103, "instrument_class"] == "fund"
    assert frame.loc[[500325, 532540], "instrument_class"].tolist() == ["equity", "equity"]


def test_a_legacy_eq_file_classes_etfs_as_funds_with_isins_from_a_master(sample_bytes):
    """EQ280318 has no ISINs: its ETFs (group B, SC_TYPE Q) look like shares. With the ISINs the
    EQ_ISINCODE file of two months earlier states, each shared code gets that file's class."""
    with_isins = _all_classes(sample_bytes, "legacy_eq_isincode/EQ_ISINCODE_310118.CSV").frame
    master = dict(zip(with_isins["security_code"], with_isins["isin"]))
    alone = _all_classes(sample_bytes, "legacy_eq/EQ280318.CSV")
    mastered = read_bhavcopy(sample_bytes("legacy_eq/EQ280318.CSV"), "EQ280318.CSV", instrument_classes=None, known_isins=master)
    assert mastered.isins_from_master == mastered.frame["security_code"].isin(list(master)).sum() > 2500

    etfs = [532985, 538057, 590103, 590104]  # KOTAK SENSEX, CPSE ETF, NIFTY BEES, JUNIOR BEES
    assert (alone.frame.set_index("security_code").loc[etfs, "instrument_class"] == "equity").all()  # the bug
    assert (mastered.frame.set_index("security_code").loc[etfs, "instrument_class"] == "fund").all()
    shared = mastered.frame.merge(with_isins, on="security_code", suffixes=("", "_isincode"))
    same_group = shared["group"] == shared["group_isincode"]  # a few moved board (SME -> B) in between
    assert (shared.loc[same_group, "instrument_class"] == shared.loc[same_group, "instrument_class_isincode"]).all()


def test_rows_left_out_by_class_are_counted(sample_bytes):
    everything = _all_classes(sample_bytes, "legacy_eq_isincode/EQ_ISINCODE_310118.CSV").frame
    default = read_bhavcopy(sample_bytes("legacy_eq_isincode/EQ_ISINCODE_310118.CSV"), "EQ_ISINCODE_310118.CSV")
    others = everything.loc[~everything["instrument_class"].isin(EQUITY_CLASSES), "instrument_class"]
    assert default.left_out == others.value_counts().to_dict() and sum(default.left_out.values()) > 200


# --- instrument filter ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt", "day", "rows"), BHAVCOPIES, ids=IDS)
def test_default_instrument_classes_keep_equity_and_sme_only(sample_bytes, path, fmt, day, rows):
    everything = _all_classes(sample_bytes, path).frame
    default = read_bhavcopy(sample_bytes(path), _name(path)).frame
    assert set(default["instrument_class"]) <= set(EQUITY_CLASSES)
    kept = everything[everything["instrument_class"].isin(EQUITY_CLASSES)]
    assert default.index.tolist() == kept.index.tolist()
    assert len(default) < len(everything), "every sample holds some non-equity rows"
    fund_only = read_bhavcopy(sample_bytes(path), _name(path), instrument_classes=["fund"]).frame
    assert set(fund_only["instrument_class"]) <= {"fund"}
    assert len(fund_only) == (everything["instrument_class"] == "fund").sum()


# --- line endings -----------------------------------------------------------------------------------


def test_cr_cr_lf_sample_parses_every_line(sample_bytes):
    content = sample_bytes("udiff/BSE_BhavCopy_20250825.csv")
    lines = content.count(b"\r\r\n")
    assert lines == content.count(b"\n"), "every line of this sample ends CR CR LF"
    raw = read_raw_bhavcopy(content, "BSE_BhavCopy_20250825.csv")
    assert len(raw.table) == lines - 1
    assert raw.skipped_rows == ()
    # Line numbers count physical lines: the last data row is on the last line.
    assert raw.table.index[0] == 2 and raw.table.index[-1] == lines


# --- a real error response -------------------------------------------------------------------------


@pytest.mark.parametrize("function", [read_raw_bhavcopy, read_bhavcopy, parse_bhavcopy])
def test_html_error_response_is_not_a_bhavcopy(sample_bytes, function):
    with pytest.raises(BrokenBhavcopyError, match="not a bhavcopy") as caught:
        function(sample_bytes(HTML_RESPONSE), "EQ180823_CSV.ZIP")
    assert "EQ180823_CSV.ZIP" in str(caught.value)

"""Bad input: each broken file fails with an error naming the file (and line), or parses cleanly.

Broken files are made by editing real sample bytes, or from a few hand-written rows under the real
headers, never by mocking.
"""

import datetime as dt
import io
import logging
import math
import sys
import zipfile

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pytest

from bse_platform.bse import parser
from bse_platform.bse.errors import BhavcopyError, BrokenBhavcopyError, StaleBhavcopyError
from bse_platform.bse.parser import DEFAULT_MAX_BAD_ROW_SHARE, parse_bhavcopy, read_bhavcopy, read_raw_bhavcopy
from bse_platform.clean_schema import CLEAN_DTYPES
from bse_platform_tests.bse.conftest import crlf_lines

PARSER_LOGGER = "bse_platform.bse.parser"

EQ_SAMPLE = "legacy_eq/EQ280318.CSV"
ISIN_SAMPLE = "legacy_eq_isincode/EQ_ISINCODE_310118.CSV"
UDIFF_SAMPLE = "udiff/bse_bhavcopy_udiff_20240708.csv"
ZIP_SAMPLE = "legacy_eq/210421.zip"

EQ_HEADER = "SC_CODE,SC_NAME,SC_GROUP,SC_TYPE,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,NO_TRADES,NO_OF_SHRS,NET_TURNOV,TDCLOINDI"
# Three rows as in EQ280318.CSV (lines 2-4), written out so these tests need no sample folder.
EQ_ROWS = [
    "500002,ABB LTD.    ,A ,Q,1282.55,1298.40,1275.30,1286.60,1286.60,1279.20,344,2429,3122487.00,",
    "500003,AEGIS LOGIS ,A ,Q,263.00,263.85,255.00,258.85,259.30,261.75,269,9557,2479741.00,",
    "500008,AMAR RAJA BA,A ,Q,790.60,805.00,786.45,797.50,797.50,794.55,468,11725,9367847.00,",
]
EQ_NAME = "EQ280318.CSV"
EQ_DAY = dt.date(2018, 3, 28)


def eq_csv(rows: list[str] = EQ_ROWS, header: str = EQ_HEADER, newline: str = "\r\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode()


def join_crlf(lines: list[bytes]) -> bytes:
    return b"\r\n".join(lines) + b"\r\n"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def drop_field(line: bytes, index: int) -> bytes:
    fields = line.split(b",")
    return b",".join(fields[:index] + fields[index + 1 :])


def test_hand_written_rows_are_a_valid_bhavcopy():
    """The baseline the edits below break: three untouched rows parse."""
    frame = parse_bhavcopy(eq_csv(), EQ_NAME)
    assert frame["security_code"].tolist() == [500002, 500003, 500008]
    assert frame["close"].tolist() == [1286.60, 258.85, 797.50]


# --- not a bhavcopy at all ------------------------------------------------------------------------


HTML_PAGE = (
    b"<!DOCTYPE html>\r\n<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
    b"You don't have permission to access this server.</body></html>\r\n"
)


@pytest.mark.parametrize(
    "content", [HTML_PAGE, b"\r\n\r\n   " + HTML_PAGE, b"<HTML><BODY>Error</BODY></HTML>"], ids=["doctype", "blank-first", "upper"]
)
def test_html_page(content):
    with pytest.raises(BrokenBhavcopyError, match="not a bhavcopy") as caught:
        read_raw_bhavcopy(content, "EQ280318_CSV.ZIP")
    assert caught.value.file == "EQ280318_CSV.ZIP"
    assert "EQ280318_CSV.ZIP" in str(caught.value)


def test_html_page_inside_a_zip_names_the_member():
    with pytest.raises(BrokenBhavcopyError, match="not a bhavcopy") as caught:
        read_raw_bhavcopy(zipped({"EQ280318.CSV": HTML_PAGE}), "EQ280318_CSV.ZIP")
    assert caught.value.file == "EQ280318_CSV.ZIP/EQ280318.CSV"


@pytest.mark.parametrize("content", [b"", b"   ", b"\r\n\r\n", b"\n"], ids=["empty", "spaces", "crlf", "lf"])
def test_empty_body(content):
    with pytest.raises(BrokenBhavcopyError, match="empty") as caught:
        read_raw_bhavcopy(content, EQ_NAME)
    assert EQ_NAME in str(caught.value)


def test_header_only():
    with pytest.raises(BrokenBhavcopyError, match="no data rows") as caught:
        read_raw_bhavcopy(eq_csv(rows=[]), EQ_NAME)
    assert EQ_NAME in str(caught.value)


def test_unknown_header_entirely():
    # An NSE-style bhavcopy: some price columns in common, but not a BSE format.
    nse = (
        "SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,TOTALTRADES,ISIN,\r\n"
        "20MICRONS,EQ,36.5,37.45,36.05,36.5,36.6,36.5,14470,529617.15,28-MAR-2018,215,INE144J01027,\r\n"
    ).encode()
    with pytest.raises(BrokenBhavcopyError, match="not a bhavcopy") as caught:
        read_raw_bhavcopy(nse, "cm28MAR2018bhav.csv")
    assert caught.value.file == "cm28MAR2018bhav.csv"
    assert caught.value.line == 1


def test_plain_text_error_page_is_not_a_bhavcopy():
    with pytest.raises(BrokenBhavcopyError, match="not a bhavcopy"):
        read_raw_bhavcopy(b"Service Unavailable\r\nPlease try again later\r\n", EQ_NAME)


# --- zips ------------------------------------------------------------------------------------------


def test_zip_with_no_csv_inside():
    content = zipped({"readme.txt": b"nothing here"})
    with pytest.raises(BrokenBhavcopyError, match="one CSV") as caught:
        read_raw_bhavcopy(content, "EQ280318_CSV.ZIP")
    assert "EQ280318_CSV.ZIP" in str(caught.value)
    assert "readme.txt" in str(caught.value)


def test_zip_with_two_csvs_inside():
    content = zipped({"EQ280318.CSV": eq_csv(), "EQ290318.CSV": eq_csv()})
    with pytest.raises(BrokenBhavcopyError, match="one CSV") as caught:
        read_raw_bhavcopy(content, "EQ280318_CSV.ZIP")
    assert "EQ290318.CSV" in str(caught.value)


def test_hand_made_zip_parses_and_takes_its_date_from_the_member():
    frame = parse_bhavcopy(zipped({"EQ280318.CSV": eq_csv()}), "download.zip")
    assert set(frame["trade_date"]) == {pd.Timestamp(EQ_DAY)}


def test_truncated_zip(sample_bytes):
    content = sample_bytes(ZIP_SAMPLE)
    with pytest.raises(BrokenBhavcopyError, match="cannot be read") as caught:
        read_raw_bhavcopy(content[: len(content) // 2], "210421.zip")
    assert caught.value.file == "210421.zip"


def test_corrupted_zip(sample_bytes):
    content = bytearray(sample_bytes(ZIP_SAMPLE))
    middle = len(content) // 2
    content[middle : middle + 64] = bytes(b ^ 0xFF for b in content[middle : middle + 64])
    with pytest.raises(BrokenBhavcopyError, match="cannot be read") as caught:
        read_raw_bhavcopy(bytes(content), "210421.zip")
    assert "210421.zip" in str(caught.value)


@pytest.mark.parametrize("position", range(100, 2000, 150))
def test_any_flipped_byte_in_the_compressed_data_is_a_broken_file(sample_bytes, position):
    """zlib errors and CRC mismatches alike become a BhavcopyError, never an unhandled exception."""
    content = bytearray(sample_bytes(ZIP_SAMPLE))
    content[position] ^= 0x55
    with pytest.raises(BrokenBhavcopyError, match="cannot be read"):
        read_raw_bhavcopy(bytes(content), "210421.zip")


# --- truncated rows, wrong field counts -----------------------------------------------------------


def _with_stray_quote(content: bytes, lines_from_end: int) -> tuple[bytes, int]:
    """The CR CR LF sample with a stray quote in one name; returns the bytes and that line's number."""
    lines = content.split(b"\r\r\n")
    target = len(lines) - 1 - lines_from_end  # the last piece is empty
    fields = lines[target].split(b",")
    fields[13] = b'"' + fields[13]  # FinInstrmNm
    lines[target] = b",".join(fields)
    return b"\r\r\n".join(lines), target + 1


def test_stray_quote_near_the_end_skips_the_joined_lines_from_their_first(sample_bytes):
    content, line = _with_stray_quote(sample_bytes("udiff/BSE_BhavCopy_20250825.csv"), lines_from_end=5)
    raw = read_raw_bhavcopy(content, "BSE_BhavCopy_20250825.csv")
    assert [row.line for row in raw.skipped_rows] == [line]
    assert "unmatched quote" in raw.skipped_rows[0].reason
    assert len(raw.table) == 4784 - 5  # the quoted row swallowed the four after it


def test_stray_quote_that_swallows_too_many_rows_fails_the_file(sample_bytes):
    content, line = _with_stray_quote(sample_bytes("udiff/BSE_BhavCopy_20250825.csv"), lines_from_end=60)
    with pytest.raises(BrokenBhavcopyError, match="unmatched quote") as caught:
        read_raw_bhavcopy(content, "BSE_BhavCopy_20250825.csv")
    assert caught.value.line == line


def test_stray_quote_early_in_a_file_is_a_clear_error(sample_bytes):
    content, _ = _with_stray_quote(sample_bytes("udiff/BSE_BhavCopy_20250825.csv"), lines_from_end=4700)
    with pytest.raises(BrokenBhavcopyError, match="unreadable CSV|unmatched quote"):
        read_raw_bhavcopy(content, "BSE_BhavCopy_20250825.csv")


def test_truncated_csv_skips_and_reports_the_cut_row(sample_bytes, caplog):
    content = sample_bytes(EQ_SAMPLE)
    middle = content.index(b"\r\n", len(content) // 2) + 2  # start of a line near the middle
    cut = middle + 30  # 30 bytes into that row: mid-row
    cut_line = content[:cut].count(b"\n") + 1
    assert content[middle:cut].count(b",") < 13, "the cut leaves the row short of fields"
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        raw = read_raw_bhavcopy(content[:cut], EQ_NAME)
    assert [row.line for row in raw.skipped_rows] == [cut_line]
    assert "fields" in raw.skipped_rows[0].reason
    assert raw.table.index.tolist() == list(range(2, cut_line))
    assert f"line {cut_line}" in caplog.text and EQ_NAME in caplog.text
    parsed = read_bhavcopy(content[:cut], EQ_NAME, instrument_classes=None)
    assert parsed.validation.passed
    assert len(parsed.frame) == cut_line - 2


def test_hand_written_truncated_last_row():
    content = eq_csv(rows=[*EQ_ROWS[:2], EQ_ROWS[2][:25]], newline="\r\n")[:-2]  # no final line end either
    raw = read_raw_bhavcopy(content, EQ_NAME, max_bad_row_share=0.5)  # 1 bad row of 3
    assert [row.line for row in raw.skipped_rows] == [4]
    assert raw.table["SC_CODE"].tolist() == ["500002", "500003"]


def test_rows_run_together_or_broken_across_lines_are_skipped(sample_bytes):
    lines = crlf_lines(sample_bytes(EQ_SAMPLE))
    run_together = lines[1] + lines[2]  # lines 2 and 3 on one line: 27 fields
    broken = [lines[3][:40], lines[3][40:]]  # line 4 split in two: lines 3 and 4 of the new file
    content = join_crlf([lines[0], run_together, *broken, *lines[4:]])
    raw = read_raw_bhavcopy(content, EQ_NAME)
    assert [row.line for row in raw.skipped_rows] == [2, 3, 4]
    assert len(raw.table) == len(lines) - 1 - 3  # three original rows lost
    assert raw.table.index[0] == 5


def _short_rows(sample_bytes, count: int) -> bytes:
    """EQ280318 with its first ``count`` data rows missing their last two fields."""
    lines = crlf_lines(sample_bytes(EQ_SAMPLE))
    broken = [line.rsplit(b",", 2)[0] for line in lines[1 : count + 1]]
    return join_crlf([lines[0], *broken, *lines[count + 1 :]])


def test_bad_rows_at_the_default_threshold(sample_bytes):
    rows = len(crlf_lines(sample_bytes(EQ_SAMPLE))) - 1
    allowed = int(rows * DEFAULT_MAX_BAD_ROW_SHARE)  # 29 of 2978 is under 1%, 30 is over
    assert allowed / rows <= DEFAULT_MAX_BAD_ROW_SHARE < (allowed + 1) / rows

    raw = read_raw_bhavcopy(_short_rows(sample_bytes, allowed), EQ_NAME)
    assert [row.line for row in raw.skipped_rows] == list(range(2, allowed + 2))
    assert len(raw.table) == rows - allowed

    with pytest.raises(BrokenBhavcopyError, match="wrong number of fields") as caught:
        read_raw_bhavcopy(_short_rows(sample_bytes, allowed + 1), EQ_NAME)
    assert caught.value.line == 2  # the first bad row
    assert f"{allowed + 1} of {rows}" in str(caught.value)


@pytest.mark.parametrize(("share", "fails"), [(0.5, False), (0.34, False), (0.33, True), (0.0, True)])
def test_bad_rows_at_a_configured_threshold(share, fails):
    content = eq_csv(rows=[EQ_ROWS[0], EQ_ROWS[1] + ",extra,fields", EQ_ROWS[2]])  # 1 bad row of 3
    if fails:
        with pytest.raises(BrokenBhavcopyError, match="wrong number of fields") as caught:
            read_raw_bhavcopy(content, EQ_NAME, max_bad_row_share=share)
        assert caught.value.line == 3
    else:
        raw = read_raw_bhavcopy(content, EQ_NAME, max_bad_row_share=share)
        assert [row.line for row in raw.skipped_rows] == [3]
        assert raw.table["SC_CODE"].tolist() == ["500002", "500008"]
        frame = parse_bhavcopy(content, EQ_NAME, max_bad_row_share=share)
        assert frame["security_code"].tolist() == [500002, 500008]


def test_every_row_with_the_wrong_field_count_is_reported_as_such():
    """A file whose rows all have the wrong width says so, rather than "no data rows"."""
    content = eq_csv(rows=[row + ",x" for row in EQ_ROWS])  # all rows one field too many
    with pytest.raises(BrokenBhavcopyError) as caught:
        read_raw_bhavcopy(content, EQ_NAME)
    assert "wrong number of fields" in str(caught.value)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("path", "original", "edited", "bad_line"),
    [
        # An unquoted comma inside SC_NAME: 15 fields under a 14-column header.
        (EQ_SAMPLE, b"500002,ABB LTD.    ,", b"500002,ABB, LTD.   ,", 2),
        # A thousands separator in TtlTrfVal: 35 fields under a 34-column header.
        (UDIFF_SAMPLE, b",366901153.00,", b",366,901153.00,", 3),
    ],
    ids=["comma-in-name", "comma-in-turnover"],
)
def test_a_row_with_one_field_too_many_is_skipped(sample_bytes, path, original, edited, bad_line):
    """Rows end in empty fields, so an extra comma mid-row must skip the row, not shift its values."""
    content = sample_bytes(path)
    assert content.count(original) == 1
    content = content.replace(original, edited)
    raw = read_raw_bhavcopy(content, path.split("/")[-1], max_bad_row_share=0.5)  # the UDiFF excerpt has 3 rows
    assert [row.line for row in raw.skipped_rows] == [bad_line]
    assert bad_line not in raw.table.index


# --- header problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "column"),
    [(EQ_SAMPLE, "CLOSE"), (ISIN_SAMPLE, "TRADING_DATE"), (UDIFF_SAMPLE, "ClsPric"), (UDIFF_SAMPLE, "FinInstrmId")],
)
def test_header_missing_a_required_column(sample_bytes, path, column):
    lines = crlf_lines(sample_bytes(path))
    index = lines[0].split(b",").index(column.encode())
    content = join_crlf([drop_field(line, index) for line in lines])
    name = path.split("/")[-1]
    with pytest.raises(BrokenBhavcopyError) as caught:
        read_raw_bhavcopy(content, name)
    assert column in str(caught.value)
    assert caught.value.file == name
    assert caught.value.line == 1
    assert "not a bhavcopy" not in str(caught.value)  # a known format with a gap, not an unknown one


def test_unknown_extra_column_is_ignored_and_logged(sample_bytes, caplog):
    original = sample_bytes(UDIFF_SAMPLE)
    lines = crlf_lines(original)
    content = join_crlf([lines[0] + b",NewColumn"] + [line + b",999" for line in lines[1:]])
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        raw = read_raw_bhavcopy(content, "x.csv")
    assert raw.ignored_columns == ("NewColumn",)
    assert "NewColumn" not in raw.table.columns
    assert raw.format.name == "udiff"
    assert "NewColumn" in caplog.text and "x.csv" in caplog.text
    extra = parse_bhavcopy(content, "x.csv", instrument_classes=None)
    plain = parse_bhavcopy(original, "x.csv", instrument_classes=None)
    pd.testing.assert_frame_equal(extra, plain)


def test_columns_in_another_order_parse_the_same(sample_bytes):
    lines = crlf_lines(sample_bytes(EQ_SAMPLE))
    swapped = [b",".join([f[1], f[0], *f[2:]]) for f in (line.split(b",") for line in lines)]
    plain = parse_bhavcopy(join_crlf(lines), EQ_NAME)
    pd.testing.assert_frame_equal(parse_bhavcopy(join_crlf(swapped), EQ_NAME), plain)


def test_header_naming_a_column_twice():
    """A header naming a column twice is a clear BhavcopyError, not a pandas TypeError."""
    header = EQ_HEADER.replace("TDCLOINDI", "CLOSE")
    with pytest.raises(BrokenBhavcopyError) as caught:
        read_bhavcopy(eq_csv(header=header), EQ_NAME)
    assert "CLOSE" in str(caught.value)
    assert EQ_NAME in str(caught.value)


# --- encodings and line ends ----------------------------------------------------------------------


def test_bom_and_crlf(sample_bytes):
    content = sample_bytes(EQ_SAMPLE)
    assert content.count(b"\r\n") == content.count(b"\n")  # CRLF throughout
    with_bom = b"\xef\xbb\xbf" + content
    raw = read_raw_bhavcopy(with_bom, EQ_NAME)
    assert raw.table.columns[0] == "SC_CODE"
    pd.testing.assert_frame_equal(parse_bhavcopy(with_bom, EQ_NAME), parse_bhavcopy(content, EQ_NAME))


def test_hand_written_bom_and_crlf():
    frame = parse_bhavcopy(b"\xef\xbb\xbf" + eq_csv(newline="\r\n"), EQ_NAME)
    assert frame["security_code"].tolist() == [500002, 500003, 500008]
    assert frame["name"].tolist() == ["ABB LTD.", "AEGIS LOGIS", "AMAR RAJA BA"]


@pytest.mark.parametrize("newline", ["\r\r\n", "\n", "\r"], ids=["cr-cr-lf", "lf", "cr"])
def test_other_line_ends_parse_the_same(newline):
    frame = parse_bhavcopy(eq_csv(newline=newline), EQ_NAME)
    pd.testing.assert_frame_equal(frame, parse_bhavcopy(eq_csv(newline="\r\n"), EQ_NAME))


def test_cr_cr_lf_line_numbers_count_physical_lines(sample_bytes):
    content = sample_bytes(UDIFF_SAMPLE).replace(b"\r\n", b"\r\r\n").replace(b",4015.05,", b",4O15.05,")
    with pytest.raises(BrokenBhavcopyError, match="4O15.05") as caught:
        parse_bhavcopy(content, "x.csv")
    assert caught.value.line == 3


def test_windows_1252_name_is_read():
    rows = [EQ_ROWS[0].replace("ABB LTD.    ", "ABB LT\xc9.    "), *EQ_ROWS[1:]]
    content = (("\r\n".join([EQ_HEADER, *rows])) + "\r\n").encode("cp1252")
    frame = parse_bhavcopy(content, EQ_NAME)
    assert frame["name"].iloc[0] == "ABB LT\xc9."


def test_quoted_field_with_a_comma():
    rows = [EQ_ROWS[0].replace("ABB LTD.    ", '"ABB, LTD.  "'), *EQ_ROWS[1:]]
    frame = parse_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert frame["name"].iloc[0] == "ABB, LTD."
    assert frame["open"].iloc[0] == 1282.55


# --- duplicates -----------------------------------------------------------------------------------


def test_identical_duplicate_rows_keep_one(sample_bytes, caplog):
    lines = crlf_lines(sample_bytes(UDIFF_SAMPLE))
    content = join_crlf([lines[0], lines[1], lines[2], lines[1], lines[3]])  # line 4 repeats line 2
    with caplog.at_level(logging.WARNING, logger=PARSER_LOGGER):
        parsed = read_bhavcopy(content, "x.csv", instrument_classes=None)
    assert parsed.dropped_duplicate_lines == (4,)
    assert parsed.frame.index.tolist() == [2, 3, 5]
    assert parsed.frame["security_code"].tolist() == [500325, 532540, 590103]
    assert parsed.validation.passed
    assert "[4]" in caplog.text


def test_conflicting_duplicate_rows_name_both_lines(sample_bytes):
    lines = crlf_lines(sample_bytes(UDIFF_SAMPLE))
    changed = lines[1].replace(b",3202.10,3202.10,", b",3202.10,3203.10,")  # another LastPric
    assert changed != lines[1]
    content = join_crlf([lines[0], lines[1], lines[2], changed, lines[3]])
    with pytest.raises(BrokenBhavcopyError) as caught:
        read_bhavcopy(content, "x.csv")
    message = str(caught.value)
    assert "500325" in message and "2, 4" in message
    assert caught.value.line == 2 and caught.value.file == "x.csv"


# --- bad values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "edited", "line", "value"),
    [
        (",3975.95,3975.95,", ",3975.95,N/A,", 3, "N/A"),  # LastPric
        (",4015.05,", ",4O15.05,", 3, "4O15.05"),  # OpnPric, letter O for zero
        (",191870,", ",191870.5,", 2, "191870.5"),  # TtlTradgVol must be whole
    ],
    ids=["last-na", "open-letter-o", "volume-fraction"],
)
def test_non_numeric_value_names_line_and_value(sample_bytes, original, edited, line, value):
    content = sample_bytes(UDIFF_SAMPLE)
    assert content.count(original.encode()) == 1
    content = content.replace(original.encode(), edited.encode())
    with pytest.raises(BrokenBhavcopyError) as caught:
        read_bhavcopy(content, "x.csv")
    assert caught.value.line == line
    assert repr(value) in str(caught.value)
    assert f"x.csv line {line}" in str(caught.value)


def test_empty_security_code_names_the_line():
    rows = [EQ_ROWS[0], "," + EQ_ROWS[1].split(",", 1)[1], EQ_ROWS[2]]
    with pytest.raises(BrokenBhavcopyError, match="SC_CODE") as caught:
        read_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert caught.value.line == 3


NEGATIVE_CLOSE = ("500003,AEGIS LOGIS ,A ,Q,263.00,263.85,255.00,258.85,", "500003,AEGIS LOGIS ,A ,Q,263.00,263.85,255.00,-258.85,")
HIGH_BELOW_LOW = ("500003,AEGIS LOGIS ,A ,Q,263.00,263.85,255.00,", "500003,AEGIS LOGIS ,A ,Q,263.00,250.85,255.00,")


@pytest.mark.parametrize(("original", "edited"), [NEGATIVE_CLOSE, HIGH_BELOW_LOW], ids=["negative-close", "high-below-low"])
def test_bad_prices_fail_validation_on_their_line(sample_bytes, original, edited):
    content = sample_bytes(EQ_SAMPLE)
    assert content.count(original.encode()) == 1
    content = content.replace(original.encode(), edited.encode())  # line 3

    parsed = read_bhavcopy(content, EQ_NAME)
    assert not parsed.validation.passed
    assert set(parsed.validation.failure_cases["index"]) == {3}
    assert parsed.validation.failing_rows(parsed.frame)["security_code"].tolist() == [500003]

    with pytest.raises(BrokenBhavcopyError) as caught:
        parse_bhavcopy(content, EQ_NAME)
    assert "line 3" in str(caught.value)
    assert EQ_NAME in str(caught.value)


def test_negative_close_error_names_the_value(sample_bytes):
    content = sample_bytes(EQ_SAMPLE).replace(NEGATIVE_CLOSE[0].encode(), NEGATIVE_CLOSE[1].encode())
    with pytest.raises(BrokenBhavcopyError, match="-258.85"):
        parse_bhavcopy(content, EQ_NAME)


def test_one_bad_row_counts_as_one_failure_per_check(sample_bytes):
    """A table-wide check (high >= low) failing on one row counts once, not once per column,
    so failure_count and failures_by_check do not overstate it."""
    content = sample_bytes(EQ_SAMPLE).replace(HIGH_BELOW_LOW[0].encode(), HIGH_BELOW_LOW[1].encode())
    report = read_bhavcopy(content, EQ_NAME).validation
    # high 250.85 < low 255.00, and open 263.00 is then outside [low, high]: two failed checks.
    assert report.failures_by_check() == {"clean_bhavcopy: high >= low": 1, "clean_bhavcopy: low <= open <= high": 1}
    assert report.failure_count == 2


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "found", "source"),
    [
        (ISIN_SAMPLE, "EQ_ISINCODE_310118.CSV", dt.date(2018, 1, 31), "TRADING_DATE"),
        (UDIFF_SAMPLE, "bse_bhavcopy_udiff_20240708.csv", dt.date(2024, 7, 8), "TradDt"),
        (UDIFF_SAMPLE, None, dt.date(2024, 7, 8), "TradDt"),
        (EQ_SAMPLE, "EQ280318.CSV", dt.date(2018, 3, 28), "EQ280318.CSV"),  # legacy: the name is the date
    ],
    ids=["trading_date", "traddt", "traddt-no-name", "legacy-name"],
)
def test_date_inside_not_the_requested_one_is_stale(sample_bytes, path, name, found, source):
    requested = found + dt.timedelta(days=1)
    for function in (read_bhavcopy, parse_bhavcopy):
        with pytest.raises(StaleBhavcopyError) as caught:
            function(sample_bytes(path), name, requested)
        assert (caught.value.found, caught.value.requested) == (found, requested)
        assert source in str(caught.value)
        assert str(found) in str(caught.value) and str(requested) in str(caught.value)
        assert not isinstance(caught.value, BrokenBhavcopyError)


def test_file_name_disagreeing_with_the_date_inside_is_broken(sample_bytes):
    """With no requested date to judge by, a name and a TradDt that disagree make a broken file."""
    name = "BhavCopy_BSE_CM_0_0_0_20240709_F_0000.CSV"
    with pytest.raises(BrokenBhavcopyError, match="disagrees") as caught:
        read_bhavcopy(sample_bytes(UDIFF_SAMPLE), name)
    assert "2024-07-08" in str(caught.value) and "2024-07-09" in str(caught.value)
    assert caught.value.file == name


def test_old_file_re_served_under_the_requested_name_is_stale(sample_bytes):
    """BSE re-serves old files under the new day's name: the content's date decides, and it is stale."""
    with pytest.raises(StaleBhavcopyError) as caught:
        read_bhavcopy(sample_bytes(ISIN_SAMPLE), "EQ_ISINCODE_010218.CSV", dt.date(2018, 2, 1))
    assert (caught.value.found, caught.value.requested) == (dt.date(2018, 1, 31), dt.date(2018, 2, 1))
    assert "TRADING_DATE" in str(caught.value)


def test_file_name_of_neither_the_content_nor_the_requested_date_is_broken(sample_bytes):
    with pytest.raises(BrokenBhavcopyError, match="disagrees with its name"):
        read_bhavcopy(sample_bytes(UDIFF_SAMPLE), "BhavCopy_BSE_CM_0_0_0_20240709_F_0000.CSV", dt.date(2024, 7, 8))


def test_zip_name_disagreeing_with_its_member():
    content = zipped({"EQ280318.CSV": eq_csv()})
    with pytest.raises(BrokenBhavcopyError, match="disagrees"):
        read_bhavcopy(content, "EQ290318_CSV.ZIP")


@pytest.mark.parametrize("name", [None, "bhavcopy.csv", "210421.csv"])
def test_no_date_anywhere_and_none_given(name):
    with pytest.raises(BrokenBhavcopyError, match="no trade date") as caught:
        read_bhavcopy(eq_csv(), name)
    assert caught.value.file == (name or "<bhavcopy>")


def test_no_date_in_the_file_uses_the_requested_one():
    parsed = read_bhavcopy(eq_csv(), "bhavcopy.csv", dt.date(2018, 3, 28))
    assert parsed.trade_date == dt.date(2018, 3, 28)
    assert set(parsed.frame["trade_date"]) == {pd.Timestamp("2018-03-28")}


def test_rows_carrying_different_dates(sample_bytes):
    lines = crlf_lines(sample_bytes(UDIFF_SAMPLE))
    lines[2] = lines[2].replace(b"2024-07-08,", b"2024-07-05,", 1)
    with pytest.raises(BrokenBhavcopyError, match="several trade dates") as caught:
        read_bhavcopy(join_crlf(lines), "x.csv")
    assert "line 3" in str(caught.value)


def test_unparseable_date_names_line_and_text(sample_bytes):
    lines = crlf_lines(sample_bytes(ISIN_SAMPLE))
    lines[3] = lines[3].replace(b",31-Jan-18,", b",31/01/2018,")
    with pytest.raises(BrokenBhavcopyError, match="31/01/2018") as caught:
        read_bhavcopy(join_crlf(lines), "EQ_ISINCODE_310118.CSV")
    assert caught.value.line == 4


def test_all_errors_are_bhavcopy_errors_with_a_file():
    for content in (b"", HTML_PAGE, eq_csv(rows=[])):
        with pytest.raises(BhavcopyError) as caught:
            read_bhavcopy(content, EQ_NAME)
        assert isinstance(caught.value, ValueError)
        assert caught.value.file == EQ_NAME


# --- hostile files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["first line", "quoted field"])
def test_a_field_over_128_kb_is_a_broken_file_not_a_crash(where):
    huge = "X" * 200_000
    content = (huge + "\r\n" + "\r\n".join(EQ_ROWS)).encode() if where == "first line" else eq_csv([*EQ_ROWS, f'500009,"{huge}",A ,Q'])
    with pytest.raises(BrokenBhavcopyError, match="unreadable CSV|not a bhavcopy") as caught:
        read_raw_bhavcopy(content, EQ_NAME)
    assert caught.value.file == EQ_NAME and caught.value.line is not None


def test_a_zip_bomb_fails_fast_by_size_and_by_ratio():
    bomb = zipped({"EQ280318.CSV": eq_csv() + b"0" * 20_000_000})  # ~20 KB expanding to 20 MB
    with pytest.raises(BrokenBhavcopyError, match="expands past"):
        read_raw_bhavcopy(bomb, "EQ280318_CSV.ZIP")  # the ratio: over 50 to 1
    with pytest.raises(BrokenBhavcopyError, match="expands past 1,000,000 bytes"):
        read_raw_bhavcopy(bomb, "EQ280318_CSV.ZIP", max_csv_bytes=1_000_000, max_compression_ratio=10_000)
    with pytest.raises(BrokenBhavcopyError, match="more than any bhavcopy"):
        read_raw_bhavcopy(eq_csv() + b" " * 2_000_000, EQ_NAME, max_csv_bytes=1_000_000)


@pytest.mark.parametrize("member", ["../EQ280318.CSV", "data/EQ280318.CSV", "..\\EQ280318.CSV"])
def test_a_zip_member_with_a_path_is_broken(member):
    with pytest.raises(BrokenBhavcopyError, match="a zip member with a path"):
        read_raw_bhavcopy(zipped({member: eq_csv()}), "EQ280318_CSV.ZIP")


@pytest.mark.parametrize(
    "page",
    [
        b"\r\n\r\n\r\n<!DOCTYPE html><html><body>Not found</body></html>",
        b"<!-- " + b"x" * 2000 + b" --><html><body>Access denied</body></html>",
        b"<script>document.cookie='challenge=1';location.reload()</script>",
        b"\xef\xbb\xbf  <html>",
    ],
    ids=["blank lines", "long comment", "bare script challenge", "BOM"],
)
def test_an_html_page_is_recognised_however_it_starts(page):
    with pytest.raises(BrokenBhavcopyError, match="HTML page"):
        read_raw_bhavcopy(page, EQ_NAME)


# --- cells as the reader sees them ------------------------------------------------------------------


def eq_row(code: str = "500002", name: str = "ABB LTD.    ", last: str = "1286.60", turnover: str = "3122487.00") -> str:
    return f"{code},{name},A ,Q,1282.55,1298.40,1275.30,1286.60,{last},1279.20,344,2429,{turnover},"


@pytest.mark.parametrize("quote", [False, True], ids=["plain", "with-a-quoted-row"])
def test_cells_read_as_text(quote):
    """Codes keep their leading zeros as text, blanks stay "", every kind of space str.strip() knows
    is trimmed, a NUL is kept, whether the file has a quoted field (another reading path) or not."""
    rows = [
        eq_row(code="000123", name="\u00a0ABB LTD.\u3000\x1c "),
        eq_row(code="500003", name="AEGIS\x00LOGIS ", last=""),
        eq_row(code="500008", name='"AMAR, RAJA"' if quote else "AMAR RAJA"),
    ]
    raw = read_raw_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert str(raw.table["SC_CODE"].dtype) == "string[pyarrow]"
    assert raw.table["SC_CODE"].tolist() == ["000123", "500003", "500008"]
    assert raw.table["SC_NAME"].tolist() == ["ABB LTD.", "AEGIS\x00LOGIS", "AMAR, RAJA" if quote else "AMAR RAJA"]
    assert raw.table["LAST"].tolist() == ["1286.60", "", "1286.60"]
    frame = parse_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert frame["security_code"].tolist() == [123, 500003, 500008]
    assert frame["last"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("quote", [False, True], ids=["plain", "with-a-quoted-row"])
def test_blank_lines_are_skipped_and_counted(quote):
    rows = [eq_row(), "", "   ", ",,,,,,,,,,,,,", " , ,", eq_row(code="500003", name='"AEGIS"' if quote else "AEGIS")]
    raw = read_raw_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert raw.table.index.tolist() == [2, 7]
    assert raw.skipped_rows == ()


def test_rows_of_only_commas_and_spaces_are_blank_in_a_file_of_rows_the_headers_width():
    """Every row has the header's 14 fields (the file Arrow's CSV reader reads): the empty ones are still skipped."""
    rows = [eq_row(), "," * 13, " ," * 13, eq_row(code="500003", name="AEGIS")]
    raw = read_raw_bhavcopy(eq_csv(rows=rows), EQ_NAME)
    assert raw.table.index.tolist() == [2, 5]
    assert raw.table["SC_CODE"].tolist() == ["500002", "500003"]


def test_text_columns_of_the_clean_table_are_python_objects():
    """Blank cells are None, a column the format lacks NaN, as the Parquet files and features expect."""
    rows = [eq_row(), eq_row(code="500003", name="AEGIS").replace(",Q,", ",,")]
    frame = parse_bhavcopy(eq_csv(rows=rows), EQ_NAME, instrument_classes=None)
    assert {c: str(t) for c, t in frame.dtypes.items() if t == object} == {
        c: t for c, t in CLEAN_DTYPES.items() if t == "object"
    }
    assert frame["instrument_type"].tolist() == ["Q", None]
    assert all(isinstance(v, float) and math.isnan(v) for v in frame["isin"].tolist() + frame["symbol"].tolist())


@pytest.mark.parametrize(
    ("last", "value"),
    [
        ("1.", 1.0),
        ("0001286.60", 1286.6),
        ("1.2866e3", 1286.6),  # not a plain decimal: pandas reads it (the raw check flags it)
        ("1286.600000000000000001", 1286.6),  # over 15 digits: pandas reads it
        ("12345678.123456789", 12345678.123456787),  # pandas' reading: one unit in the last place below float()'s
    ],
)
def test_numbers_read_as_pandas_reads_them(last, value):
    frame = parse_bhavcopy(eq_csv(rows=[eq_row(last=last), *EQ_ROWS[1:]]), EQ_NAME)
    assert frame["last"].iloc[0] == value


def test_long_whole_numbers_keep_every_digit():
    frame = parse_bhavcopy(eq_csv(rows=[eq_row(turnover="12345678901234567"), *EQ_ROWS[1:]]), EQ_NAME)
    assert frame["turnover"].iloc[0] == float(12345678901234567)


def test_short_decimals_parse_alike_in_arrow_and_pandas():
    """The parser reads plain decimals of up to 15 characters with Arrow, anything else with pandas."""
    rng = np.random.default_rng(0)
    digits = rng.integers(1, 15, 20_000)
    texts = []
    for width, value, point in zip(digits, rng.integers(0, 10**14, 20_000), rng.integers(0, 15, 20_000)):
        text = str(value).zfill(width)[:width]
        point = min(point, len(text) - 1)
        texts.append(("-" if value % 3 == 0 else "") + (f"{text[: len(text) - point]}.{text[len(text) - point :]}" if point else text))
    texts = [text for text in texts if len(text) <= 15]
    arrow = pc.cast(pyarrow.array(texts), pyarrow.float64()).to_numpy()
    np.testing.assert_array_equal(arrow, pd.to_numeric(np.array(texts, dtype=object)).astype(float))


def test_dash_placeholder_is_not_a_number():
    with pytest.raises(BrokenBhavcopyError, match="LAST '-' is not a number") as caught:
        read_bhavcopy(eq_csv(rows=[eq_row(last="-"), *EQ_ROWS[1:]]), EQ_NAME)
    assert caught.value.line == 2


def test_a_blank_name_fails_the_clean_check_naming_none():
    parsed = read_bhavcopy(eq_csv(rows=[eq_row(name="    "), *EQ_ROWS[1:]]), EQ_NAME)
    assert parsed.validation.failures_by_check() == {"name: not_nullable": 1}
    assert "line 2: name failed not_nullable (value None)" in parsed.validation.summary("line")


def test_whitespace_is_what_str_strip_strips():
    every_space = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())
    assert parser._WHITESPACE == every_space

"""Reading BSE's corporate-actions CSV export, and exploding its purposes into adjustment factors."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from bse_platform.corporate_actions import CorporateActionsError, corporate_action_factors, read_corporate_actions_export
from bse_platform.corporate_actions.export import parse_ex_date
from bse_platform.mirror.server import SITE_SHELL_PAGE

HEADER = (
    "Security Code,Security Name,Company Name,Ex Date,Purpose,Record Date,BC Start Date,BC End Date,"
    "ND Start Date,ND End Date,Actual Payment Date"
)
ROWS = [
    '500325,RELIANCE,"Reliance Industries, Ltd.",28 Oct 2024,Bonus issue 1:1,28 Oct 2024,,,,,',
    '500034,BAJFINANCE,Bajaj Finance Limited,16 Jun 2025,"Bonus issue 4:1 / Stock Split From Rs.2/- to Re.1/-",16 Jun 2025,,,,,',
    '532540,TCS,Tata Consultancy Services Ltd,16 Jan 2025,Interim Dividend - Rs. - 10.0000,17 Jan 2025,,,,,04 Feb 2025',
    '543257,ABC,"ABC Ltd",02 Jan 2025,Stock Split,,,,,,',
]
FILE = "corporate_actions_20241001_20250630.csv"


def export(*rows: str, header: str = HEADER, bom: bool = True, newline: str = "\r\n") -> bytes:
    text = newline.join([header, *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def test_reads_the_export_with_bom_crlf_and_quoted_commas():
    table = read_corporate_actions_export(export(*ROWS), file=FILE)
    assert list(table.columns) == ["security_code", "security_name", "ex_date", "purpose"]
    assert table.dtypes["security_code"] == np.int64 and table.dtypes["ex_date"] == "datetime64[ns]"
    assert table["security_code"].tolist() == [500325, 500034, 532540, 543257]
    assert table["security_name"].tolist() == ["RELIANCE", "BAJFINANCE", "TCS", "ABC"]
    assert table["ex_date"].tolist() == [pd.Timestamp(d) for d in ("2024-10-28", "2025-06-16", "2025-01-16", "2025-01-02")]
    assert table["purpose"].tolist() == [
        "Bonus issue 1:1",
        "Bonus issue 4:1 / Stock Split From Rs.2/- to Re.1/-",
        "Interim Dividend - Rs. - 10.0000",
        "Stock Split",
    ]


def test_without_bom_and_with_lf_or_cr_line_ends_reads_the_same():
    expected = read_corporate_actions_export(export(*ROWS))
    for newline in ("\n", "\r"):
        pd.testing.assert_frame_equal(read_corporate_actions_export(export(*ROWS, bom=False, newline=newline)), expected)


def test_extra_missing_and_reordered_optional_columns_are_fine():
    content = export(
        "02 Jan 2025,Bonus issue 1:1,500325,x,", "03 Jan 2025,Final Dividend - Rs. - 2.5000,532540,y",
        header="ex_date,PURPOSE,Scrip Code,New Column,Another", bom=False,
    )  # fmt: skip
    table = read_corporate_actions_export(content)
    assert table["security_code"].tolist() == [500325, 532540]
    assert table["security_name"].tolist() == ["", ""]
    assert table["ex_date"].tolist() == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-03")]


def test_company_name_stands_in_for_a_missing_security_name():
    content = export("500325,Reliance Industries Ltd,28 Oct 2024,Bonus issue 1:1", header="Security Code,Company Name,Ex Date,Purpose")
    assert read_corporate_actions_export(content)["security_name"].tolist() == ["Reliance Industries Ltd"]


def test_trailing_optional_fields_may_be_left_out_and_blank_lines_are_skipped():
    content = export("500325,RELIANCE", "", "500325,RELIANCE,Reliance,28 Oct 2024,Bonus issue 1:1", ",,,,")
    problem = r"line 2: ex date '' is not a date like '02 Jan 2025' \(the row has 2 fields, the header 11\)"
    with pytest.raises(CorporateActionsError, match=problem):
        read_corporate_actions_export(content)  # a row without its required fields is an error...
    content = export("", "500325,RELIANCE,Reliance,28 Oct 2024,Bonus issue 1:1", ",,,,,,,,,,")
    table = read_corporate_actions_export(content)  # ...blank rows are skipped
    assert table["security_code"].tolist() == [500325]


@pytest.mark.parametrize(
    "page",
    [
        SITE_SHELL_PAGE,
        b"<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1></BODY></HTML>\n",
    ],
    ids=["site-shell", "access-denied"],
)
def test_an_html_page_is_an_error_naming_the_file(page):
    with pytest.raises(CorporateActionsError, match=f"^{FILE}: not a corporate-actions export: an HTML page") as caught:
        read_corporate_actions_export(page, file=FILE)
    assert caught.value.file == FILE and caught.value.line is None
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("missing", ["Security Code", "Ex Date", "Purpose"])
def test_a_header_without_a_required_column_is_an_error(missing):
    header = ",".join(name for name in HEADER.split(",") if name != missing)
    with pytest.raises(CorporateActionsError, match=f"{FILE} line 1: unknown header .*no {missing} column") as caught:
        read_corporate_actions_export(export(header=header), file=FILE)
    assert caught.value.line == 1


def test_an_unknown_file_is_an_error():
    with pytest.raises(CorporateActionsError, match="unknown header"):
        read_corporate_actions_export(b"SC_CODE,SC_NAME,OPEN,CLOSE\r\n500325,RELIANCE,1,2\r\n")


def test_empty_bytes_are_an_error_but_a_header_alone_is_no_actions():
    with pytest.raises(CorporateActionsError, match="empty file"):
        read_corporate_actions_export(b"", file=FILE)
    table = read_corporate_actions_export(export(), file=FILE)
    assert table.empty and list(table.columns) == ["security_code", "security_name", "ex_date", "purpose"]
    assert table.dtypes["security_code"] == np.int64 and table.dtypes["ex_date"] == "datetime64[ns]"
    factors = corporate_action_factors(table)
    assert factors.empty and factors.dtypes["price_factor"] == np.float64
    assert factors.dtypes["ex_date"] == "datetime64[ns]" and factors.dtypes["security_code"] == np.int64


def test_a_bad_ex_date_names_its_line_counting_physical_lines():
    multi_line = '500034,BAJFINANCE,Bajaj Finance,16 Jun 2025,"Bonus issue 4:1\r\nStock Split From Rs.2/- to Re.1/-",,,,,,'
    bad = "532540,TCS,Tata Consultancy Services Ltd,16/13/2025,Interim Dividend - Rs. - 10.0000,,,,,,"
    with pytest.raises(CorporateActionsError, match=f"^{FILE} line 5: ex date '16/13/2025'") as caught:
        read_corporate_actions_export(export(ROWS[0], multi_line, bad), file=FILE)
    assert caught.value.line == 5


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("RELIANCE,500325,Reliance,28 Oct 2024,Bonus issue 1:1,,,,,,", "security code 'RELIANCE' is not a number"),
        ("500325,RELIANCE,Reliance,,Bonus issue 1:1,,,,,,", "ex date '' is not a date"),
        ("500325,RELIANCE,Reliance,-,Bonus issue 1:1,,,,,,", "ex date '-' is not a date"),
        ("500325,RELIANCE,Reliance, Ltd.,28 Oct 2024,Bonus issue 1:1,,,,,,04 Nov 2024", "12 fields, but the header has 11"),
        ("500325,RELIANCE,Reliance, Ltd.,28 Oct 2024,Bonus issue 1:1,,,,,,",
         r"ex date 'Ltd.' is not a date like '02 Jan 2025' \(the row has 12 fields, the header 11\)"),
    ],
    ids=["code", "empty-date", "dash-date", "unquoted-comma", "unquoted-comma-trailing-empties"],
)
def test_a_bad_row_is_an_error_naming_its_line(row, problem):
    with pytest.raises(CorporateActionsError, match=f"line 3: {problem}"):
        read_corporate_actions_export(export(ROWS[0], row), file=FILE)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("02 Jan 2025", dt.date(2025, 1, 2)),
        ("2 January 2025", dt.date(2025, 1, 2)),
        ("02-Jan-2025", dt.date(2025, 1, 2)),
        ("02 Sept 2025", dt.date(2025, 9, 2)),
        ("02/01/2025", dt.date(2025, 1, 2)),
        ("2025-01-02", dt.date(2025, 1, 2)),
        ("2025-01-02T00:00:00", dt.date(2025, 1, 2)),
        (" 28 Oct 2024 ", dt.date(2024, 10, 28)),
        ("31 Feb 2025", None),
        ("02 Jnu 2025", None),
        ("02 Jan 25", None),
        ("", None),
        ("-", None),
    ],
)
def test_parse_ex_date(text, date):
    assert parse_ex_date(text) == date


def test_factors_explode_combined_purposes_in_order():
    factors = corporate_action_factors(read_corporate_actions_export(export(*ROWS)))
    assert list(factors.columns) == ["security_code", "ex_date", "kind", "price_factor", "volume_factor", "purpose", "detail"]
    assert factors["security_code"].tolist() == [500325, 500034, 500034, 532540, 543257]
    assert factors["kind"].tolist() == ["bonus", "bonus", "split", "dividend", "unparsed"]
    assert factors["price_factor"].tolist()[:4] == [0.5, 0.2, 0.5, 1.0] and math.isnan(factors["price_factor"].iloc[4])
    assert factors["volume_factor"].tolist()[:4] == [2.0, 5.0, 2.0, 1.0] and math.isnan(factors["volume_factor"].iloc[4])
    assert factors["ex_date"].tolist()[1:3] == [pd.Timestamp("2025-06-16")] * 2
    assert factors["purpose"].tolist()[1:3] == ["Bonus issue 4:1 / Stock Split From Rs.2/- to Re.1/-"] * 2
    assert factors["detail"].tolist()[1:3] == ["Bonus issue 4:1", "Stock Split From Rs.2/- to Re.1/-"]
    # Back-adjusting across both actions of the day multiplies their factors: 1:5 and 1:2.
    assert factors[factors["security_code"].eq(500034)]["price_factor"].prod() == pytest.approx(0.1)


def test_a_missing_purpose_is_unparsed():
    table = pd.DataFrame({"security_code": [500325], "ex_date": [pd.Timestamp("2025-01-02")], "purpose": [None]})
    (row,) = corporate_action_factors(table).itertuples()
    assert row.kind == "unparsed" and math.isnan(row.price_factor)

"""Instrument class from group, legacy SC_TYPE / UDiFF FinInstrmTp and ISIN prefix."""

import pandas as pd
import pytest

from bse_platform.bse.instruments import classify_instruments
from bse_platform.clean_schema import ARROW_STRING, INSTRUMENT_CLASSES


def classify(rows: list[tuple[str | None, str | None, str | None]]) -> list[str]:
    group, kind, isin = (pd.Series(list(column), dtype=object) for column in zip(*rows))
    return classify_instruments(group, kind, isin).tolist()


@pytest.mark.parametrize(
    ("group", "kind", "isin", "expected"),
    [
        # government: group G, or an IN0-IN3 ISIN whatever the group
        ("G", "STK", "IN0020230085", "government"),
        ("G", "Q", None, "government"),
        ("B", "STK", "IN0020230085", "government"),
        ("B", "STK", "IN2920150306", "government"),  # state development loan
        # debt: group F, or legacy SC_TYPE D (debenture) / B (bond); a company's INE ISIN too
        ("F", "STK", "INE261F08CV2", "debt"),
        ("F", None, None, "debt"),
        ("B", "D", None, "debt"),
        ("B", "B", None, "debt"),
        ("A", "D", "INE117A01022", "debt"),
        # REITs and InvITs
        ("IF", "STK", "INE0CCU25019", "reit_invit"),
        # funds: gold ETFs in group E, or any INF ISIN (ETFs trade in equity groups; liquid and bond
        # ETFs such as 590096 LIQUIDBEES in the debt group F)
        ("E", "STK", None, "fund"),
        ("B", "STK", "INF204KB14I2", "fund"),
        ("A", "Q", "INF204KB14I2", "fund"),
        ("F", "STK", "INF732E01037", "fund"),
        ("F", "Q", "INF732E01037", "fund"),
        # preference shares: group P or SC_TYPE P
        ("P", "STK", "INE018A04016", "preference"),
        ("B", "P", None, "preference"),
        # SME platform, before the INE / Q equity rule
        ("M", "Q", "INE0NJ901014", "sme"),
        ("MT", "STK", "INE0NJ901014", "sme"),
        ("MS", None, None, "sme"),
        # main-board equity: SC_TYPE Q, or an INE / IN9 ISIN
        ("A", "Q", None, "equity"),
        ("Z", "Q", None, "equity"),
        ("A", "STK", "INE117A01022", "equity"),
        ("XT", "STK", "INE208C01025", "equity"),
        ("B", "I", "INE028L21018", "equity"),  # STAN CHART IDR, SC_TYPE I
        ("B", "STK", "IN9397D01014", "equity"),  # partly paid shares
        # nothing recognisable
        ("A", "STK", None, "other"),
        ("B", "I", None, "other"),
        ("XX", "STK", "US0378331005", "other"),
        (None, None, None, "other"),
        ("", "", "", "other"),
    ],
)
def test_classify_one_row(group, kind, isin, expected):
    assert classify([(group, kind, isin)]) == [expected]


@pytest.mark.parametrize(("group", "kind", "isin"), [("m", "q", "ine0nj901014"), ("if", "stk", None), ("g", None, None)])
def test_case_does_not_matter(group, kind, isin):
    assert classify([(group, kind, isin)]) == classify([(group.upper(), kind and kind.upper(), isin and isin.upper())])
    assert classify([(group, kind, isin)]) != ["other"]


def test_rules_are_applied_in_order():
    # Each row matches two rules; the earlier one wins.
    rows = [
        ("G", "D", "IN0020230085"),  # government before debt
        ("IF", "STK", "INF204KB14I2"),  # reit_invit before fund
        ("F", "STK", "INF204KB14I2"),  # fund before debt: liquid and bond ETFs trade in group F
        ("E", "P", None),  # fund before preference
        ("P", "Q", "INE018A04016"),  # preference before sme/equity
        ("M", "Q", "INE0NJ901014"),  # sme before equity
    ]
    assert classify(rows) == ["government", "reit_invit", "fund", "fund", "preference", "sme"]


def test_series_index_is_kept_and_every_class_is_known():
    index = pd.Index([7, 3, 42], name="line")
    group = pd.Series(["A", "F", "M"], index=index)
    kind = pd.Series(["Q", "STK", "STK"], index=index)
    isin = pd.Series([None, None, None], index=index, dtype=object)
    result = classify_instruments(group, kind, isin)
    assert result.index.equals(index)
    assert result.tolist() == ["equity", "debt", "sme"]
    assert set(result) <= set(INSTRUMENT_CLASSES)


def test_empty_series():
    empty = pd.Series([], dtype=object)
    assert classify_instruments(empty, empty, empty).tolist() == []


@pytest.mark.parametrize("dtype", [object, ARROW_STRING])
def test_letters_are_upper_cased_as_python_does_whatever_the_dtype(dtype):
    """The parser passes Arrow-backed text; Python upper-cases the ligature ff to FF, Arrow does not."""
    group, kind, isin = (pd.Series(values, dtype=dtype) for values in (["a", "b", "if"], [None, "q", "stk"], ["IN\ufb00204KB14I2", None, None]))
    assert classify_instruments(group, kind, isin).tolist() == ["fund", "equity", "reit_invit"]

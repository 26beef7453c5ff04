"""Which BSE product (file name, URL) to fetch for a trade date, and the date a file name carries."""

import datetime as dt

import pytest

from bse_platform.bse.products import (
    DEFAULT_BASE_URL,
    DEFAULT_ERAS,
    PRODUCTS,
    Era,
    bhavcopy_url,
    date_from_file_name,
    product_for,
)

BASE = "https://www.bseindia.com/download/BhavCopy/Equity/"


@pytest.mark.parametrize(
    ("day", "product", "file_name"),
    [
        (dt.date(2018, 1, 31), "eq_isincode", "EQ_ISINCODE_310118.zip"),
        (dt.date(2018, 3, 28), "eq_isincode", "EQ_ISINCODE_280318.zip"),
        (dt.date(2022, 12, 30), "eq_isincode", "EQ_ISINCODE_301222.zip"),
        (dt.date(2023, 1, 2), "bse_eq_bhavcopy", "BSE_EQ_BHAVCOPY_02012023.ZIP"),
        (dt.date(2023, 6, 1), "bse_eq_bhavcopy", "BSE_EQ_BHAVCOPY_01062023.ZIP"),
        (dt.date(2024, 7, 7), "bse_eq_bhavcopy", "BSE_EQ_BHAVCOPY_07072024.ZIP"),  # the day before UDiFF
        (dt.date(2024, 7, 8), "udiff", "BhavCopy_BSE_CM_0_0_0_20240708_F_0000.CSV"),
        (dt.date(2025, 8, 25), "udiff", "BhavCopy_BSE_CM_0_0_0_20250825_F_0000.CSV"),
        (dt.date(2030, 1, 2), "udiff", "BhavCopy_BSE_CM_0_0_0_20300102_F_0000.CSV"),
    ],
)
def test_default_url_for_every_era(day, product, file_name):
    assert product_for(day).name == product
    assert product_for(day).file_name(day) == file_name
    assert bhavcopy_url(day) == BASE + file_name


def test_default_base_url_is_bses_equity_folder():
    assert DEFAULT_BASE_URL == BASE


def test_default_eras_are_in_date_order_and_name_known_products():
    firsts = [era.first_date for era in DEFAULT_ERAS]
    assert firsts == sorted(firsts)
    assert {era.product for era in DEFAULT_ERAS} <= set(PRODUCTS)
    assert DEFAULT_ERAS[-1] == Era(dt.date(2024, 7, 8), "udiff")


@pytest.mark.parametrize("base", ["https://mirror.example.org/bse", "https://mirror.example.org/bse/"])
def test_custom_base_url(base):
    url = bhavcopy_url(dt.date(2025, 8, 25), base_url=base)
    assert url == "https://mirror.example.org/bse/BhavCopy_BSE_CM_0_0_0_20250825_F_0000.CSV"


def test_custom_eras():
    eras = [Era(dt.date(2000, 1, 1), "eq"), Era(dt.date(2020, 1, 1), "udiff")]
    assert bhavcopy_url(dt.date(2018, 3, 28), eras=eras) == BASE + "EQ280318_CSV.ZIP"
    assert bhavcopy_url(dt.date(2019, 12, 31), eras=eras) == BASE + "EQ311219_CSV.ZIP"
    assert bhavcopy_url(dt.date(2020, 1, 1), eras=eras) == BASE + "BhavCopy_BSE_CM_0_0_0_20200101_F_0000.CSV"


def test_custom_eras_in_any_order():
    eras = [Era(dt.date(2024, 1, 1), "udiff"), Era(dt.date(2010, 1, 1), "eq")]
    assert product_for(dt.date(2023, 12, 31), eras).name == "eq"
    assert product_for(dt.date(2024, 1, 1), eras).name == "udiff"


def test_moved_udiff_boundary():
    eras = [Era(dt.date(1990, 1, 1), "eq_isincode"), Era(dt.date(2024, 8, 1), "udiff")]
    assert product_for(dt.date(2024, 7, 8), eras).name == "eq_isincode"
    assert product_for(dt.date(2024, 8, 1), eras).name == "udiff"


def test_date_before_every_era():
    with pytest.raises(ValueError, match="2000-01-01"):
        product_for(dt.date(1999, 12, 31), [Era(dt.date(2000, 1, 1), "eq")])


@pytest.mark.parametrize(
    ("name", "day"),
    [
        # eq: the published zip and its member
        ("EQ280318_CSV.ZIP", dt.date(2018, 3, 28)),
        ("EQ280318.CSV", dt.date(2018, 3, 28)),
        ("EQ200421.CSV", dt.date(2021, 4, 20)),
        ("eq050221.csv", dt.date(2021, 2, 5)),
        # eq_isincode
        ("EQ_ISINCODE_310118.zip", dt.date(2018, 1, 31)),
        ("EQ_ISINCODE_310118.CSV", dt.date(2018, 1, 31)),
        # bse_eq_bhavcopy
        ("BSE_EQ_BHAVCOPY_01062023.ZIP", dt.date(2023, 6, 1)),
        ("BSE_EQ_BHAVCOPY_01062023.CSV", dt.date(2023, 6, 1)),
        # udiff
        ("BhavCopy_BSE_CM_0_0_0_20240708_F_0000.CSV", dt.date(2024, 7, 8)),
        ("bhavcopy_bse_cm_0_0_0_20250825_f_0000.csv", dt.date(2025, 8, 25)),
        # paths and URLs: only the last part counts
        ("/data/raw/EQ280318.CSV", dt.date(2018, 3, 28)),
        ("C:\\downloads\\EQ280318.CSV", dt.date(2018, 3, 28)),
        (BASE + "BhavCopy_BSE_CM_0_0_0_20240708_F_0000.CSV", dt.date(2024, 7, 8)),
    ],
)
def test_date_from_file_name(name, day):
    assert date_from_file_name(name) == day


@pytest.mark.parametrize("day", [dt.date(2018, 1, 31), dt.date(2023, 6, 1), dt.date(2024, 7, 8), dt.date(2025, 12, 31)])
@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_every_product_file_name_round_trips(product, day):
    assert date_from_file_name(PRODUCTS[product].file_name(day)) == day


@pytest.mark.parametrize(
    "name",
    [
        "BSE_BhavCopy_20250825.csv",  # renamed by an uploader
        "210421.zip",  # renamed by an uploader
        "bse_bhavcopy_udiff_20240708.csv",
        "EQ280318.CSV.bak",
        "XEQ280318.CSV",
        "EQ2803180.CSV",
        "EQ280318.txt",
        "EQ320118.CSV",  # no 32nd
        "BhavCopy_BSE_CM_0_0_0_20240230_F_0000.CSV",  # no 30 February
        "BhavCopy_BSE_FO_0_0_0_20240708_F_0000.CSV",  # derivatives, not the equity segment
        "cm28MAR2018bhav.csv",  # NSE
        "",
    ],
)
def test_date_from_unrelated_file_name_is_none(name):
    assert date_from_file_name(name) is None

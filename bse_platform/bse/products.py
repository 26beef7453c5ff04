"""BSE's equity bhavcopy products: their file names, URLs, and which one to fetch for a trade date."""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

DEFAULT_BASE_URL = "https://www.bseindia.com/download/BhavCopy/Equity/"


@dataclass(frozen=True)
class Product:
    name: str
    file_name_format: str  # strftime pattern of the published file name
    name_pattern: re.Pattern  # matches the product's file names (zip members too); group "date"
    name_date_format: str

    def file_name(self, trade_date: dt.date) -> str:
        return trade_date.strftime(self.file_name_format)


def _pattern(regex: str) -> re.Pattern:
    return re.compile(regex, re.IGNORECASE)


PRODUCTS: dict[str, Product] = {
    p.name: p
    for p in (
        Product("eq", "EQ%d%m%y_CSV.ZIP", _pattern(r"EQ(?P<date>\d{6})(_CSV)?\.(csv|zip)"), "%d%m%y"),
        Product(
            "eq_isincode",
            "EQ_ISINCODE_%d%m%y.zip",
            _pattern(r"EQ_ISINCODE_(?P<date>\d{6})\.(csv|zip)"),
            "%d%m%y",
        ),
        Product(
            "bse_eq_bhavcopy",
            "BSE_EQ_BHAVCOPY_%d%m%Y.ZIP",
            _pattern(r"BSE_EQ_BHAVCOPY_(?P<date>\d{8})\.(csv|zip)"),
            "%d%m%Y",
        ),
        Product(
            "udiff",
            "BhavCopy_BSE_CM_0_0_0_%Y%m%d_F_0000.CSV",
            _pattern(r"BhavCopy_BSE_CM_0_0_0_(?P<date>\d{8})_F_0000\.csv"),
            "%Y%m%d",
        ),
    )
}


@dataclass(frozen=True)
class Era:
    """From ``first_date`` on (until the next era), fetch ``product``."""

    first_date: dt.date
    product: str


# EQ_ISINCODE (ISIN and a date inside) until BSE's 2023 product, UDiFF from its first day.
DEFAULT_ERAS: tuple[Era, ...] = (
    Era(dt.date(1990, 1, 1), "eq_isincode"),
    Era(dt.date(2023, 1, 1), "bse_eq_bhavcopy"),
    Era(dt.date(2024, 7, 8), "udiff"),
)


def product_for(trade_date: dt.date, eras: Sequence[Era] = DEFAULT_ERAS) -> Product:
    started = [e for e in sorted(eras, key=lambda e: e.first_date) if e.first_date <= trade_date]
    if not started:
        raise ValueError(f"no bhavcopy era covers {trade_date}; the first starts {min(e.first_date for e in eras)}")
    return PRODUCTS[started[-1].product]


def bhavcopy_url(trade_date: dt.date, base_url: str = DEFAULT_BASE_URL, eras: Sequence[Era] = DEFAULT_ERAS) -> str:
    return base_url.rstrip("/") + "/" + product_for(trade_date, eras).file_name(trade_date)


def date_from_file_name(file_name: str) -> dt.date | None:
    """The trade date a BSE file name carries, or None for a name BSE does not publish."""
    base = PurePosixPath(file_name.replace("\\", "/")).name
    for product in PRODUCTS.values():
        match = product.name_pattern.fullmatch(base)
        if match:
            try:
                return dt.datetime.strptime(match["date"], product.name_date_format).date()
            except ValueError:
                return None
    return None

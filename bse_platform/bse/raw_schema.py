"""Is a published file a usable bhavcopy of its trade date? The pandera schema of the raw table
(text as published) and the one function both ingestion assets use to answer it."""

import datetime as dt

import pandera.pandas as pa

from bse_platform.bse.formats import BhavcopyFormat
from bse_platform.bse.parser import (
    DEFAULT_MAX_BAD_ROW_SHARE,
    DEFAULT_MAX_COMPRESSION_RATIO,
    DEFAULT_MAX_CSV_BYTES,
    RawBhavcopy,
    read_raw_bhavcopy,
)
from bse_platform.clean_schema import ARROW_STRING, TEXT_COLUMNS
from bse_platform.validation import ValidationReport, validate

_NUMBER_OR_BLANK = r"^(-?\d+(\.\d*)?)?$"


def raw_bhavcopy_schema(fmt: BhavcopyFormat, *, min_rows: int) -> pa.DataFrameSchema:
    """Required columns present, codes are digits, numbers look like numbers, enough securities (one
    row repeated many times is one security). The table's text is Arrow strings (``read_raw_bhavcopy``),
    so pandera checks each column's dtype at once and runs the regexes in Arrow."""
    columns = {source: pa.Column(ARROW_STRING) for source in fmt.required_columns}
    code = next(source for source, clean in fmt.to_clean.items() if clean == "security_code")
    for source, clean in fmt.to_clean.items():
        if clean == "security_code":
            columns[source] = pa.Column(ARROW_STRING, pa.Check.str_matches(r"^\d+$"))
        elif clean not in TEXT_COLUMNS:
            columns[source] = pa.Column(ARROW_STRING, pa.Check.str_matches(_NUMBER_OR_BLANK))
    enough_rows = pa.Check(lambda table: table[code].nunique() >= min_rows, name=f"at least {min_rows} securities")
    return pa.DataFrameSchema(columns, checks=[enough_rows], name=f"raw_{fmt.name}_bhavcopy")


def validate_raw_bhavcopy(
    content: bytes,
    file_name: str,
    trade_date: dt.date,
    *,
    min_rows: int,
    max_bad_row_share: float = DEFAULT_MAX_BAD_ROW_SHARE,
    max_csv_bytes: int = DEFAULT_MAX_CSV_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
) -> tuple[RawBhavcopy, ValidationReport]:
    """Read and validate a published file for ``trade_date``.

    Raises ``BrokenBhavcopyError`` or ``StaleBhavcopyError`` when the file cannot be read as that
    date's bhavcopy at all; returns the validation of its rows otherwise.
    """
    raw = read_raw_bhavcopy(
        content, file_name, max_bad_row_share=max_bad_row_share, max_csv_bytes=max_csv_bytes, max_compression_ratio=max_compression_ratio
    )
    raw.trade_date(trade_date)
    return raw, validate(raw.table, raw_bhavcopy_schema(raw.format, min_rows=min_rows))

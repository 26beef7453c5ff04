"""Pandera schema of a raw bhavcopy table (text as published): the shape the parser relies on."""

import pandera.pandas as pa

from bse_platform.bse.formats import BhavcopyFormat

_NUMBER_OR_BLANK = r"^(-?\d+(\.\d*)?)?$"
_TEXT_COLUMNS = {"name", "group", "instrument_type", "isin", "symbol"}


def raw_bhavcopy_schema(fmt: BhavcopyFormat, *, min_rows: int) -> pa.DataFrameSchema:
    """Required columns present, codes are digits, numbers look like numbers, enough rows."""
    columns = {source: pa.Column(str) for source in fmt.required_columns}
    for source, clean in fmt.to_clean.items():
        if clean == "security_code":
            columns[source] = pa.Column(str, pa.Check.str_matches(r"^\d+$"))
        elif clean not in _TEXT_COLUMNS:
            columns[source] = pa.Column(str, pa.Check.str_matches(_NUMBER_OR_BLANK))
    enough_rows = pa.Check(lambda table: len(table) >= min_rows, name=f"at least {min_rows} rows")
    return pa.DataFrameSchema(columns, checks=[enough_rows], name=f"raw_{fmt.name}_bhavcopy")

"""BSE's corporate-actions CSV export, read into a table and exploded into adjustment factors.

The export (``BseClient.fetch_corporate_actions``) has, as far as we know, the header
``Security Code,Security Name,Company Name,Ex Date,Purpose,Record Date,BC Start Date,BC End Date,
ND Start Date,ND End Date,Actual Payment Date`` with dates like ``02 Jan 2025``. Only ``Security
Code``, ``Ex Date`` and ``Purpose`` are required; other columns may be missing or added, and header
names are matched without regard to case, spacing or underscores. A UTF-8 byte-order mark, CRLF
line ends and quoted fields (with commas inside) are fine. An HTML page (what BSE serves when it
blocks a request), a header without the required columns, or a row whose security code or ex-date
cannot be read is a ``CorporateActionsError`` naming the file and, for a row, its line. A header
with no rows is a valid export: no actions in that range.
"""

import csv
import datetime as dt
import io
import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from bse_platform.bse.parser import looks_like_html
from bse_platform.corporate_actions.purpose import KINDS, parse_purpose

FACTOR_COLUMNS = ("security_code", "ex_date", "kind", "price_factor", "volume_factor", "purpose", "detail")


class CorporateActionsBySession(pa.DataFrameModel):
    """The actions taking effect in each session: the corporate_actions asset's table."""

    trade_date: Series[pd.Timestamp] = pa.Field(description="the session the action takes effect in: its ex-date, or the first session after it")
    security_code: Series[int] = pa.Field(gt=0, description="BSE scrip code")
    ex_date: Series[pd.Timestamp] = pa.Field(description="ex-date as BSE states it")
    kind: Series[pd.StringDtype] = pa.Field(isin=KINDS, description=f"one of {', '.join(KINDS)}")
    price_factor: Series[float] = pa.Field(
        gt=0, nullable=True, description="multiply prices before the ex-date by it (1: no price effect; null: unparsed)"
    )
    volume_factor: Series[float] = pa.Field(gt=0, nullable=True, description="multiply volumes before the ex-date by it")
    purpose: Series[pd.StringDtype] = pa.Field(description="the purpose text as BSE wrote it")
    detail: Series[pd.StringDtype] = pa.Field(description="the phrase of the purpose the action was read from")

    class Config:
        name = "corporate_actions"
        strict = True
        ordered = True


CORPORATE_ACTIONS_SCHEMA = CorporateActionsBySession.to_schema()

# Normalised header name (lower case, letters and digits only) -> export column.
_HEADER_ALIASES = {
    "securitycode": "security_code",
    "scripcode": "security_code",
    "exdate": "ex_date",
    "purpose": "purpose",
    "securityname": "security_name",
    "scripname": "security_name",
    "shortname": "security_name",
}
_REQUIRED = {"security_code": "Security Code", "ex_date": "Ex Date", "purpose": "Purpose"}
_COMPANY_NAME = "companyname"  # the security's name when the export has no Security Name

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")  # fmt: skip
# English names whatever the locale (strptime's %b follows it): Jan, January, Sept.
_MONTHS = {name: i for i, full in enumerate(_MONTH_NAMES, 1) for name in (full, full[:3])} | {"sept": 9}
_NAMED_MONTH_DATE = re.compile(r"(\d{1,2})[\s\-/]+([A-Za-z]{3,9})\.?[\s\-/,]+(\d{4})")  # 02 Jan 2025, 02-Jan-2025
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})")  # 02/01/2025 (day first, as BSE writes)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]*)?")  # 2025-01-02, 2025-01-02T00:00:00
_LINE_ENDS = re.compile(r"\r\n?")


class CorporateActionsError(ValueError):
    """A corporate-actions export that cannot be read. Names the file and, where known, the line."""

    def __init__(self, problem: str, *, file: str, line: int | None = None):
        self.problem = problem
        self.file = file
        self.line = line
        where = file if line is None else f"{file} line {line}"
        super().__init__(f"{where}: {problem}")


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def parse_ex_date(text: str) -> dt.date | None:
    """A date as BSE writes it in the export (``02 Jan 2025``; also ``02-Jan-2025``, ``02/01/2025``,
    ``2025-01-02``), or None if ``text`` is not one."""
    text = text.strip()
    try:
        if m := _NAMED_MONTH_DATE.fullmatch(text):
            month = _MONTHS.get(m.group(2).lower())
            return None if month is None else dt.date(int(m.group(3)), month, int(m.group(1)))
        if m := _NUMERIC_DATE.fullmatch(text):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _ISO_DATE.fullmatch(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # 31 Feb 2025
        return None
    return None


def read_corporate_actions_export(content: bytes, *, file: str = "<corporate actions>") -> pd.DataFrame:
    """One row per row of the export, in file order: ``security_code`` (int64), ``security_name``,
    ``ex_date`` (datetime64[ns]) and ``purpose`` (the text as BSE wrote it, ends stripped)."""
    if looks_like_html(content):
        raise CorporateActionsError(
            "not a corporate-actions export: an HTML page (BSE serves one for a request it blocks or cannot answer)",
            file=file,
        )
    rows = csv.reader(io.StringIO(_LINE_ENDS.sub("\n", _decode(content))))
    header = next(rows, None)
    while header is not None and not any(field.strip() for field in header):
        header = next(rows, None)  # leading blank lines
    if header is None:
        raise CorporateActionsError("empty file: no header (an export without actions still has one)", file=file)

    where: dict[str, int] = {}
    for index, name in enumerate(header):
        column = _HEADER_ALIASES.get(_normalised(name))
        if column is not None and column not in where:
            where[column] = index
    if "security_name" not in where:
        company = [i for i, name in enumerate(header) if _normalised(name) == _COMPANY_NAME]
        if company:
            where["security_name"] = company[0]
    missing = [title for column, title in _REQUIRED.items() if column not in where]
    if missing:
        raise CorporateActionsError(
            f"unknown header {[name.strip() for name in header]}: no {', '.join(missing)} column "
            f"(expected {', '.join(_REQUIRED.values())})",
            file=file,
            line=rows.line_num,
        )

    width = len(header)
    codes, names, dates, purposes = [], [], [], []
    for row in rows:
        line = rows.line_num
        if not any(field.strip() for field in row):
            continue
        if len(row) > width and any(field.strip() for field in row[width:]):
            raise CorporateActionsError(
                f"{len(row)} fields, but the header has {width} (an unquoted comma in a name?)", file=file, line=line
            )
        # Trailing optional fields may be left out, and a trailing comma is harmless...
        hint = "" if len(row) == width else f" (the row has {len(row)} fields, the header {width})"
        row = row + [""] * (width - len(row))

        def field(column: str) -> str:
            return row[where[column]].strip()

        code = field("security_code")
        if not code.isdigit():
            raise CorporateActionsError(f"security code {code!r} is not a number{hint}", file=file, line=line)
        ex_date = parse_ex_date(field("ex_date"))
        if ex_date is None:  # ...unless the fields have shifted
            raise CorporateActionsError(
                f"ex date {field('ex_date')!r} is not a date like '02 Jan 2025'{hint}", file=file, line=line
            )
        codes.append(int(code))
        names.append(field("security_name") if "security_name" in where else "")
        dates.append(ex_date)
        purposes.append(field("purpose"))

    return pd.DataFrame({
        "security_code": np.array(codes, dtype=np.int64),
        "security_name": pd.Series(names, dtype=object),
        "ex_date": pd.to_datetime(pd.Series(dates, dtype=object)).astype("datetime64[ns]"),
        "purpose": pd.Series(purposes, dtype=object),
    })  # fmt: skip


def corporate_action_factors(export: pd.DataFrame) -> pd.DataFrame:
    """One row per action the purposes state (a combined purpose gives several rows, in its order):
    ``security_code``, ``ex_date``, ``kind``, ``price_factor``, ``volume_factor``, ``purpose`` (the
    row's whole text) and ``detail`` (the phrase of it the action was read from).

    Dividends, rights and other actions have factors 1.0; split/bonus/consolidation texts whose
    ratio cannot be read have kind "unparsed" and NaN factors (see ``purpose``)."""
    records = [
        (code, ex_date, action.kind, action.price_factor, action.volume_factor, purpose, action.detail)
        for code, ex_date, purpose in zip(export["security_code"], export["ex_date"], export["purpose"])
        for action in parse_purpose(purpose if isinstance(purpose, str) else "")
    ]
    factors = pd.DataFrame.from_records(records, columns=list(FACTOR_COLUMNS))
    return factors.astype({
        "security_code": np.int64,
        "ex_date": "datetime64[ns]",
        "kind": object,
        "price_factor": np.float64,
        "volume_factor": np.float64,
        "purpose": object,
        "detail": object,
    })  # fmt: skip


def actions_by_session(factors: pd.DataFrame, sessions: list[dt.date]) -> pd.DataFrame:
    """``factors`` (from ``corporate_action_factors``) with the session each takes effect in: the
    first of ``sessions`` on or after its ex-date (ex-dates after the last session go to the last)."""
    days = pd.DatetimeIndex(pd.to_datetime(sessions))
    positions = days.searchsorted(factors["ex_date"], side="left").clip(max=len(days) - 1)
    table = factors.assign(trade_date=days[positions]).astype({name: "string" for name in ("kind", "purpose", "detail")})
    return CORPORATE_ACTIONS_SCHEMA.validate(table[list(CORPORATE_ACTIONS_SCHEMA.columns)])

"""The clean bhavcopy table: the one contract every source format maps onto and every feature reads.

``CleanBhavcopy`` declares it once: the parser casts to its dtypes, the checks validate with it, and
the UI's column table shows its descriptions. One row per (security_code, trade_date); columns a
source format lacks are null.
"""

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series

INSTRUMENT_CLASSES = ("equity", "sme", "fund", "reit_invit", "preference", "debt", "government", "other")
# What "equity instruments" means for filters: main-board and SME-platform shares.
EQUITY_CLASSES = ("equity", "sme")

_ISIN = r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$"


class CleanBhavcopy(pa.DataFrameModel):
    trade_date: Series[pd.Timestamp] = pa.Field(description="trade date (the session the prices are from)")
    security_code: Series[int] = pa.Field(gt=0, description="BSE scrip code, the entity key")
    isin: Series[str] = pa.Field(nullable=True, str_matches=_ISIN, description="ISIN (null in the legacy EQ format)")
    symbol: Series[str] = pa.Field(nullable=True, description="ticker symbol (UDiFF-era formats only)")
    name: Series[str] = pa.Field(str_length={"min_value": 1}, description="security name as BSE abbreviates it")
    group: Series[str] = pa.Field(
        str_length={"min_value": 1}, description="BSE group / series (A, B, T, X, XT, Z, M, F, G, E, IF ...)"
    )
    instrument_type: Series[str] = pa.Field(nullable=True, description="legacy SC_TYPE (Q, B, D, P) or UDiFF FinInstrmTp (STK)")
    open: Series[float] = pa.Field(gt=0, description="opening price, INR")
    high: Series[float] = pa.Field(gt=0, description="day high, INR")
    low: Series[float] = pa.Field(gt=0, description="day low, INR")
    close: Series[float] = pa.Field(gt=0, description="closing price, INR (BSE's close can lie outside high/low)")
    last: Series[float] = pa.Field(gt=0, nullable=True, description="last traded price, INR")
    prev_close: Series[float] = pa.Field(
        gt=0, nullable=True, description="previous close, INR, unadjusted; null where BSE gives 0 (new listing)"
    )
    num_trades: Series[pd.Int64Dtype] = pa.Field(ge=0, description="number of trades")
    volume: Series[pd.Int64Dtype] = pa.Field(ge=0, description="shares traded")
    turnover: Series[float] = pa.Field(ge=0, description="traded value, INR")
    instrument_class: Series[str] = pa.Field(
        isin=INSTRUMENT_CLASSES, description=f"derived from group, type and ISIN: one of {', '.join(INSTRUMENT_CLASSES)}"
    )
    source_format: Series[str] = pa.Field(description="header format of the source file (eq, eq_isincode, bse_eq_bhavcopy, udiff)")

    class Config:
        name = "clean_bhavcopy"
        strict = True
        ordered = True
        unique = ["security_code", "trade_date"]

    @pa.dataframe_check(name="at least one row")
    def _not_empty(cls, table: pd.DataFrame) -> bool:
        return len(table) > 0

    @pa.dataframe_check(name="high >= low")
    def _high_at_least_low(cls, table: pd.DataFrame) -> pd.Series:
        return table["high"] >= table["low"]

    @pa.dataframe_check(name="low <= open <= high")
    def _open_within_range(cls, table: pd.DataFrame) -> pd.Series:
        return table["open"].between(table["low"], table["high"])


CLEAN_SCHEMA = CleanBhavcopy.to_schema()
# Text columns are pandas objects (None for null); pandera calls their dtype str.
TEXT_COLUMNS = tuple(name for name, column in CLEAN_SCHEMA.columns.items() if str(column.dtype) == "str")
CLEAN_DTYPES = {name: "object" if name in TEXT_COLUMNS else str(column.dtype) for name, column in CLEAN_SCHEMA.columns.items()}

# Text as Arrow strings, the form the parser builds and validates a table in before casting it to
# CLEAN_DTYPES: pandera checks an object column's dtype value by value, an Arrow one's at once, and runs
# its string checks in Arrow (a day's file validates in a third of the time).
ARROW_STRING = pd.ArrowDtype(pyarrow.string())
ARROW_TEXT_DTYPES = {name: ARROW_STRING if name in TEXT_COLUMNS else dtype for name, dtype in CLEAN_DTYPES.items()}
_ARROW_TEXT_SCHEMA = CLEAN_SCHEMA.update_columns({name: {"dtype": ARROW_STRING} for name in TEXT_COLUMNS})


def trusted_vwap(turnover: pd.Series, volume: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """The day's volume-weighted price, turnover / volume, where the turnover can be trusted: BSE
    truncates turnover to whole rupees (one share at 45.60 shows 45), so a turnover is consistent when
    it lies in [floor(low x volume), high x volume]; the price is then clipped into [low, high]. Null
    where nothing traded, the turnover is 0 or it is inconsistent with the day's prices."""
    shares = volume.astype("float64").where(volume > 0)
    consistent = (turnover > 0) & (turnover >= np.floor(low * shares + 1e-9)) & (turnover <= high * shares + 1e-9)
    return (turnover / shares).clip(low, high).where(consistent)


@functools.lru_cache(maxsize=16)  # a dated schema takes a millisecond to build; runs ask for a few dates
def clean_bhavcopy_schema(trade_date: dt.date | None = None, *, arrow_text: bool = False) -> pa.DataFrameSchema:
    """The clean table's schema; with ``trade_date``, every row must be of that date. With
    ``arrow_text``, the same checks of a table whose text is Arrow strings (``ARROW_TEXT_DTYPES``)."""
    schema = _ARROW_TEXT_SCHEMA if arrow_text else CLEAN_SCHEMA
    if trade_date is None:
        return schema
    return schema.update_column("trade_date", checks=[pa.Check.eq(pd.Timestamp(trade_date))])

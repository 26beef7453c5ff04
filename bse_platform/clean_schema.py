"""The clean bhavcopy table: the one contract every source format maps onto and every feature reads.

One row per (security_code, trade_date). Columns a source format lacks are null.
"""

import datetime as dt

import pandas as pd
import pandera.pandas as pa

INSTRUMENT_CLASSES = ("equity", "sme", "fund", "reit_invit", "preference", "debt", "government", "other")
# What "equity instruments" means for filters: main-board and SME-platform shares.
EQUITY_CLASSES = ("equity", "sme")

# Free-text columns, as opposed to numbers and the derived/constant ones.
TEXT_COLUMNS = ("isin", "symbol", "name", "group", "instrument_type")

# name -> (pandas dtype, description)
CLEAN_COLUMNS: dict[str, tuple[str, str]] = {
    "trade_date": ("datetime64[ns]", "trade date (the session the prices are from)"),
    "security_code": ("int64", "BSE scrip code, the entity key"),
    "isin": ("object", "ISIN (null in the legacy EQ format)"),
    "symbol": ("object", "ticker symbol (UDiFF-era formats only)"),
    "name": ("object", "security name as BSE abbreviates it"),
    "group": ("object", "BSE group / series (A, B, T, X, XT, Z, M, F, G, E, IF ...)"),
    "instrument_type": ("object", "legacy SC_TYPE (Q, B, D, P) or UDiFF FinInstrmTp (STK)"),
    "open": ("float64", "opening price, INR"),
    "high": ("float64", "day high, INR"),
    "low": ("float64", "day low, INR"),
    "close": ("float64", "closing price, INR (BSE's close can lie outside high/low)"),
    "last": ("float64", "last traded price, INR"),
    "prev_close": ("float64", "previous close, INR, unadjusted; null where BSE gives 0 (new listing)"),
    "num_trades": ("Int64", "number of trades"),
    "volume": ("Int64", "shares traded"),
    "turnover": ("float64", "traded value, INR"),
    "instrument_class": ("object", f"derived from group, type and ISIN: one of {', '.join(INSTRUMENT_CLASSES)}"),
    "source_format": ("object", "header format of the source file (eq, eq_isincode, bse_eq_bhavcopy, udiff)"),
}


def clean_bhavcopy_schema(trade_date: dt.date | None = None) -> pa.DataFrameSchema:
    """Pandera schema of the clean table; with ``trade_date``, every row must be of that date."""
    positive = [pa.Check.gt(0)]
    date_checks = [pa.Check.eq(pd.Timestamp(trade_date))] if trade_date else []
    return pa.DataFrameSchema(
        name="clean_bhavcopy",
        columns={
            "trade_date": pa.Column("datetime64[ns]", date_checks),
            "security_code": pa.Column("int64", pa.Check.gt(0)),
            "isin": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$"), nullable=True),
            "symbol": pa.Column(str, nullable=True),
            "name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "group": pa.Column(str, pa.Check.str_length(min_value=1)),
            "instrument_type": pa.Column(str, nullable=True),
            "open": pa.Column(float, positive),
            "high": pa.Column(float, positive),
            "low": pa.Column(float, positive),
            "close": pa.Column(float, positive),
            "last": pa.Column(float, positive, nullable=True),
            "prev_close": pa.Column(float, positive, nullable=True),
            "num_trades": pa.Column("Int64", pa.Check.ge(0)),
            "volume": pa.Column("Int64", pa.Check.ge(0)),
            "turnover": pa.Column(float, pa.Check.ge(0)),
            "instrument_class": pa.Column(str, pa.Check.isin(INSTRUMENT_CLASSES)),
            "source_format": pa.Column(str),
        },
        checks=[
            pa.Check(lambda t: len(t) > 0, name="at least one row"),
            pa.Check(lambda t: t["high"] >= t["low"], name="high >= low"),
            pa.Check(lambda t: t["open"].between(t["low"], t["high"]), name="low <= open <= high"),
        ],
        unique=["security_code", "trade_date"],
        strict=True,
        ordered=True,
    )

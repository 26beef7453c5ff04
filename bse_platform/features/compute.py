"""From clean bhavcopy rows and corporate actions to one family's rows for the requested trade dates."""

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from bse_platform.calendar import BSE_TIMEZONE
from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.features.family import FeatureFamily
from bse_platform.features.panel import adjusted_panel

KEY_COLUMNS = ["security_code", "trade_date", "available_at"]
PUBLICATION_TIME = dt.time(20, 0)  # when BSE's bhavcopy is taken to be known, IST


def available_at(trade_dates: pd.Series, publication_time: dt.time = PUBLICATION_TIME) -> pd.Series:
    """The moment a trade date's values could have been known: its publication time in IST, as UTC."""
    offset = pd.Timedelta(hours=publication_time.hour, minutes=publication_time.minute)
    return (trade_dates + offset).dt.tz_localize(BSE_TIMEZONE).dt.tz_convert("UTC")


def compute_family(
    family: FeatureFamily,
    clean: pd.DataFrame,
    actions: pd.DataFrame,
    trade_dates: Collection[dt.date],
    *,
    instrument_classes: Collection[str] = EQUITY_CLASSES,
    publication_time: dt.time = PUBLICATION_TIME,
) -> pd.DataFrame:
    """``family``'s rows for ``trade_dates``, from ``clean`` rows covering them plus their lookback.

    Prices are adjusted as of the last loaded date for the computation, then every price- or
    volume-like value is expressed in its own row date's share units, so a value never depends on a
    corporate action after its date. Values left undefined by a zero denominator are null.
    """
    panel = adjusted_panel(clean, actions, instrument_classes, horizon=family.lookback)
    values = family.compute(panel)
    rows = panel.frame[["security_code", "trade_date"]].copy()
    for spec in family.features:
        column = values[spec.name]
        if spec.scale == "price":
            column = column / panel.frame["price_scale"]
        elif spec.scale == "volume":
            column = column / panel.frame["volume_scale"]
        if not spec.exponential:  # exponential values have converged within the lookback instead
            column = column.where(panel.in_window(spec.window))
        rows[spec.name] = column.astype("float64").replace([np.inf, -np.inf], np.nan)
    wanted = pd.to_datetime(pd.Series(sorted(trade_dates)))
    rows = rows[rows["trade_date"].isin(wanted)]
    rows.insert(2, "available_at", available_at(rows["trade_date"], publication_time))
    return rows.sort_values(["trade_date", "security_code"]).reset_index(drop=True)

"""From clean bhavcopy rows and corporate actions to one family's rows for the requested trade dates."""

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd

from bse_platform.calendar import BSE_PUBLICATION_TIME, BSE_TIMEZONE
from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.features.family import FamilyResult, FeatureFamily
from bse_platform.features.panel import Panel, adjusted_panel


def available_at(trade_dates: pd.Series, publication_time: dt.time = BSE_PUBLICATION_TIME) -> pd.Series:
    """The moment a trade date's values could have been known: its publication time in IST, as UTC."""
    offset = pd.Timedelta(hours=publication_time.hour, minutes=publication_time.minute)
    return (trade_dates + offset).dt.tz_localize(BSE_TIMEZONE).dt.tz_convert("UTC")


def compute_families(
    families: Collection[FeatureFamily],
    clean: pd.DataFrame,
    actions: pd.DataFrame,
    trade_dates: Collection[dt.date],
    *,
    instrument_classes: Collection[str] = EQUITY_CLASSES,
    publication_time: dt.time = BSE_PUBLICATION_TIME,
) -> dict[str, FamilyResult]:
    """Each family's rows for ``trade_dates``, from ``clean`` rows covering them and their history
    (``history.read_history`` reads what a family's ``own_days`` need).

    The adjusted panel is built once for all ``families``. Prices are adjusted as of the last loaded
    date, then every price- or volume-like value is expressed in its own row date's share units, so a
    value never depends on a corporate action after its date. Values left undefined by a zero
    denominator are null.
    """
    panel = adjusted_panel(clean, actions, instrument_classes, trade_dates)
    keys = panel.frame[["trade_date", "security_code"]]
    order = keys[panel.output].sort_values(["trade_date", "security_code"]).index
    stamps = available_at(keys.loc[order, "trade_date"], publication_time)
    return {family.name: _family_rows(family, panel, order, stamps) for family in families}


def compute_family(family: FeatureFamily, clean: pd.DataFrame, actions: pd.DataFrame, trade_dates, **options) -> FamilyResult:
    return compute_families([family], clean, actions, trade_dates, **options)[family.name]


def _family_rows(family: FeatureFamily, panel: Panel, order: pd.Index, stamps: pd.Series) -> FamilyResult:
    values = family.compute(panel.within(family.own_days))
    rows = panel.frame.loc[order, ["trade_date", "security_code"]]
    rows["available_at"] = stamps
    scales = panel.frame.loc[order, ["price_scale", "volume_scale"]]
    expected = pd.DataFrame(index=order)
    for spec in family.features:
        column = _at(values[spec.name], order)
        if spec.scale == "price":
            column = column / scales["price_scale"]
        elif spec.scale == "volume":
            column = column / scales["volume_scale"]
        rows[spec.name] = column.astype("float64").replace([np.inf, -np.inf], np.nan)
        expected[spec.name] = (panel.own_row >= spec.min_rows - 1)[order]
    return FamilyResult(
        rows.reset_index(drop=True),
        expected.reset_index(drop=True),
        panel.frame.loc[order, "action_factor"].reset_index(drop=True),
    )


def _at(values: pd.Series, labels: pd.Index) -> pd.Series:
    """``values`` at the panel rows ``labels``. A value is indexed by the rows of the ``Panel.within``
    it was computed on, sorted labels holding every output row: found by bisection, where ``.loc``
    would first hash each of those indexes (a tenth of a second for a year of history)."""
    return pd.Series(values.to_numpy()[np.searchsorted(values.index.to_numpy(), labels.to_numpy())], index=labels)

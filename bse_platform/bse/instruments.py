"""Instrument class from what a bhavcopy row says: group (series), legacy SC_TYPE, ISIN prefix.

UDiFF marks every row ``STK`` (bonds and ETFs included), so the class comes from the group and the
ISIN prefix: INE/IN9 issuer shares, INF funds (ETFs trade in equity groups, liquid and bond ETFs in
group F), IN0-IN3 central and state government securities. The legacy EQ format has no ISIN, so
its ETFs look like shares: the parser fills a row's ISIN from a security master first.
"""

import numpy as np
import pandas as pd

SME_GROUPS = ("M", "MT", "MS")
GOVERNMENT_ISIN_PREFIXES = ("IN0", "IN1", "IN2", "IN3")


def classify_instruments(group: pd.Series, instrument_type: pd.Series, isin: pd.Series) -> pd.Series:
    index = group.index
    group, kind, prefix = _upper(group), _upper(instrument_type), _upper(isin, length=3)
    rules = [
        (group == "G") | np.isin(prefix, GOVERNMENT_ISIN_PREFIXES),
        group == "IF",
        (group == "E") | (prefix == "INF"),
        (group == "F") | np.isin(kind, ["B", "D"]),
        (group == "P") | (kind == "P"),
        np.isin(group, SME_GROUPS),
        (kind == "Q") | np.isin(prefix, ["INE", "IN9"]),
    ]
    classes = ["government", "reit_invit", "fund", "debt", "preference", "sme", "equity"]
    return pd.Series(np.select(rules, classes, default="other"), index=index, dtype=object)


def _upper(text: pd.Series, length: int | None = None) -> np.ndarray:
    """Each value upper-cased by Python (Arrow's upper-casing differs on a few letters, such as the
    ligature fi) and cut to ``length``; "" for null. Once per distinct value, so fast on any column."""
    codes, distinct = pd.factorize(text)
    upper = np.array([value.upper()[:length] for value in distinct.to_numpy(object)] + [""], dtype=object)
    return upper[codes]  # code -1 (null) picks the last, ""

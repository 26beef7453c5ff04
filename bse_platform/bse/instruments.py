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
    group = group.fillna("").str.upper()
    kind = instrument_type.fillna("").str.upper()
    isin = isin.fillna("").str.upper()
    rules = [
        (group == "G") | isin.str.startswith(GOVERNMENT_ISIN_PREFIXES),
        group == "IF",
        (group == "E") | isin.str.startswith("INF"),
        (group == "F") | kind.isin(["B", "D"]),
        (group == "P") | (kind == "P"),
        group.isin(SME_GROUPS),
        (kind == "Q") | isin.str.startswith(("INE", "IN9")),
    ]
    classes = ["government", "reit_invit", "fund", "debt", "preference", "sme", "equity"]
    return pd.Series(np.select(rules, classes, default="other"), index=group.index, dtype=object)

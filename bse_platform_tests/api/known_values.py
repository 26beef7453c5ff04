"""A small feature store of known values: every family's partitions for four trade dates of three
securities. Every value encodes its trade date, security and feature (``known_value``), so an answer
from the wrong date, security or position is visible. TCS has no ``sma_200`` (too young): null everywhere.
"""

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bse_platform.calendar import BSE_PUBLICATION_TIME, ist_datetime
from bse_platform.features.catalog import FAMILIES, definitions_version, feature_names
from bse_platform.online import OnlineStore
from bse_platform.storage import ObjectStore

TRADE_DATES = [dt.date(2024, 11, 12), dt.date(2024, 11, 13), dt.date(2024, 11, 14), dt.date(2024, 11, 15)]
LIVE_DATE = dt.date(2024, 11, 14)  # 11-15 is stored but not yet online: ingest publishes it
SECURITIES = {500325: ("RELIANCE", "INE002A01018"), 500180: ("HDFCBANK", "INE040A01034"), 532540: ("TCS", "INE467B01029")}
UNDEFINED = (532540, "sma_200")
POSITION = {name: index for index, name in enumerate(feature_names())}


def available_at(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(ist_datetime(day, BSE_PUBLICATION_TIME)).tz_convert("UTC")


def known_value(day: dt.date, code: int, feature: str) -> float:
    if (code, feature) == UNDEFINED:
        return math.nan
    return day.day * 1_000_000 + code % 1000 + POSITION[feature] / 100


def family_rows(family: str, day: dt.date) -> pd.DataFrame:
    codes = list(SECURITIES)
    frame = pd.DataFrame({"security_code": np.array(codes, dtype="int64"), "available_at": [available_at(day)] * len(codes)})
    for column in FAMILIES[family].columns:
        frame[column] = [known_value(day, code, column) for code in codes]
    return frame


def full_vectors(day: dt.date, codes: Sequence[int]) -> pd.DataFrame:
    frame = pd.DataFrame({"security_code": list(codes)})
    for name in feature_names():
        frame[name] = [known_value(day, code, name) for code in codes]
    return frame


def publish(store: OnlineStore, day: dt.date, codes: Sequence[int] = tuple(SECURITIES)) -> None:
    """``day``'s vectors of ``codes`` live, straight through the online store (not the API)."""
    result = store.sync(
        full_vectors(day, codes),
        feature_names=feature_names(),
        trade_date=day,
        available_at=available_at(day),
        definitions_version=definitions_version(),
        symbols={code: symbol for code, (symbol, _) in SECURITIES.items()},
        isins={code: isin for code, (_, isin) in SECURITIES.items()},
    )
    assert result.published, result.reason


def write_known_store(store: ObjectStore) -> None:
    """Every family's partition and the clean bhavcopy's aliases, for every one of TRADE_DATES."""
    aliases = pd.DataFrame(
        {"security_code": list(SECURITIES), "symbol": [s for s, _ in SECURITIES.values()], "isin": [i for _, i in SECURITIES.values()]}
    )
    for day in TRADE_DATES:
        for family in FAMILIES:
            store.write_partition(family, day, family_rows(family, day))
        store.write_partition("clean_bhavcopy", day, aliases)

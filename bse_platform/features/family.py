"""What a feature family is: its columns (name, formula, window, unit), its lookback, its computation
and the checks of its own; and what computing it for some trade dates gives (``FamilyResult``)."""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from bse_platform.features.panel import Panel

# Exponential averages have no finite window; they are computed over a lookback long enough that the
# weight left on anything before it is below this, so a date computed alone equals it inside a range.
EWM_NEGLIGIBLE_WEIGHT = 1e-11


def sessions_for(own_days: int) -> int:
    """Market sessions of lookback that hold ``own_days`` of a thinly traded or briefly suspended
    security (one that misses up to about half the sessions)."""
    return 2 * own_days + 20


def ewm_warmup(alpha: float) -> int:
    """Own days after which an exponential average has forgotten its start (to EWM_NEGLIGIBLE_WEIGHT)."""
    return math.ceil(math.log(EWM_NEGLIGIBLE_WEIGHT) / math.log(1.0 - alpha))


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    formula: str
    unit: str
    window: int = 1  # own trading days the value reads, the row's own day included
    min_rows: int = 1  # own days a security needs before the value is defined
    exponential: bool = False  # no finite window: reads the family's whole lookback (its warm-up)
    scale: str | None = None  # "price" or "volume": expressed in the row date's share units
    bounds: tuple[float | None, float | None] = (None, None)
    reference: str | None = None  # the `ta` computation it equals, where `ta` has it


@dataclass(frozen=True)
class FamilyResult:
    rows: pd.DataFrame  # trade_date, security_code, available_at and the family's columns
    expected: pd.DataFrame  # per column: the security had the own days within the lookback for a value
    action_factor: pd.Series  # the price factor of a corporate action taking effect on the row's day (1: none)


@dataclass(frozen=True)
class RowCheck:
    """A family's own warn check: rows that pass the schema yet look wrong."""

    name: str
    description: str
    failing: Callable[[FamilyResult], pd.Series]  # True for the rows of ``result.rows`` that fail
    shown_columns: tuple[str, ...] = ("security_code", "trade_date")


@dataclass(frozen=True)
class FeatureFamily:
    name: str
    description: str
    lookback: int  # market sessions of clean history one partition reads, its own day included
    features: tuple[FeatureSpec, ...]
    compute: Callable[[Panel], Mapping[str, pd.Series]]
    table_checks: tuple[pa.Check, ...] = ()  # checks across a row's columns, part of the family's schema
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [spec.name for spec in self.features]

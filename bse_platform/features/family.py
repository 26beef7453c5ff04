"""What a feature family is: its columns (name, formula, window, unit), its lookback, its computation
and the checks of its own; and what computing it for some trade dates gives (``FamilyResult``)."""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from bse_platform.features.panel import Panel

# Exponential averages have no finite window; they are computed over enough own days that the weight
# left on anything before them is below this, so they equal `ta` on the whole history (to 1e-9).
EWM_NEGLIGIBLE_WEIGHT = 1e-11


def ewm_warmup(alpha: float) -> int:
    """Own days after which an exponential average has forgotten its start (to EWM_NEGLIGIBLE_WEIGHT)."""
    return math.ceil(math.log(EWM_NEGLIGIBLE_WEIGHT) / math.log(1.0 - alpha))


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    formula: str
    unit: str
    window: int = 1  # own trading days the value reads, the row's own day included (exponential: its warm-up)
    min_rows: int = 1  # own days a security needs before the value is defined
    exponential: bool = False  # no finite window: reads ``window`` own days, after which its start is forgotten
    scale: str | None = None  # "price" or "volume": expressed in the row date's share units
    bounds: tuple[float | None, float | None] = (None, None)
    reference: str | None = None  # the `ta` computation it equals, where `ta` has it


@dataclass(frozen=True)
class FamilyResult:
    rows: pd.DataFrame  # trade_date, security_code, available_at and the family's columns
    expected: pd.DataFrame  # per column: the security's history is long enough for a value
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
    features: tuple[FeatureSpec, ...]
    compute: Callable[[Panel], Mapping[str, pd.Series]]
    table_checks: tuple[pa.Check, ...] = ()  # checks across a row's columns, part of the family's schema
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [spec.name for spec in self.features]

    @property
    def own_days(self) -> int:
        """Own trading days of history a date's values need, its own day included."""
        return max(spec.window for spec in self.features)

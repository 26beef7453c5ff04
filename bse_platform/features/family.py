"""What a feature family is: its columns (name, formula, window, unit), its lookback and its computation."""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

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
class FeatureFamily:
    name: str
    description: str
    lookback: int  # market sessions of clean history one partition reads, its own day included
    features: tuple[FeatureSpec, ...]
    compute: Callable[[Panel], Mapping[str, pd.Series]]

    @property
    def columns(self) -> list[str]:
        return [spec.name for spec in self.features]

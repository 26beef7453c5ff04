"""The feature catalog: every family and every column, defined once (name, formula, window, unit)."""

import hashlib
from functools import cache

from bse_platform.features import lags, momentum, moving_averages, returns, volatility, volume
from bse_platform.features.family import FeatureFamily, FeatureSpec

FAMILIES: dict[str, FeatureFamily] = {
    family.name: family
    for family in (
        returns.FAMILY,
        moving_averages.FAMILY,
        volatility.FAMILY,
        momentum.FAMILY,
        volume.FAMILY,
        lags.FAMILY,
    )
}

FEATURES: dict[str, FeatureSpec] = {spec.name: spec for family in FAMILIES.values() for spec in family.features}
FAMILY_OF: dict[str, str] = {spec.name: family.name for family in FAMILIES.values() for spec in family.features}

# Own trading days of history the family that reads the most needs, its own day included.
LONGEST_HISTORY = max(family.own_days for family in FAMILIES.values())


def describe(spec: FeatureSpec) -> str:
    """A column's definition in one line: formula; window; unit; reference."""
    days = f"{spec.window} own day{'s' if spec.window != 1 else ''}"
    window = f"reads {days}" if not spec.exponential else f"exponential, warm-up {days}"
    reference = f"; equals {spec.reference}" if spec.reference else ""
    return f"{spec.formula}; {window}; unit: {spec.unit}{reference}"


def feature_names() -> list[str]:
    """Every feature column, families in catalog order: the order of an online vector."""
    return list(FEATURES)


@cache
def definitions_version() -> str:
    """A short hash of every feature's definition: readers can tell vectors of other definitions apart."""
    text = "\n".join(f"{name}: {describe(spec)}" for name, spec in FEATURES.items())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def entry(name: str) -> dict[str, object]:
    """Everything the catalog says of one feature, as the registry, MLflow and the CLI show it."""
    spec = FEATURES[name]
    return {
        "name": name,
        "family": FAMILY_OF[name],
        "formula": spec.formula,
        "unit": spec.unit,
        "window": spec.window,
        "warm_up": spec.min_rows,  # own days before the value is defined
        "exponential": spec.exponential,
        "expressed_in": spec.scale or "none",  # price/volume-like values are in the row date's share units
        "reference": spec.reference,
        "definition": describe(spec),
        "version": definitions_version(),
    }


def family_entry(name: str) -> dict[str, object]:
    """A family as the registry, MLflow and the CLI show it: its description, own days and features."""
    family = FAMILIES[name]
    return {"name": name, "description": family.description, "own_days": family.own_days, "features": [entry(c) for c in family.columns]}

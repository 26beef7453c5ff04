"""The feature catalog: every family and every column, defined once (name, formula, window, unit)."""

import pandas as pd

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


def catalog_frame(family: FeatureFamily | None = None) -> pd.DataFrame:
    """The catalog as a table (one family, or all), for asset metadata and documentation."""
    families = [family] if family else list(FAMILIES.values())
    return pd.DataFrame(
        [
            {
                "family": fam.name,
                "feature": spec.name,
                "formula": spec.formula,
                "window": spec.window,
                "unit": spec.unit,
                "reference": spec.reference or "",
            }
            for fam in families
            for spec in fam.features
        ]
    )

"""The vectorized families equal `ta` applied per security to the adjusted series (rtol 1e-9)."""

import numpy as np
import pytest

from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family
from bse_platform_tests.features.conftest import SESSIONS
from bse_platform_tests.features.reference import reference_features

RTOL = 1e-9


@pytest.fixture(scope="module")
def reference(feature_market):
    return reference_features(feature_market.quotes, feature_market.corporate_actions)


@pytest.mark.parametrize("family", list(FAMILIES.values()), ids=list(FAMILIES))
def test_family_equals_the_per_security_reference(feature_market, reference, family):
    ours = compute_family(family, feature_market.quotes, feature_market.corporate_actions, SESSIONS).rows
    joined = ours.merge(reference, on=["security_code", "trade_date"], suffixes=("", "_ref"), validate="1:1")
    assert len(joined) == len(ours) == len(reference)
    compared = [c for c in family.columns if f"{c}_ref" in joined]
    assert compared, f"{family.name} has no reference column"
    for column in compared:
        got, expected = joined[column], joined[f"{column}_ref"]
        assert (got.isna() == expected.isna()).all(), f"{column}: nulls differ at {joined.loc[got.isna() != expected.isna(), ['security_code', 'trade_date']].head()}"
        # Differences of nearly equal numbers (macd_diff, bb_pctb) need an absolute floor: 1e-9 of the
        # security's typical magnitude of that column.
        typical = expected.abs().groupby(joined["security_code"]).transform("mean")
        close = np.isclose(got, expected, rtol=RTOL, atol=0) | ((got - expected).abs() <= RTOL * typical)
        assert close[expected.notna()].all(), f"{column}: {joined.loc[~close & expected.notna(), ['security_code', 'trade_date', column, column + '_ref']].head()}"


def test_every_ta_indicator_is_covered_by_the_reference(reference):
    with_ta = {name for family in FAMILIES.values() for name, spec in zip(family.columns, family.features) if spec.reference}
    missing = with_ta - set(reference.columns) - {"log_ret_1d"}
    assert not missing, f"features naming a ta reference but not compared: {sorted(missing)}"

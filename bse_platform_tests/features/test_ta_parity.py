"""The vectorized families equal `ta` applied per security to the adjusted series (rtol 1e-9)."""

import pytest

from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family
from bse_platform_tests.features.conftest import SESSIONS
from bse_platform_tests.features.reference import assert_equal_to_reference, reference_features


@pytest.fixture(scope="module")
def reference(feature_market):
    return reference_features(feature_market.quotes, feature_market.corporate_actions)


@pytest.mark.parametrize("family", list(FAMILIES.values()), ids=list(FAMILIES))
def test_family_equals_the_per_security_reference(feature_market, reference, family):
    ours = compute_family(family, feature_market.quotes, feature_market.corporate_actions, SESSIONS).rows
    assert len(ours) == len(reference)
    assert_equal_to_reference(ours, reference, family.columns)


def test_every_ta_indicator_is_covered_by_the_reference(reference):
    with_ta = {name for family in FAMILIES.values() for name, spec in zip(family.columns, family.features) if spec.reference}
    missing = with_ta - set(reference.columns) - {"log_ret_1d"}
    assert not missing, f"features naming a ta reference but not compared: {sorted(missing)}"

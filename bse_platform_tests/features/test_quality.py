"""Feature checks fail on corrupted output, and jumps are flagged only where no action explains them."""

import numpy as np
import pandas as pd
import pytest

from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family
from bse_platform.features.quality import feature_schema, null_share_after_warmup
from bse_platform.features.returns import unexplained_jumps
from bse_platform.validation import validate
from bse_platform_tests.features.conftest import SESSIONS


@pytest.fixture(scope="module")
def momentum(feature_market):
    return compute_family(FAMILIES["momentum"], feature_market.quotes, feature_market.corporate_actions, SESSIONS[-5:])


def test_computed_output_passes_its_schema(momentum):
    assert validate(momentum.rows, feature_schema(FAMILIES["momentum"])).passed


@pytest.mark.parametrize(
    ("corrupt", "failed_check"),
    [
        (lambda rows: rows.assign(rsi_14=rows["rsi_14"].where(rows.index != 3, 120.0)), "less_than_or_equal_to(100)"),
        (lambda rows: rows.assign(roc_10=rows["roc_10"].where(rows.index != 3, np.inf)), "finite"),
        (lambda rows: pd.concat([rows, rows.iloc[[3]]], ignore_index=True), "multiple_fields_uniqueness"),
    ],
    ids=["rsi out of range", "infinity", "duplicate key"],
)
def test_corrupted_output_fails_the_schema(momentum, corrupt, failed_check):
    report = validate(corrupt(momentum.rows), feature_schema(FAMILIES["momentum"]))
    assert not report.passed
    assert any(failed_check in check for check in report.failures_by_check())


def test_bollinger_lower_above_upper_fails(feature_market):
    rows = compute_family(FAMILIES["volatility"], feature_market.quotes, feature_market.corporate_actions, SESSIONS[-2:]).rows
    swapped = rows.assign(bb_lower_20=rows["bb_upper_20"] + 1)
    report = validate(swapped, feature_schema(FAMILIES["volatility"]))
    assert "volatility: bb_lower_20 <= bb_upper_20" in report.failures_by_check()


def test_null_share_counts_only_where_a_value_was_expected(momentum):
    shares = null_share_after_warmup(momentum)
    assert (shares.to_numpy() == 0).all()  # no nulls where expected; warm-up nulls are not counted
    damaged = type(momentum)(momentum.rows.assign(rsi_14=np.nan), momentum.expected, momentum.action_factor)
    assert (null_share_after_warmup(damaged)["rsi_14"] == 1.0).all()


def test_a_jump_without_a_corporate_action_is_flagged_and_one_with_it_is_not(feature_market):
    actions = feature_market.corporate_actions
    result = compute_family(FAMILIES["returns"], feature_market.quotes, actions, SESSIONS)
    on_ex_dates = result.action_factor.ne(1.0)
    assert on_ex_dates.sum() >= 3  # the generated splits and bonus issues took effect
    assert not unexplained_jumps(result).any()  # their raw jumps are explained, the adjusted returns are small

    forgotten = compute_family(FAMILIES["returns"], feature_market.quotes, actions.iloc[:0], SESSIONS)
    flagged = forgotten.rows[unexplained_jumps(forgotten)]
    expected = actions.merge(forgotten.rows, left_on=["security_code", "ex_date"], right_on=["security_code", "trade_date"])
    assert set(flagged["security_code"]) >= set(expected.loc[expected["ret_1d"].abs() > 0.25, "security_code"])
    assert len(flagged) > 0

"""Drift statistics on hand-built distributions: KS and PSI as defined, thresholds as documented."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from bse_platform.features.drift import DRIFT_WINDOW, MIN_VALUES, PSI_EMPTY_SHARE, reference_dates, trailing_drift

DAYS = [dt.date(2025, 8, 1) + dt.timedelta(days=i) for i in range(30)]


def rows(by_day: dict[dt.date, np.ndarray]) -> pd.DataFrame:
    """One row per value, of a feature ``x``, on each date."""
    return pd.concat([pd.DataFrame({"trade_date": pd.Timestamp(day), "x": values}) for day, values in by_day.items()], ignore_index=True)


def drift(current: np.ndarray, reference: np.ndarray):
    """``current`` (the second date) against ``reference`` (the first): the report's row of ``x``."""
    report = trailing_drift(rows({DAYS[0]: reference, DAYS[1]: current}), ["x"], {DAYS[1]: [DAYS[0]]})[DAYS[1]]
    return report.features.loc["x"]


def test_identical_distributions_have_not_drifted():
    values = np.random.default_rng(1).normal(size=500)
    same = drift(values[::-1], values)
    assert same["evaluated"] and not same["drifted"]
    assert same["psi"] == pytest.approx(0.0, abs=1e-12) and same["ks_statistic"] == 0.0 and same["ks_pvalue"] == 1.0


def test_a_shifted_mean_has_drifted():
    rng = np.random.default_rng(2)
    shifted = drift(rng.normal(loc=1.0, size=500), rng.normal(size=5000))
    assert shifted["drifted"] and shifted["psi"] > 0.25 and shifted["ks_statistic"] > 0.2 and shifted["ks_pvalue"] < 1e-10


def test_psi_of_known_bins_is_the_hand_computed_value():
    # Reference 0..99: deciles at 10, 20, .., 90, ten values in each bin. Current: half at 5, half at 95,
    # so the first and last bins hold half each and the eight others none.
    result = drift(np.repeat([5.0, 95.0], 50), np.arange(100.0))
    by_hand = 2 * (0.5 - 0.1) * math.log(0.5 / 0.1) + 8 * (PSI_EMPTY_SHARE - 0.1) * math.log(PSI_EMPTY_SHARE / 0.1)
    assert result["psi"] == pytest.approx(by_hand) and result["drifted"]


def test_too_few_values_are_not_evaluated_nulls_not_counted():
    rng = np.random.default_rng(3)
    with_nulls = np.where(np.arange(MIN_VALUES + 20) < 21, np.nan, rng.normal(loc=5.0, size=MIN_VALUES + 20))  # 99 values
    result = drift(with_nulls, rng.normal(size=1000))
    assert (result["current_values"], result["reference_values"]) == (MIN_VALUES - 1, 1000)
    assert not result["evaluated"] and not result["drifted"] and math.isnan(result["psi"]) and math.isnan(result["ks_statistic"])
    assert drift(with_nulls[:0], rng.normal(size=1000))["current_values"] == 0  # a date without values


@pytest.mark.parametrize("first", [1, 16, 29], ids=["window-growing", "range-after-a-full-window", "date-alone"])
def test_every_date_of_a_trailing_window_equals_scipys_ks_on_its_reference(first):
    """Kept sorted from date to date (a first date's whole window sorted at once), the references
    hold exactly their dates' values: ties (rounded values) and nulls included, and a date without
    rows left out."""
    rng = np.random.default_rng(4)
    values = {day: np.round(rng.normal(loc=i / 10, size=rng.integers(150, 250)), 1) for i, day in enumerate(DAYS)}
    values[DAYS[12]][::7] = np.nan
    del values[DAYS[15]]
    references = reference_dates(DAYS, DAYS[first:])
    reports = trailing_drift(rows(values), ["x"], references)
    for day in DAYS[first:]:
        kept = [d for d in references[day] if d != DAYS[15]]
        assert reports[day].reference_dates == kept
        if day == DAYS[15]:
            assert not reports[day].features.loc["x", "evaluated"]
            continue
        current, reference = not_null(values[day]), not_null(np.concatenate([values[d] for d in kept]))
        expected = ks_2samp(current, reference, method="asymp")
        statistics = reports[day].features.loc["x"]
        assert statistics["ks_statistic"] == pytest.approx(expected.statistic, abs=1e-12), day
        assert statistics["ks_pvalue"] == pytest.approx(expected.pvalue, rel=1e-9), day
        assert (statistics["current_values"], statistics["reference_values"]) == (len(current), len(reference))


def not_null(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def test_a_dates_reference_is_the_window_of_sessions_before_it():
    windows = reference_dates(DAYS, [DAYS[0], DAYS[5], DAYS[-1]])
    assert windows == {DAYS[0]: [], DAYS[5]: DAYS[:5], DAYS[-1]: DAYS[-1 - DRIFT_WINDOW : -1]}

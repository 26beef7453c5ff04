"""Whether a trade date's feature values are distributed like those of the trade dates before it.

Per feature, the date's values (the current sample) are compared with those of the DRIFT_WINDOW
trade dates before it (the reference sample) by two statistics:

- the two-sample Kolmogorov-Smirnov statistic, the largest gap between the two empirical CDFs, with
  Smirnov's asymptotic p-value: what ``scipy.stats.ks_2samp(method="asymp")`` gives, computed here on
  samples kept sorted (``ks_2samp`` sorts both on each call, and a 250-date run makes some 13,000);
- the population stability index over PSI_BINS bins cut at the reference's deciles: the sum over bins
  of (current share - reference share) * ln(current share / reference share), an empty bin's share
  counted as PSI_EMPTY_SHARE so that its logarithm stays finite.

A feature has drifted when its PSI exceeds PSI_DRIFT or its KS statistic exceeds KS_DRIFT. Nulls are
ignored. A feature with fewer than MIN_VALUES values on either side is not evaluated (reported as
such, never as drifted): its PSI would be noise, a decile bin being empty by chance once in 70 bins
at 40 values (at 100, once in 38,000). No Dagster here.
"""

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

DRIFT_CHECK = "distribution_drift"
DRIFT_WINDOW = 20  # trade dates, about a month
PSI_BINS = 10
PSI_EMPTY_SHARE = 1e-4
PSI_DRIFT = 0.25  # the usual rule: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a significant one
# A gap of a fifth of the securities between the CDFs. Sampling noise reaches 0.04 once in 100 dates
# on a few thousand securities, and 0.2 once in 1,000 on MIN_VALUES.
KS_DRIFT = 0.2
MIN_VALUES = 100

REPORT_COLUMNS = ["current_values", "reference_values", "ks_statistic", "ks_pvalue", "psi", "evaluated", "drifted"]


def reference_dates(sessions: Sequence[dt.date], trade_dates: Sequence[dt.date]) -> dict[dt.date, list[dt.date]]:
    """Each trade date's reference: the DRIFT_WINDOW ``sessions`` (every trade date, oldest first) before it."""
    position = {day: i for i, day in enumerate(sessions)}
    return {day: list(sessions[max(position[day] - DRIFT_WINDOW, 0) : position[day]]) for day in trade_dates}


@dataclass(frozen=True)
class DriftReport:
    reference_dates: list[dt.date]  # those of the trade date's reference dates that had rows
    features: pd.DataFrame  # per feature (the index): REPORT_COLUMNS, statistics NaN where not evaluated

    @property
    def drifted(self) -> list[str]:
        return self.features.index[self.features["drifted"]].tolist()


def trailing_drift(
    values: pd.DataFrame, columns: Sequence[str], references: Mapping[dt.date, Sequence[dt.date]]
) -> dict[dt.date, DriftReport]:
    """Per trade date of ``references``: each feature of ``columns``, its values against those of its
    reference dates. ``values`` holds the rows (a ``trade_date`` column) of all these dates; a
    reference date without rows is left out of the reference."""
    matrix = np.asfortranarray(values[list(columns)].to_numpy(dtype=float, na_value=np.nan))  # a feature's values contiguous
    days = {day.date(): rows for day, rows in values.groupby("trade_date").indices.items()}
    kept = {day: [d for d in reference if d in days] for day, reference in references.items()}

    def statistics_of(position: int) -> list[tuple]:
        by_day = {day: _sorted_values(matrix[rows, position]) for day, rows in days.items()}
        return [(day, columns[position], *_statistics(reference, by_day.get(day, np.empty(0))))
                for day, reference in _sorted_references(by_day, kept)]  # fmt: skip

    # A range's features in parallel: the work is NumPy's sorts, bisections and copies, which release
    # the GIL. A few dates' take less than the threads' overhead.
    with ThreadPoolExecutor(max_workers=os.cpu_count() if len(references) > DRIFT_WINDOW else 1) as pool:
        statistics = [row for rows in pool.map(statistics_of, range(len(columns))) for row in rows]
    reports = _reports(statistics, list(columns))
    return {day: DriftReport(kept[day], reports.get(day, pd.DataFrame(columns=REPORT_COLUMNS))) for day in references}


def _sorted_values(values: np.ndarray) -> np.ndarray:
    return np.sort(values[~np.isnan(values)])


def _sorted_references(
    by_day: Mapping[dt.date, np.ndarray], references: Mapping[dt.date, Sequence[dt.date]]
) -> Iterator[tuple[dt.date, np.ndarray]]:
    """Each date's reference values, sorted. From one date to the next a trailing window loses a date
    and gains one: the sorted values lose and gain that date's, rather than ~20 dates' being sorted anew.
    A window gaining more than one date (the first) is sorted anew: 20 insertions take 7 times longer."""
    held, values = set(), np.empty(0)
    for day in sorted(references):
        wanted = set(references[day])
        if len(wanted - held) > 1:
            values = np.sort(np.concatenate([np.empty(0), *(by_day[d] for d in wanted)]))
        else:
            for leaving in held - wanted:
                values = _without(values, by_day[leaving])
            for entering in wanted - held:
                values = np.insert(values, np.searchsorted(values, by_day[entering]), by_day[entering])
        held = wanted
        yield day, values


def _without(values: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """``values`` less ``removed`` (both sorted, ``removed`` among ``values``): an equal value repeated
    k times in ``removed`` takes the k equal places from the first one on."""
    repeat = np.arange(len(removed)) - np.searchsorted(removed, removed)
    return np.delete(values, np.searchsorted(values, removed) + repeat)


def _statistics(reference: np.ndarray, current: np.ndarray) -> tuple[int, int, float, float]:
    """Sample sizes, KS statistic and PSI of one feature (NaN statistics when not evaluated)."""
    if min(len(reference), len(current)) < MIN_VALUES:
        return len(current), len(reference), np.nan, np.nan
    return len(current), len(reference), _ks_statistic(reference, current), _psi(reference, current)


def _reports(statistics: list[tuple], columns: list[str]) -> dict[dt.date, pd.DataFrame]:
    """Per date, its features' report, from (date, feature, *statistics) rows: built as one frame, so
    the p-values are one call for every date and feature of a run, and each date's report a slice."""
    from scipy.stats import kstwo  # here, not on import: scipy.stats adds half a second to every run worker's start

    report = pd.DataFrame(statistics, columns=["day", "feature", "current_values", "reference_values", "ks_statistic", "psi"])
    report = report.sort_values("day", kind="stable").set_index("feature").rename_axis(None)  # features in column order
    report["evaluated"] = report["psi"].notna()
    evaluated = report["evaluated"].to_numpy()
    n, m = report["current_values"].to_numpy()[evaluated], report["reference_values"].to_numpy()[evaluated]
    report["ks_pvalue"] = np.nan
    report.loc[evaluated, "ks_pvalue"] = kstwo.sf(report["ks_statistic"].to_numpy()[evaluated], np.round(n * m / (n + m)))
    report["drifted"] = report["evaluated"] & ((report["psi"] > PSI_DRIFT) | (report["ks_statistic"] > KS_DRIFT))
    days, report = report["day"].to_numpy(), report[REPORT_COLUMNS]
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]) if len(days) else np.empty(0, dtype=int)
    return {days[start]: report.iloc[start : start + len(columns)] for start in starts}


def _ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """The largest gap between two step functions sits at a sample point. Between two current points
    the current CDF is flat while the reference CDF rises, so the reference CDF at each current point,
    and just before it, is all it takes: the reference's own points need no evaluation."""
    n, m = len(current), len(reference)
    rank = np.arange(1, n + 1)
    at_or_below = np.searchsorted(reference, current, side="right") / m
    below = np.searchsorted(reference, current, side="left") / m
    return float(max(np.max(rank / n - at_or_below), np.max(below - (rank - 1) / n)))


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Bins [edge, next edge) at the reference's deciles; deciles that coincide (a value repeated in the
    reference) merge their bins."""
    edges = np.unique(reference[np.arange(1, PSI_BINS) * len(reference) // PSI_BINS])
    shares = [np.diff(np.searchsorted(sample, edges), prepend=0, append=len(sample)) / len(sample) for sample in (reference, current)]
    expected, actual = (np.maximum(share, PSI_EMPTY_SHARE) for share in shares)
    return float(np.sum((actual - expected) * np.log(actual / expected)))

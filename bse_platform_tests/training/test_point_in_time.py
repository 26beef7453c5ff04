"""Point-in-time joins on hand-built partitions: every value's date is known, so is every answer."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bse_platform.features.catalog import FAMILIES, feature_names
from bse_platform.storage import ObjectStore
from bse_platform.training import (
    UnknownSelectionError,
    available_at_column,
    leakage_violations,
    point_in_time_join,
    resolve_features,
    trade_date_column,
)
from bse_platform_tests.training import published, write_feature_partitions

# BSE sessions: 2024-11-15 (Guru Nanak Jayanti) and 2024-11-20 (Maharashtra elections) were holidays.
SESSIONS = [dt.date(2024, 11, 11), dt.date(2024, 11, 12), dt.date(2024, 11, 13), dt.date(2024, 11, 14),
            dt.date(2024, 11, 18), dt.date(2024, 11, 19), dt.date(2024, 11, 21), dt.date(2024, 11, 22),
            dt.date(2024, 11, 25), dt.date(2024, 11, 26), dt.date(2024, 11, 27), dt.date(2024, 11, 28)]  # fmt: skip
LIQUID, SUSPENDED = 500325, 532540  # the second trades on the first two sessions, then is suspended
FAMILY = "momentum"


def value_of(code: int, day: dt.date) -> float:
    """Every feature of a row holds this: the row is recognisable from any of its values."""
    return code + day.toordinal() / 1e6


@pytest.fixture
def store(tmp_path) -> ObjectStore:
    store = ObjectStore(str(tmp_path))
    for day in SESSIONS:
        codes = [LIQUID, SUSPENDED] if day <= SESSIONS[1] or day == SESSIONS[-1] else [LIQUID]
        values = pd.DataFrame({name: [value_of(code, day) for code in codes] for name in feature_names()})
        write_feature_partitions(store, day, values.assign(security_code=codes))
    return store


def events(*rows: tuple[int, pd.Timestamp]) -> pd.DataFrame:
    return pd.DataFrame({"security_code": [code for code, _ in rows], "event_time": [t for _, t in rows], "label": np.arange(len(rows))})


def test_a_value_published_at_the_event_time_is_not_yet_known_one_second_later_it_is(store):
    day, before = SESSIONS[3], SESSIONS[2]
    at = published(day)
    joined = point_in_time_join(store, events((LIQUID, at), (LIQUID, at + pd.Timedelta(seconds=1))), ["rsi_14"])
    frame = joined.frame
    assert frame[trade_date_column(FAMILY)].dt.date.tolist() == [before, day]
    assert frame["rsi_14"].tolist() == [value_of(LIQUID, before), value_of(LIQUID, day)]
    assert frame["label"].tolist() == [0, 1]  # the events' own columns are kept, in order
    assert joined.audit.passed and joined.audit.violations == 0


def test_across_a_holiday_the_last_session_before_it_answers(store):
    thursday, monday = SESSIONS[3], SESSIONS[4]
    holiday_noon = pd.Timestamp("2024-11-15 12:00", tz="Asia/Kolkata")
    monday_morning = pd.Timestamp("2024-11-18 09:15", tz="Asia/Kolkata")  # before Monday's publication
    frame = point_in_time_join(store, events((LIQUID, holiday_noon), (LIQUID, monday_morning)), ["macd"]).frame
    assert frame[trade_date_column(FAMILY)].dt.date.tolist() == [thursday, thursday]
    assert frame["macd"].tolist() == [value_of(LIQUID, thursday)] * 2
    assert monday > thursday


def test_after_a_suspension_values_are_kept_within_the_staleness_limit_and_null_beyond(store):
    last_traded = SESSIONS[1]
    soon = published(SESSIONS[3]) + pd.Timedelta(hours=1)  # two days later
    late = published(SESSIONS[8]) + pd.Timedelta(hours=1)  # ten days later
    joined = point_in_time_join(store, events((SUSPENDED, soon), (SUSPENDED, late), (LIQUID, late)), ["momentum"])
    frame = joined.frame
    assert frame.loc[0, trade_date_column(FAMILY)].date() == last_traded
    assert frame.loc[0, "rsi_14"] == value_of(SUSPENDED, last_traded)
    assert frame.loc[1, [trade_date_column(FAMILY), available_at_column(FAMILY), "rsi_14"]].isna().all()
    assert frame.loc[2, "rsi_14"] == value_of(LIQUID, SESSIONS[8])
    assert joined.audit.stale_values == 1 and joined.audit.without_values == 1 and joined.audit.kept == 3


def test_the_staleness_limit_is_per_family(store):
    late = published(SESSIONS[8]) + pd.Timedelta(hours=1)
    limits = {"momentum": pd.Timedelta(days=30), "returns": pd.Timedelta(days=1)}
    frame = point_in_time_join(store, events((SUSPENDED, late)), ["rsi_14", "ret_1d"], max_staleness=limits).frame
    assert frame.loc[0, "rsi_14"] == value_of(SUSPENDED, SESSIONS[1])
    assert pd.isna(frame.loc[0, "ret_1d"])


def test_events_without_prior_values_are_kept_with_nulls_or_dropped_and_counted(store):
    before_any = published(SESSIONS[0]) - pd.Timedelta(days=1)
    rows = events((LIQUID, before_any), (LIQUID, published(SESSIONS[5]) + pd.Timedelta(minutes=1)), (999999, before_any))
    kept = point_in_time_join(store, rows, ["rsi_14"])
    assert kept.audit.kept == 3 and kept.audit.without_values == 2 and kept.audit.dropped == 0
    dropped = point_in_time_join(store, rows, ["rsi_14"], drop_missing=True)
    assert dropped.audit.kept == 1 and dropped.audit.dropped == 2
    assert dropped.frame["label"].tolist() == [1]
    assert dropped.frame.loc[0, "rsi_14"] == value_of(LIQUID, SESSIONS[5])


def test_only_the_partitions_the_events_need_are_read(store):
    one_event = events((LIQUID, published(SESSIONS[-1]) + pd.Timedelta(minutes=1)))
    joined = point_in_time_join(store, one_event, ["rsi_14"], max_staleness=pd.Timedelta(days=2))
    # The two sessions in the window, and at most one before it (read before its publication time is known).
    assert 2 <= joined.partitions_read[FAMILY] <= 3 < len(SESSIONS)
    assert joined.frame.loc[0, "rsi_14"] == value_of(LIQUID, SESSIONS[-1])


def test_the_audit_catches_a_leaky_join(store):
    at = published(SESSIONS[3])
    frame = point_in_time_join(store, events((LIQUID, at + pd.Timedelta(seconds=1))), ["rsi_14"]).frame
    leaky = frame.assign(**{available_at_column(FAMILY): frame[available_at_column(FAMILY)] + pd.Timedelta(seconds=1)})
    assert leakage_violations(frame, [FAMILY]) == 0
    assert leakage_violations(leaky, [FAMILY]) == 1


def test_a_selection_of_families_and_features_resolves_in_catalog_order():
    resolved = resolve_features(["rsi_14", "returns", "macd"])
    assert resolved["returns"] == FAMILIES["returns"].columns
    assert resolved["momentum"] == [c for c in FAMILIES["momentum"].columns if c in {"rsi_14", "macd"}]
    with pytest.raises(UnknownSelectionError, match="rsi_15"):
        resolve_features(["rsi_15"])


def test_events_need_timezone_aware_times(store):
    naive = pd.DataFrame({"security_code": [LIQUID], "event_time": [pd.Timestamp("2024-11-18 12:00")]})
    with pytest.raises(ValueError, match="timezone-aware"):
        point_in_time_join(store, naive, ["rsi_14"])
    with pytest.raises(ValueError, match="missing: event_time"):
        point_in_time_join(store, naive.drop(columns="event_time"), ["rsi_14"])


def test_events_columns_the_join_adds_are_refused(store):
    clashing = events((LIQUID, published(SESSIONS[4]))).assign(rsi_14=1.0)
    with pytest.raises(ValueError, match="rsi_14"):
        point_in_time_join(store, clashing, ["rsi_14"])
    with pytest.raises(UnknownSelectionError, match="momentun"):
        point_in_time_join(store, events((LIQUID, published(SESSIONS[4]))), ["rsi_14"], max_staleness={"momentun": pd.Timedelta(days=1)})


def test_values_published_before_their_dates_start_in_utc_are_found(tmp_path):
    """A publication time before 05:30 IST stamps the previous day in UTC; its partition is still read."""
    store = ObjectStore(str(tmp_path))
    day = SESSIONS[2]
    early = pd.Timestamp(f"{day} 01:00", tz="Asia/Kolkata")  # 19:30 UTC the day before
    values = pd.DataFrame({name: [1.5] for name in feature_names()}).assign(security_code=[LIQUID])
    keys = pd.DataFrame({"security_code": [LIQUID], "available_at": [early]})
    store.write_partition(FAMILY, day, pd.concat([keys, values[FAMILIES[FAMILY].columns]], axis=1))
    frame = point_in_time_join(store, events((LIQUID, early + pd.Timedelta(hours=1))), [FAMILY]).frame
    assert frame.loc[0, "rsi_14"] == 1.5

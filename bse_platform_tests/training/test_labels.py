"""Forward-return labels on hand-built ``returns`` partitions over real BSE sessions."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.storage import ObjectStore
from bse_platform.training import forward_return_labels
from bse_platform_tests.training import published

CALENDAR = TradingCalendar()
# 2024-11-08 .. 2024-11-29: 14 sessions (15 and 20 November were holidays).
SESSIONS = CALENDAR.sessions(dt.date(2024, 11, 8), dt.date(2024, 11, 29))
DAILY, THIN = 500325, 532540
THIN_RETURNS = {dt.date(2024, 11, 11): 0.0, dt.date(2024, 11, 14): 0.10, dt.date(2024, 11, 25): -0.05}


def write_returns(store: ObjectStore, sessions, rows_of) -> None:
    for day in sessions:
        rows = rows_of(day)
        frame = pd.DataFrame({"security_code": list(rows), "available_at": published(day), "ret_1d": list(rows.values())})
        store.write_partition("returns", day, frame)


@pytest.fixture
def store(tmp_path) -> ObjectStore:
    store = ObjectStore(str(tmp_path))
    write_returns(store, SESSIONS, lambda day: {DAILY: 0.01, **({THIN: THIN_RETURNS[day]} if day in THIN_RETURNS else {})})
    return store


def labels_by(frame: pd.DataFrame, code: int) -> pd.DataFrame:
    rows = frame[frame["security_code"] == code]
    return rows.set_index(rows["trade_date"].dt.date)


def test_labels_compound_daily_returns_over_the_next_trade_dates(store):
    labels = labels_by(forward_return_labels(store, CALENDAR, SESSIONS[0], SESSIONS[-1]), DAILY)
    assert len(labels) == len(SESSIONS)
    assert labels["fwd_ret_1d"].iloc[:-1].to_numpy() == pytest.approx(0.01, rel=1e-12)
    assert labels["fwd_ret_5d"].iloc[:-5].to_numpy() == pytest.approx(1.01**5 - 1, rel=1e-12)
    # The future after the last stored session is not known: no label rather than a guess.
    assert labels["fwd_ret_1d"].iloc[-1:].isna().all() and labels["fwd_ret_5d"].iloc[-5:].isna().all()


def test_a_thin_security_takes_its_last_close_within_the_horizon_and_has_no_label_without_a_trade(store):
    labels = labels_by(forward_return_labels(store, CALENDAR, SESSIONS[0], SESSIONS[-1]), THIN)
    assert list(labels.index) == sorted(THIN_RETURNS)
    first, second = dt.date(2024, 11, 11), dt.date(2024, 11, 14)
    assert np.isnan(labels.loc[first, "fwd_ret_1d"])  # no trade on 12 November
    assert labels.loc[first, "fwd_ret_5d"] == pytest.approx(0.10)  # to 19 November: last traded on the 14th
    assert np.isnan(labels.loc[second, "fwd_ret_1d"])  # no trade on 18 November
    assert labels.loc[second, "fwd_ret_5d"] == pytest.approx(-0.05)  # 18, 19, 21, 22, 25: the 20th a holiday


def test_events_come_a_decision_delay_after_the_trade_dates_publication(store):
    labels = forward_return_labels(store, CALENDAR, SESSIONS[1], SESSIONS[1], decision_delay=pd.Timedelta(minutes=5))
    assert set(labels["event_time"]) == {pd.Timestamp("2024-11-11 20:05", tz="Asia/Kolkata")}
    assert str(labels["event_time"].dt.tz) == "UTC"


def test_a_missing_partition_inside_the_horizon_voids_the_label(tmp_path):
    store = ObjectStore(str(tmp_path))
    gap = dt.date(2024, 11, 21)
    write_returns(store, [day for day in SESSIONS if day != gap], lambda day: {DAILY: 0.01})
    labels = labels_by(forward_return_labels(store, CALENDAR, SESSIONS[0], SESSIONS[-1]), DAILY)
    assert np.isnan(labels.loc[dt.date(2024, 11, 19), "fwd_ret_1d"])  # its next session is the gap
    assert labels.loc[dt.date(2024, 11, 22), "fwd_ret_1d"] == pytest.approx(0.01)
    assert labels.loc[[dt.date(2024, 11, 14), dt.date(2024, 11, 19)], "fwd_ret_5d"].isna().all()


def test_an_unknown_daily_return_inside_the_horizon_voids_the_label(tmp_path):
    store = ObjectStore(str(tmp_path))
    write_returns(store, SESSIONS, lambda day: {DAILY: np.nan if day == SESSIONS[3] else 0.01})
    labels = labels_by(forward_return_labels(store, CALENDAR, SESSIONS[0], SESSIONS[-1]), DAILY)
    assert np.isnan(labels.iloc[2]["fwd_ret_1d"]) and labels.iloc[3]["fwd_ret_1d"] == pytest.approx(0.01)


def test_horizons_must_look_ahead_and_a_range_without_data_is_an_error(store):
    with pytest.raises(ValueError, match="1 or more"):
        forward_return_labels(store, CALENDAR, SESSIONS[0], SESSIONS[-1], horizons=(0,))
    with pytest.raises(ValueError, match="no stored returns partition"):
        forward_return_labels(store, CALENDAR, dt.date(2025, 1, 1), dt.date(2025, 1, 31))


def test_events_follow_the_stored_publication_time_whatever_it_is(tmp_path):
    store = ObjectStore(str(tmp_path))
    late = pd.Timestamp("2024-11-11 22:15", tz="Asia/Kolkata")  # a deployment publishing at 22:15 IST
    store.write_partition("returns", SESSIONS[1], pd.DataFrame({"security_code": [DAILY], "available_at": [late], "ret_1d": [0.0]}))
    labels = forward_return_labels(store, CALENDAR, SESSIONS[1], SESSIONS[1])
    assert labels["event_time"].tolist() == [late + pd.Timedelta(minutes=1)]

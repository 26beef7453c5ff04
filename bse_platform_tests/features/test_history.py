"""Own-day history: a date computed alone, inside any range, and `ta` on the security's whole history
agree, for thin, suspended and newly listed securities, over 760 sessions of stored partitions."""

import datetime as dt

import pandas as pd
import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.corporate_actions.export import actions_by_session
from bse_platform.features.catalog import FAMILIES
from bse_platform.features.compute import compute_family
from bse_platform.features.history import ACTIONS, CLEAN, last_date_reading_before, read_history
from bse_platform.mirror.generator import generate_market
from bse_platform.storage import MissingPartitionsError, ObjectStore
from bse_platform_tests.features.reference import assert_equal_to_reference, reference_features

SESSIONS = TradingCalendar(weekdays_only=True).sessions(dt.date(2023, 1, 2), dt.date(2025, 12, 31))
CHECKED = [SESSIONS[-1], SESSIONS[-120], SESSIONS[400]]


@pytest.fixture(scope="module")
def market():
    market = generate_market(80, SESSIONS, seed=17)
    equities = market.securities.loc[market.securities["instrument_class"].isin(["equity", "sme"]), "security_code"]
    traded = market.quotes[market.quotes["security_code"].isin(equities)].groupby("security_code").size()
    assert (traded < 0.35 * len(SESSIONS)).sum() >= 3  # thinly traded: a day in three or fewer
    suspended = market.suspensions[market.suspensions["security_code"].isin(equities)]
    assert ((suspended["last_date"] - suspended["first_date"]).dt.days > 45).any()  # over 32 sessions
    assert len(market.securities["listing_date"].dropna()) >= 3  # newly listed
    return market


@pytest.fixture(scope="module")
def store(market, tmp_path_factory):
    store = ObjectStore(str(tmp_path_factory.mktemp("history")))
    actions = actions_by_session(market.corporate_actions.assign(kind="split", detail="", purpose=""), list(SESSIONS))
    for day in SESSIONS:
        stamp = pd.Timestamp(day)
        store.write_partition(CLEAN, day, market.quotes[market.quotes["trade_date"] == stamp])
        store.write_partition(ACTIONS, day, actions[actions["trade_date"] == stamp])
    return store


@pytest.fixture(scope="module")
def reference(market):
    return reference_features(market.quotes, market.corporate_actions)


def from_history(store, family, days):
    history = read_history(store, SESSIONS[: SESSIONS.index(days[-1]) + 1], days, family.own_days)
    return compute_family(family, history.clean, history.actions, days).rows


@pytest.mark.parametrize("family", list(FAMILIES.values()), ids=list(FAMILIES))
def test_a_date_alone_equals_ta_on_the_whole_history(store, reference, family):
    for day in CHECKED:
        alone = from_history(store, family, [day])
        assert len(alone) > 40
        assert_equal_to_reference(alone, reference, family.columns)


@pytest.mark.parametrize("family", list(FAMILIES.values()), ids=list(FAMILIES))
def test_a_date_alone_equals_it_inside_a_range(store, family):
    days = SESSIONS[-130:-100]
    in_range = from_history(store, family, days)
    for day in (days[0], days[17], days[-1]):
        alone = from_history(store, family, [day])
        inside = in_range[in_range["trade_date"] == pd.Timestamp(day)].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, inside, rtol=1e-9, atol=1e-9)


def test_history_reaches_back_only_as_far_as_thin_securities_need(store, market):
    day = SESSIONS[-1]
    short = read_history(store, SESSIONS, [day], FAMILIES["returns"].own_days)
    assert short.sessions_read < 200  # 21 own days: a few weeks, a few months for the thinnest
    long = read_history(store, SESSIONS, [day], FAMILIES["moving_averages"].own_days)
    assert long.sessions_read > 634  # thin securities need years for 634 own days
    codes = long.clean.groupby("security_code")["trade_date"]
    assert set(codes.groups) == set(market.day(day).query("instrument_class in ('equity', 'sme')")["security_code"])
    # Each security has its 633 days before the date, or everything it has.
    before = long.clean[long.clean["trade_date"] < pd.Timestamp(day)].groupby("security_code").size()
    everything = market.quotes[market.quotes["trade_date"] < pd.Timestamp(day)].groupby("security_code").size()
    assert ((before >= 633) | (before == everything.reindex(before.index))).all()


def test_a_missing_partition_in_the_history_is_an_error_naming_it(store, tmp_path):
    gapped = ObjectStore(str(tmp_path))
    for name in (CLEAN, ACTIONS):
        for day in SESSIONS[-30:]:
            gapped.write_partition(name, day, store.read_partitions(name, [day]))
    gapped.delete(f"{CLEAN}/trade_date={SESSIONS[-10]}/data.parquet")
    with pytest.raises(MissingPartitionsError, match=str(SESSIONS[-10])):
        read_history(gapped, SESSIONS, [SESSIONS[-1]], 21)
    assert len(read_history(gapped, SESSIONS, [SESSIONS[-11]], 21).clean)  # before the gap: nothing missing


def test_thin_securities_read_clean_history_from_before_the_first_stored_corporate_actions(store, tmp_path):
    """Corporate actions materialized for fewer sessions than the clean history: a thin security's
    older clean rows are read, and no corporate action before the first stored date is asked for."""
    later = ObjectStore(str(tmp_path))
    actions_start = SESSIONS[-300]
    for day in SESSIONS:
        later.write_partition(CLEAN, day, store.read_partitions(CLEAN, [day]))
        if day >= actions_start:
            later.write_partition(ACTIONS, day, store.read_partitions(ACTIONS, [day]))
    history = read_history(later, SESSIONS, [SESSIONS[-1]], FAMILIES["moving_averages"].own_days)
    assert history.clean["trade_date"].min() < pd.Timestamp(actions_start)  # thin securities reach back past it
    assert (history.actions["trade_date"] >= pd.Timestamp(actions_start)).all()


def test_the_dates_a_late_action_changes_end_when_the_security_has_enough_own_days_since(store, market):
    ex, own_days = SESSIONS[100], 21
    after = SESSIONS[100:]
    daily = market.quotes.groupby("security_code").size().idxmax()  # trades every session
    assert last_date_reading_before(store, after, [daily], own_days) == after[own_days - 1]
    thin = market.quotes.groupby("security_code").size().idxmin()
    thin_days = market.quotes.loc[(market.quotes["security_code"] == thin) & (market.quotes["trade_date"] >= pd.Timestamp(ex)), "trade_date"]
    expected = thin_days.iloc[own_days - 1].date() if len(thin_days) >= own_days else after[-1]
    assert last_date_reading_before(store, after, [thin], own_days) == expected

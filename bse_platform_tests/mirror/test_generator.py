"""The synthetic market and its bhavcopy files: realistic, reproducible, and readable by the real parser."""

import datetime as dt
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from bse_platform.bse import parse_bhavcopy
from bse_platform.bse.formats import FORMATS
from bse_platform.bse.products import PRODUCTS
from bse_platform.calendar import TradingCalendar
from bse_platform.clean_schema import CLEAN_DTYPES, clean_bhavcopy_schema
from bse_platform.mirror import SyntheticMarket, generate_market, published_file, render_bhavcopy

ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
# Formats without ISIN/ticker columns, and the name width each format keeps.
NO_ISIN = {"eq"}
NAME_WIDTH = {"eq": 12, "eq_isincode": 12, "bse_eq_bhavcopy": 30, "udiff": 30}


@pytest.fixture(scope="module")
def sessions() -> list[dt.date]:
    return TradingCalendar().sessions(dt.date(2024, 3, 1), dt.date(2024, 10, 31))


@pytest.fixture(scope="module")
def market(sessions: list[dt.date]) -> SyntheticMarket:
    return generate_market(800, sessions, seed=11)


def quotes_of(market: SyntheticMarket, code: int) -> pd.DataFrame:
    return market.quotes[market.quotes["security_code"].eq(code)]


def test_same_seed_same_files_other_seed_other_files(sessions):
    first, again, other = (generate_market(120, sessions[:15], seed=s) for s in (5, 5, 6))
    day = sessions[10]
    for product in PRODUCTS:
        assert published_file(first.day(day), product, day) == published_file(again.day(day), product, day)
        assert published_file(first.day(day), product, day) != published_file(other.day(day), product, day)
    pd.testing.assert_frame_equal(first.quotes, again.quotes)
    pd.testing.assert_frame_equal(first.corporate_actions, again.corporate_actions)


def test_quotes_follow_the_clean_schema(market):
    assert list(market.quotes.columns) == list(CLEAN_DTYPES)
    clean_bhavcopy_schema().validate(market.quotes, lazy=True)
    keys = market.quotes[["trade_date", "security_code"]]
    assert keys.equals(keys.sort_values(["trade_date", "security_code"])), "sorted by date, then code"


def test_bars_are_consistent(market):
    q = market.quotes
    assert (q["close"].between(q["low"], q["high"]) & q["last"].between(q["low"], q["high"])).all()
    assert (q["num_trades"] <= q["volume"]).all()
    average_price = q["turnover"] / q["volume"]
    slack = 1 / q["volume"]  # turnover is in whole rupees
    assert (average_price.between(q["low"] - slack, q["high"] + slack)).all()
    lots = q["security_code"].map(market.board_lots)
    assert (q["volume"] % lots == 0).all() and (lots[q["instrument_class"].eq("sme")] > 1).all()
    assert (q["last"] != q["close"]).mean() > 0.2, "the last trade often differs from BSE's close"


def test_prev_close_is_the_previous_traded_close(market):
    q = market.quotes.sort_values(["security_code", "trade_date"])
    previous = q.groupby("security_code")["close"].shift()
    later = previous.notna()
    assert (q.loc[later, "prev_close"] == previous[later]).all()
    first_quotes = q[~later]
    listing_date = market.securities.set_index("security_code")["listing_date"]
    listed_in_range = first_quotes["security_code"].map(listing_date).notna()
    assert first_quotes.loc[listed_in_range, "prev_close"].isna().all(), "no prev close on a listing day"
    assert first_quotes.loc[~listed_in_range, "prev_close"].notna().all(), "older listings have one"


def test_instrument_mix_codes_isins_and_tickers(market):
    s = market.securities
    shares = s["instrument_class"].value_counts(normalize=True)
    assert shares["equity"] == pytest.approx(0.85, abs=0.03)
    assert {"sme", "fund", "debt", "government"} <= set(shares.index)
    assert s["security_code"].is_unique and s["security_code"].between(100_000, 999_999).all()
    assert s["isin"].str.match(ISIN).all()
    by_class = s.groupby("instrument_class")
    assert by_class["isin"].agg(lambda i: set(i.str[:3])).to_dict() == {
        "equity": {"INE"}, "sme": {"INE"}, "debt": {"INE"}, "fund": {"INF"}, "government": {"IN0"}
    }
    assert by_class["group"].agg(set).to_dict() == {
        "equity": {"A", "B", "T", "X", "XT", "Z"}, "sme": {"M", "MT", "MS"}, "fund": {"B", "E"},
        "debt": {"F"}, "government": {"G"},
    }  # fmt: skip
    assert set(s.loc[s["instrument_class"].eq("debt"), "instrument_type"]) == {"B", "D"}
    main_board = s.loc[s["instrument_class"].eq("equity") & s["security_code"].ge(500_000), "security_code"]
    assert main_board.lt(600_000).all() and main_board.floordiv(10_000).isin([53, 54]).mean() > 0.4
    assert s["symbol"].is_unique and s["symbol"].str.len().le(11).all()
    assert s["symbol"].str.contains("&", regex=False).any() and s["symbol"].str.contains("#", regex=False).any()
    assert s["name"].str.len().gt(30).any(), "some names are long enough for UDiFF's 30-character cut"


def test_hash_tickers_are_second_codes_for_the_same_shares(market):
    s = market.securities.set_index("security_code")
    twins = s[s["symbol"].str.endswith("#")]
    assert len(twins) > 0
    for code, twin in twins.iterrows():
        parent = s.loc[code + 400_000]
        assert (twin["isin"], twin["symbol"]) == (parent["isin"], parent["symbol"] + "#")
        both = quotes_of(market, code).merge(quotes_of(market, code + 400_000), on="trade_date")
        assert (both["close_x"] == both["close_y"]).all(), "one price path, quoted twice"


def test_splits_and_bonuses_are_raw_jumps_recorded_as_corporate_actions(market):
    actions = market.corporate_actions
    assert set(actions["kind"]) == {"split", "bonus"}
    assert list(actions.columns) == ["security_code", "ex_date", "kind", "purpose", "price_factor", "volume_factor"]
    assert (actions["price_factor"] * actions["volume_factor"]).round(12).eq(1).all()
    for action in actions.itertuples():
        q = quotes_of(market, action.security_code).set_index("trade_date")
        on_ex = q.loc[action.ex_date]
        before = q.loc[: action.ex_date - pd.Timedelta(days=1)]
        if len(before):  # else the ex-date is the first session, its prev close from before the range
            assert on_ex["prev_close"] == before["close"].iloc[-1], "prev close is the raw close before the ex-date"
        jump = on_ex["close"] / on_ex["prev_close"]
        assert jump == pytest.approx(action.price_factor, rel=0.2), action
        adjusted_jump = on_ex["close"] / (on_ex["prev_close"] * action.price_factor)
        assert abs(np.log(adjusted_jump)) < abs(np.log(action.price_factor)) / 2
        if action.kind == "split":
            face_from, face_to = map(int, re.findall(r"R[se]\.(\d+)/-", action.purpose))
            assert action.purpose.startswith("Stock  Split From") and face_to / face_from == action.price_factor
        else:
            new, held = map(int, re.fullmatch(r"Bonus issue (\d+):(\d+)", action.purpose).groups())
            assert held / (held + new) == pytest.approx(action.price_factor)


def test_volume_scales_inversely_at_an_ex_date(market):
    surprises = []
    for action in market.corporate_actions.itertuples():
        q = quotes_of(market, action.security_code).set_index("trade_date")["volume"].astype(float)
        before, after = q[: action.ex_date - pd.Timedelta(days=1)].tail(10), q[action.ex_date :].head(10)
        if len(before) >= 5 and len(after) >= 5:
            surprises.append(np.log(after.median() / before.median() / action.volume_factor))
    assert len(surprises) >= 5
    assert abs(np.median(surprises)) < 0.35


def test_suspended_securities_are_missing_for_the_suspension(market):
    assert len(market.suspensions) > 0
    for suspension in market.suspensions.itertuples():
        dates = quotes_of(market, suspension.security_code)["trade_date"]
        assert not dates.between(suspension.first_date, suspension.last_date).any()
        assert (dates < suspension.first_date).any() and (dates > suspension.last_date).any()
        missed = [d for d in market.sessions if suspension.first_date <= pd.Timestamp(d) <= suspension.last_date]
        assert len(missed) >= 2


def test_listings_and_delistings(market):
    sessions = pd.DatetimeIndex(market.sessions)
    first_trade = market.quotes.groupby("security_code")["trade_date"].min()
    last_trade = market.quotes.groupby("security_code")["trade_date"].max()
    s = market.securities.set_index("security_code")
    listed, delisted = s.dropna(subset=["listing_date"]), s.dropna(subset=["delisting_date"])
    assert len(listed) > 10 and len(delisted) > 10
    assert (first_trade[listed.index] == listed["listing_date"]).all()
    assert (listed["listing_date"] > sessions[0]).all()
    session_before = sessions[sessions.searchsorted(delisted["delisting_date"]) - 1]
    assert (last_trade[delisted.index].to_numpy() == session_before.to_numpy()).all()
    assert set(s.index) == set(first_trade.index), "every security trades at least once"


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_every_format_parses_back_to_the_generated_quotes(market, format_name):
    day = market.sessions[100]
    expected = market.day(day).reset_index(drop=True)
    content = render_bhavcopy(expected, format_name, day, board_lots=market.board_lots)
    parsed = parse_bhavcopy(content, trade_date=day, instrument_classes=None)

    assert (parsed["source_format"] == format_name).all()
    assert (parsed["trade_date"] == pd.Timestamp(day)).all()
    assert parsed["security_code"].tolist() == expected["security_code"].tolist()
    for column in ("open", "high", "low", "close", "last", "prev_close", "turnover"):
        pd.testing.assert_series_equal(parsed[column], expected[column].round(2), check_names=False)
    for column in ("num_trades", "volume", "group"):
        pd.testing.assert_series_equal(parsed[column], expected[column], check_names=False)
    width = NAME_WIDTH[format_name]
    names = expected["name"].str[:width].str.strip()
    assert parsed["name"].tolist() == (names.str.upper() if width == 12 else names).tolist()
    if format_name in NO_ISIN:
        assert parsed["isin"].isna().all() and parsed["symbol"].isna().all()
        # Without ISINs, an ETF in group B reads as equity: the legacy EQ file cannot tell them apart.
        fund_in_b = expected["instrument_class"].eq("fund") & expected["group"].eq("B")
        assert (parsed.loc[fund_in_b, "instrument_class"] == "equity").all()
        assert (parsed["instrument_class"] == expected["instrument_class"])[~fund_in_b].all()
    else:
        assert parsed["isin"].tolist() == expected["isin"].tolist()
        assert parsed["instrument_class"].tolist() == expected["instrument_class"].tolist()
    if format_name in ("bse_eq_bhavcopy", "udiff"):
        assert parsed["symbol"].tolist() == expected["symbol"].tolist()
        assert (parsed["instrument_type"] == "STK").all()
    else:
        assert parsed["instrument_type"].tolist() == expected["instrument_type"].tolist()


@pytest.mark.parametrize("product", list(PRODUCTS))
def test_published_files_are_named_and_packed_like_bse(market, product):
    day = dt.date(2024, 7, 5)
    name, content = published_file(market.day(day), product, day, board_lots=market.board_lots)
    assert name == PRODUCTS[product].file_name(day)
    if name.lower().endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            (member,) = archive.infolist()
        members = {"eq": "EQ050724.CSV", "eq_isincode": "EQ_ISINCODE_050724.CSV",
                   "bse_eq_bhavcopy": "BSE_EQ_BHAVCOPY_05072024.CSV"}  # fmt: skip
        assert member.filename == members[product]
        assert member.date_time == (2024, 7, 5, 16, 7, 0)
    parsed = parse_bhavcopy(content, name, instrument_classes=None)  # the date comes from the file alone
    assert len(parsed) == len(market.day(day))


def test_text_looks_like_the_real_files(market):
    day = market.sessions[60]
    quotes = market.day(day)
    legacy = render_bhavcopy(quotes, "eq_isincode", day).decode()
    lines = legacy.split("\r\n")
    assert lines[-1] == "" and all(line and "\n" not in line for line in lines[:-1]), "CRLF line endings"
    rows = [line.split(",") for line in lines[1:-1]]
    assert {len(row[1]) for row in rows} == {12} and {len(row[2]) for row in rows} == {2}, "padded name, group"
    assert {row[13] for row in rows} == {""}, "empty TDCLOINDI"
    assert {row[15] for row in rows} == {day.strftime("%d-%b-%y")}
    assert all(re.fullmatch(r"\d+\.\d\d", row[4]) for row in rows), "two decimals"

    udiff = render_bhavcopy(quotes, "udiff", day, board_lots=market.board_lots).decode().split("\r\n")
    fields = [line.split(",") for line in udiff[1:-1]]
    assert {f[0] for f in fields} == {f[1] for f in fields} == {day.isoformat()}
    assert {(f[2], f[3], f[4], f[27]) for f in fields} == {("CM", "BSE", "STK", "F1")}
    assert max(len(f[13]) for f in fields) == 30, "FinInstrmNm cut at 30"
    assert {f[28] for f in fields} > {"1"}, "SME board lots in NewBrdLotQty"

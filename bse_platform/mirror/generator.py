"""A synthetic BSE equity market, and the bhavcopy files BSE would publish for it.

``generate_market`` simulates securities over a list of sessions: prices random-walk (log returns),
splits and bonus issues show up as raw, unadjusted price jumps (and are listed separately, as BSE's
corporate-actions data would list them), securities list, delist and get suspended, and the mix of
instrument classes, scrip codes, ISINs, groups and names looks like BSE's. ``render_bhavcopy`` and
``published_file`` turn one day of it into the bytes of any format the parser reads.

Everything is drawn from one seeded generator, in a fixed order: same arguments, same bytes.
Internally time runs over a grid whose row 0 is the session before the first one (so securities
already listed have a previous close on the first day) and rows 1..T are the sessions.
"""

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bse_platform.bse.formats import EQ, EQ_ISINCODE, FORMATS
from bse_platform.bse.products import PRODUCTS
from bse_platform.clean_schema import CLEAN_DTYPES

SOURCE_FORMAT = "synthetic"  # the clean table's source_format for generated quotes

LISTING_SHARE = 0.08  # securities that list after the first session
DELISTING_SHARE = 0.05  # securities that stop trading before the last session
SUSPENSION_SHARE = 0.04  # securities suspended for a stretch of sessions
CORPORATE_ACTIONS_PER_YEAR = 0.04  # splits and bonus issues per equity/SME security and year
TWIN_SHARE = 0.005  # shares also quoted under a second scrip code (like SBIN 500112 / SBIN# 100112)
_SESSIONS_PER_YEAR = 248
_TWIN_CODE_OFFSET = 400_000
_MIN_PRICE = 0.01


@dataclass(frozen=True)
class SyntheticMarket:
    sessions: tuple[dt.date, ...]
    # One row per security: security_code, isin, symbol, name, group, instrument_type (legacy
    # SC_TYPE), instrument_class, board_lot, listing_date (NaT: listed before the first session),
    # delisting_date (the first session it no longer trades; NaT: still listed).
    securities: pd.DataFrame
    # The clean schema (CLEAN_DTYPES), unadjusted as in a bhavcopy, sorted by trade_date, security_code.
    # instrument_type holds the legacy SC_TYPE; UDiFF-era files say STK.
    quotes: pd.DataFrame
    # security_code, ex_date, kind ("split"/"bonus"), purpose (BSE's free text), price_factor
    # (multiply prices before ex_date by it to back-adjust), volume_factor (= 1 / price_factor).
    corporate_actions: pd.DataFrame
    # security_code, first_date, last_date: sessions a listed security did not trade.
    suspensions: pd.DataFrame

    def day(self, trade_date: dt.date) -> pd.DataFrame:
        """The quotes of one session (empty for a date that is not one)."""
        return self.quotes[self.quotes["trade_date"].eq(pd.Timestamp(trade_date))]

    @property
    def board_lots(self) -> pd.Series:
        """Board lot per security code (UDiFF's NewBrdLotQty): above 1 on the SME platform."""
        return self.securities.set_index("security_code")["board_lot"]


# ---------------------------------------------------------------------------------------------
# Securities


@dataclass(frozen=True)
class _ClassSpec:
    instrument_class: str
    share: float  # of all securities
    groups: Mapping[str, float]  # BSE group -> weight
    sc_types: Mapping[str, float]  # legacy SC_TYPE -> weight
    code_pool: str
    first_price: tuple[float, float]  # INR, log-uniform
    volatility: tuple[float, float]  # sd of daily log returns, uniform
    trades: tuple[float, float]  # median trades a day, log-uniform
    trade_value: tuple[float, float]  # INR per trade, log-uniform
    trading_probability: float  # of trading on a session it is listed and not suspended
    name_pattern: str  # fields: stem, sector, suffix, coupon, year


# Shares, groups and codes as in BSE's 2025 files: mostly main-board equity, thinly traded debt.
_CLASSES = (
    _ClassSpec("equity", 0.85, {"A": 0.18, "B": 0.32, "T": 0.07, "X": 0.28, "XT": 0.13, "Z": 0.02}, {"Q": 1},
               "main", (5, 5000), (0.012, 0.035), (5, 500), (10_000, 100_000), 1.0, "{stem} {sector} {suffix}"),
    _ClassSpec("sme", 0.05, {"M": 0.6, "MT": 0.3, "MS": 0.1}, {"Q": 1},
               "main", (8, 400), (0.02, 0.045), (1, 10), (100_000, 300_000), 0.9, "{stem} {sector} {suffix}"),
    _ClassSpec("fund", 0.04, {"E": 0.4, "B": 0.6}, {"Q": 1},
               "fund", (10, 9000), (0.006, 0.012), (10, 500), (5_000, 50_000), 1.0, "{stem} {sector} ETF"),
    _ClassSpec("debt", 0.04, {"F": 1}, {"D": 0.6, "B": 0.4},
               "debt", (900, 1200), (0.002, 0.006), (1, 3), (20_000, 500_000), 0.4, "{coupon:.2f}% {stem} {year} NCD"),
    _ClassSpec("government", 0.02, {"G": 1}, {"B": 1},
               "government", (95, 110), (0.002, 0.004), (1, 4), (10_000, 200_000), 0.5, "{coupon:.2f}% GOI {year}"),
)  # fmt: skip
_GROUP_LIQUIDITY = {"A": 8.0, "B": 2.0, "T": 1.0, "X": 0.7, "XT": 0.5, "Z": 0.2}
# Thin groups do not trade every session (on BSE many X/XT/Z scrips trade a day in a few).
_GROUP_TRADING_PROBABILITY = {"T": 0.9, "X": 0.6, "XT": 0.45, "Z": 0.25}

# (first, past-the-last, weight) blocks of scrip codes; main board and SME share 50xxxx-58xxxx,
# most of today's scrips being 53xxxx/54xxxx.
_CODE_POOLS: dict[str, tuple[tuple[int, int, float], ...]] = {
    "main": ((500_000, 530_000, 0.35), (530_000, 550_000, 0.6), (550_000, 590_000, 0.05)),
    "fund": ((590_000, 600_000, 1.0),),
    "debt": ((930_000, 980_000, 1.0),),
    "government": ((800_000, 810_000, 1.0),),
}
_SME_BOARD_LOTS = np.array([100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 1600, 2000, 3000, 4000, 6000, 8000])
_DIGITS = np.array(list("0123456789"))
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_ALPHANUMERIC = np.concatenate([_DIGITS, _LETTERS])

_STEMS = (
    "ADITYA", "AJANTA", "AMBIKA", "ANAND", "APEX", "ARIHANT", "BHARAT", "CHAMBAL", "DEEPAK", "GANESH",
    "GUJARAT", "HIMALAYA", "INDO", "JAYASHREE", "KALYANI", "KIRLOSKAR", "KRISHNA", "LAKSHMI",
    "MAHARASHTRA", "MANGALAM", "NARMADA", "OSWAL", "PANCHSHEEL", "PIONEER", "PUNJAB", "RAJASTHAN",
    "SAGAR", "SHREE", "SOUTHERN", "STANDARD", "SUPREME", "SWASTIK", "TRIVENI", "VARDHMAN", "YASH",
)  # fmt: skip
_SECTORS = (
    "AGRO", "ALLOYS", "AUTO COMPONENTS", "CABLES", "CAPITAL", "CEMENT", "CHEMICALS", "ENERGY",
    "ENGINEERING", "FERTILISERS", "FINANCE", "FOODS", "HOTELS", "INDUSTRIES", "INFRA PROJECTS",
    "INFOTECH", "INVESTMENTS", "METALS", "PAPER", "PHARMA", "POLYMERS", "SOFTWARE", "STEEL", "SUGAR",
    "TEXTILES",
)  # fmt: skip
_SUFFIXES = ("LTD.", "LIMITED", "LTD")


def _pick(rng: np.random.Generator, weights: Mapping[str, float], count: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(np.array(list(weights), dtype=object), size=count, p=p / p.sum())


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float], count: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), count))


def _uniform_int(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One integer in [low, high) per element (low where the range is empty)."""
    return low + np.floor(rng.random(len(low)) * np.maximum(high - low, 0)).astype(np.int64)


def _random_text(rng: np.random.Generator, alphabet: np.ndarray, count: int, length: int) -> np.ndarray:
    return np.array(["".join(row) for row in rng.choice(alphabet, size=(count, length))], dtype=object)


def _isin_check_digit(body: str) -> str:
    """ISO 6166: letters become 10..35, then the Luhn check digit of the digit string."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = sum(sum(divmod(int(d) * (2 - i % 2), 10)) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _isins(rng: np.random.Generator, instrument_class: str, count: int) -> np.ndarray:
    """Distinct ISINs shaped like the class's (INE issuer shares/debentures, INF funds, IN0 government)."""

    def draw(k: int) -> np.ndarray:
        if instrument_class == "fund":  # INF204KB14I2
            amc = _random_text(rng, _DIGITS, k, 3) + _random_text(rng, _LETTERS, k, 1)
            bodies = "INF" + amc + _random_text(rng, _ALPHANUMERIC, k, 4)
        elif instrument_class == "government":  # IN0020070036
            bodies = "IN0020" + _random_text(rng, _DIGITS, k, 5)
        else:  # INE117A01022 shares ("01"), INE532F07CT6 debentures ("07")
            kind = "07" if instrument_class == "debt" else "01"
            issuers = _random_text(rng, _DIGITS, k, 3) + _random_text(rng, _LETTERS, k, 1)
            bodies = "INE" + issuers + kind + _random_text(rng, _DIGITS, k, 2)
        return np.array([body + _isin_check_digit(body) for body in bodies], dtype=object)

    isins = draw(count)
    while (clash := pd.Series(isins).duplicated().to_numpy()).any():
        isins[clash] = draw(int(clash.sum()))
    return isins


def _names(rng: np.random.Generator, pattern: str, count: int) -> pd.Series:
    """Names after a class's pattern; "X & Y" ones give '&' tickers, some pass UDiFF's 30 characters."""
    sectors = pd.Series(rng.choice(_SECTORS, count))
    joint = rng.random(count) < 0.08
    fields = pd.DataFrame({
        "stem": rng.choice(_STEMS, count),
        "sector": sectors.where(~joint, sectors + " & " + rng.choice(_SECTORS, count)),
        "suffix": rng.choice(_SUFFIXES, count),
        "coupon": rng.integers(130, 231, count) * 0.05,
        "year": rng.integers(2026, 2064, count),
    })  # fmt: skip
    names = pd.Series([pattern.format(**row) for row in fields.to_dict("records")], dtype=object)
    # Newer listings are spelled in mixed case in UDiFF files; the legacy formats upper-case names.
    return names.where(rng.random(count) >= 0.15, names.str.title())


def _symbols(names: pd.Series, codes: pd.Series) -> pd.Series:
    """Tickers: up to four initials of the name, then the scrip code, which keeps them distinct.

    At most ten characters, so a '#' twin's ticker (its parent's plus '#') still fits in eleven.
    """
    initials = names.str.upper().str.findall(r"\b[A-Z]|&").str.join("").str[:4]
    return initials + codes.astype(str)


def _class_counts(total: int) -> dict[str, int]:
    counts = {spec.instrument_class: round(total * spec.share) for spec in _CLASSES}
    counts["equity"] += total - sum(counts.values())
    return counts


def _scrip_codes(rng: np.random.Generator, pool: str, count: int) -> np.ndarray:
    blocks = _CODE_POOLS[pool]
    codes = np.concatenate([np.arange(first, end) for first, end, _ in blocks])
    p = np.concatenate([np.full(end - first, weight / (end - first)) for first, end, weight in blocks])
    if count > len(codes):
        raise ValueError(f"at most {len(codes)} securities fit BSE's {pool} code range; asked for {count}")
    return rng.choice(codes, size=count, replace=False, p=p / p.sum())


def _securities(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """The security master, with each security's simulation parameters, sorted by scrip code."""
    counts = _class_counts(count)
    twins = round(count * TWIN_SHARE)
    counts["equity"] -= twins
    pool_codes = {
        pool: iter(_scrip_codes(rng, pool, sum(counts[s.instrument_class] for s in _CLASSES if s.code_pool == pool)))
        for pool in _CODE_POOLS
    }
    frames = []
    for spec in _CLASSES:
        k = counts[spec.instrument_class]
        groups = _pick(rng, spec.groups, k)
        liquidity = np.array([_GROUP_LIQUIDITY.get(g, 1.0) for g in groups])
        first_price = _log_uniform(rng, spec.first_price, k)
        sme = spec.instrument_class == "sme"
        frames.append(
            pd.DataFrame({
                "security_code": np.fromiter(pool_codes[spec.code_pool], np.int64, k),
                "isin": _isins(rng, spec.instrument_class, k),
                "name": _names(rng, spec.name_pattern, k).to_numpy(),
                "group": groups,
                "instrument_type": _pick(rng, spec.sc_types, k),
                "instrument_class": spec.instrument_class,
                # SME lots are sized to about a lakh and a quarter of rupees.
                "board_lot": _nearest_board_lot(125_000 / first_price) if sme else np.ones(k, np.int64),
                "first_price": first_price,
                "volatility": rng.uniform(*spec.volatility, k),
                "drift": rng.normal(0.0, 0.0005, k),
                "median_trades": _log_uniform(rng, spec.trades, k) * liquidity,
                "trade_value": _log_uniform(rng, spec.trade_value, k),
                "trading_probability": spec.trading_probability * np.array([_GROUP_TRADING_PROBABILITY.get(g, 1.0) for g in groups]),
                "parent_code": 0,
            })
        )  # fmt: skip
    master = pd.concat(frames, ignore_index=True)
    master.insert(2, "symbol", _symbols(master["name"], master["security_code"]))
    master = pd.concat([master, _twins(rng, master, twins)], ignore_index=True)
    return master.sort_values("security_code", ignore_index=True)


def _nearest_board_lot(shares: np.ndarray) -> np.ndarray:
    distance = np.abs(np.log(_SME_BOARD_LOTS)[None, :] - np.log(shares)[:, None])
    return _SME_BOARD_LOTS[distance.argmin(axis=1)]


def _twins(rng: np.random.Generator, master: pd.DataFrame, count: int) -> pd.DataFrame:
    """Second scrip codes for some A/B shares: same ISIN and price path, '#' ticker, little trade."""
    candidates = master.index[master["instrument_class"].eq("equity") & master["group"].isin(["A", "B"])]
    parents = master.loc[rng.choice(candidates, size=min(count, len(candidates)), replace=False)]
    return parents.assign(
        security_code=parents["security_code"] - _TWIN_CODE_OFFSET,
        symbol=parents["symbol"] + "#",
        median_trades=_log_uniform(rng, (1, 5), len(parents)),
        trading_probability=0.6,
        parent_code=parents["security_code"],
    )


# ---------------------------------------------------------------------------------------------
# Lifetimes, corporate actions, suspensions (grid rows: 0 = the session before the first)

_SPLITS = ((10, 2), (10, 5), (10, 1), (5, 1), (2, 1), (5, 2))  # face value from, to
_BONUSES = ((1, 1), (2, 1), (1, 2), (3, 1))  # new shares : shares held


@dataclass(frozen=True)
class _Lifetimes:
    first: np.ndarray  # first grid row listed (0: listed before the first session)
    end: np.ndarray  # past-the-last grid row listed (T + 1: still listed)
    ex: np.ndarray  # grid row of the ex-date, -1 for none
    factor: np.ndarray  # price factor of that action, 1 for none
    kind: np.ndarray  # "split" / "bonus" / ""
    purpose: np.ndarray
    suspension_start: np.ndarray  # grid rows [start, stop) suspended; start == stop for none
    suspension_stop: np.ndarray


def _lifetimes(rng: np.random.Generator, master: pd.DataFrame, sessions: int) -> _Lifetimes:
    n, last_row = len(master), sessions
    listing = (rng.random(n) < LISTING_SHARE) & (last_row >= 2)  # on a session after the first
    first = np.where(listing, rng.integers(2, max(last_row, 2) + 1, n), 0)
    earliest_end = np.maximum(first, 1) + 1  # every security trades at least one session
    delisted = (rng.random(n) < DELISTING_SHARE) & (earliest_end <= last_row)
    end = np.where(delisted, _uniform_int(rng, earliest_end, np.full(n, last_row + 1)), last_row + 1)

    # One split or bonus at most, on a session after the security's first, so a prev close exists.
    twin = master["parent_code"].to_numpy() > 0
    eligible = master["instrument_class"].isin(["equity", "sme"]).to_numpy() & ~twin & (end - first >= 2)
    chance = min(0.5, CORPORATE_ACTIONS_PER_YEAR * sessions / _SESSIONS_PER_YEAR)
    acting = eligible & (rng.random(n) < chance)
    ex = np.where(acting, _uniform_int(rng, first + 1, end), -1)
    is_split = rng.random(n) < 0.5
    split = rng.integers(0, len(_SPLITS), n)
    bonus = rng.integers(0, len(_BONUSES), n)
    kind = np.where(acting, np.where(is_split, "split", "bonus"), "").astype(object)
    factor = np.ones(n)
    purpose = np.full(n, "", dtype=object)
    for i in np.flatnonzero(acting):
        factor[i], purpose[i] = _split(*_SPLITS[split[i]]) if is_split[i] else _bonus(*_BONUSES[bonus[i]])

    # A '#' twin lives and splits with its parent.
    parent = np.searchsorted(master["security_code"].to_numpy(), master["parent_code"].to_numpy())
    for column in (first, end, ex, factor, kind, purpose):
        column[twin] = column[parent[twin]]

    # Suspensions last two sessions or more (a month or two, often), with a listed session either side
    # (it trades on both: see _presence), and stay clear of an ex-date and its eve.
    start = _uniform_int(rng, np.maximum(first, 1) + 1, end - 2)
    stop = np.minimum(start + 2 + rng.geometric(0.03, n), end - 1)
    meets_ex = (ex >= 0) & (start <= ex) & (ex - 1 < stop)
    suspended = (rng.random(n) < SUSPENSION_SHARE) & (end - first >= 6) & ~meets_ex
    return _Lifetimes(
        first, end, ex, factor, kind, purpose, np.where(suspended, start, 0), np.where(suspended, stop, 0)
    )


def _split(face_from: int, face_to: int) -> tuple[float, str]:
    def rupees(value: int) -> str:
        return f"Re.{value}/-" if value == 1 else f"Rs.{value}/-"

    return face_to / face_from, f"Stock  Split From {rupees(face_from)} to {rupees(face_to)}"


def _bonus(new: int, held: int) -> tuple[float, str]:
    return held / (held + new), f"Bonus issue {new}:{held}"


def _presence(rng: np.random.Generator, master: pd.DataFrame, life: _Lifetimes, sessions: int) -> np.ndarray:
    """(grid row, security) -> traded. Row 0 is True for securities listed before the first session."""
    rows = np.arange(sessions + 1)[:, None]
    listed = (rows >= life.first) & (rows < life.end)
    suspended = (rows >= life.suspension_start) & (rows < life.suspension_stop)
    trades = rng.random((sessions + 1, len(master))) < master["trading_probability"].to_numpy()
    # Trades on its listing day, its last day before a delisting, an ex-date and the session before,
    # and the sessions before and after a suspension.
    last_before_delisting = np.where(life.end <= sessions, life.end - 1, -1)
    forced = (rows == life.first) | (rows == last_before_delisting) | (rows == life.ex) | (rows == life.ex - 1)
    forced |= (rows == life.suspension_start - 1) | (rows == life.suspension_stop)
    return listed & ~suspended & (trades | forced)


# ---------------------------------------------------------------------------------------------
# Prices and daily bars


def _prices(x: np.ndarray) -> np.ndarray:
    """Rupees and paise, never below one paisa."""
    return np.round(np.maximum(x, _MIN_PRICE), 2)


def _closes(
    rng: np.random.Generator, master: pd.DataFrame, life: _Lifetimes, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Raw closes per (grid row, security), and the return shocks behind them (in sd units). Prices
    move on the days a security trades (BSE's price bands limit each traded day's move), so a thinly
    traded one does not jump by weeks of moves at once."""
    sessions = len(present) - 1
    shocks = rng.standard_normal((sessions + 1, len(master)))
    twin = np.flatnonzero(master["parent_code"].to_numpy() > 0)
    parent = np.searchsorted(master["security_code"].to_numpy(), master["parent_code"].to_numpy()[twin])
    shocks[:, twin] = shocks[:, parent]
    moving = present.copy()
    moving[:, twin] = present[:, parent]
    log_returns = np.where(moving, master["drift"].to_numpy() + master["volatility"].to_numpy() * shocks, 0.0)
    log_returns[0] = 0.0
    adjusted = master["first_price"].to_numpy() * np.exp(np.cumsum(log_returns, axis=0))
    # From its ex-date on, a security's raw price is the adjusted one times the action's factor.
    rows = np.arange(sessions + 1)[:, None]
    raw = adjusted * np.where(rows >= life.ex, life.factor, 1.0)
    return _prices(raw), shocks


def _previous_traded(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per cell, the value at the security's last traded row before it (NaN if none)."""
    rows = np.arange(len(present))[:, None]
    last_traded = np.maximum.accumulate(np.where(present, rows, -1), axis=0)
    before = np.vstack([np.full((1, present.shape[1]), -1), last_traded[:-1]])
    taken = np.take_along_axis(values, np.maximum(before, 0), axis=0)
    return np.where(before >= 0, taken, np.nan)


def _daily_bars(
    rng: np.random.Generator,
    close: np.ndarray,
    sigma: np.ndarray,
    shock: np.ndarray,
    median_trades: np.ndarray,
    trade_value: np.ndarray,
    board_lot: np.ndarray,
) -> dict[str, np.ndarray]:
    """Open/high/low/last, trades, volume and turnover around given closes, one per traded cell."""
    k = len(close)
    trades = np.maximum(1, np.round(median_trades * np.exp(0.6 * rng.standard_normal(k) + 0.4 * np.abs(shock))))
    open_ = _prices(close * np.exp(0.5 * sigma * rng.standard_normal(k)))
    high = _prices(np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(rng.standard_normal(k))))
    low = _prices(np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(rng.standard_normal(k))))
    # BSE's close is a late-session average, so the last trade often differs from it.
    other_last = _prices(close * np.exp(0.15 * sigma * rng.standard_normal(k)))
    last = np.clip(np.where(rng.random(k) < 0.45, other_last, close), low, high)
    single = trades == 1  # one trade: one price
    open_, high, low, last = (np.where(single, close, x) for x in (open_, high, low, last))
    # Shares per trade follow a rupee value, so volume moves inversely to the (raw) price.
    shares = np.round(trades * trade_value * np.exp(0.3 * rng.standard_normal(k)) / close)
    volume = board_lot * np.maximum(trades, np.round(shares / board_lot))  # SME trades whole lots
    average_price = low + (high - low) * rng.beta(2, 2, k)
    return {
        "open": open_, "high": high, "low": low, "close": close, "last": last,
        "num_trades": trades.astype(np.int64), "volume": volume.astype(np.int64),
        "turnover": np.floor(volume * average_price),  # truncated to whole rupees, as BSE's files show
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The market

# What a quote repeats from its security.
_STATIC_COLUMNS = ("security_code", "isin", "symbol", "name", "group", "instrument_type", "instrument_class")


def generate_market(securities: int, sessions: Sequence[dt.date], seed: int = 0) -> SyntheticMarket:
    """A synthetic market of ``securities`` securities over ``sessions`` (trade dates, any order)."""
    days = tuple(sorted(set(sessions)))
    if not days or securities < 1:
        raise ValueError("a market needs at least one session and one security")
    rng = np.random.default_rng(seed)
    master = _securities(rng, securities)
    life = _lifetimes(rng, master, len(days))
    present = _presence(rng, master, life, len(days))
    close, shocks = _closes(rng, master, life, present)
    prev_close = _previous_traded(close, present)

    rows, cells = np.nonzero(present[1:])  # session-major, codes ascending within a session
    rows += 1

    def per_cell(column: str) -> np.ndarray:
        return master[column].to_numpy()[cells]

    bars = _daily_bars(
        rng,
        close[rows, cells],
        per_cell("volatility"),
        shocks[rows, cells],
        per_cell("median_trades"),
        per_cell("trade_value"),
        per_cell("board_lot"),
    )
    session_dates = pd.DatetimeIndex(pd.to_datetime(days)).as_unit("ns")
    columns = {
        "trade_date": session_dates[rows - 1],
        **{c: per_cell(c) for c in _STATIC_COLUMNS},
        **bars,
        "prev_close": prev_close[rows, cells],
        "source_format": SOURCE_FORMAT,
    }
    quotes = pd.DataFrame(columns, columns=list(CLEAN_DTYPES)).astype(CLEAN_DTYPES)

    codes = master["security_code"].to_numpy()
    not_a_time = np.datetime64("NaT", "ns")
    on_grid = np.concatenate([[not_a_time], session_dates.to_numpy(), [not_a_time]])  # grid row -> date
    public = master[[*_STATIC_COLUMNS, "board_lot"]]
    acting = life.ex >= 0
    suspended = life.suspension_stop > life.suspension_start
    return SyntheticMarket(
        sessions=days,
        securities=public.assign(listing_date=on_grid[life.first], delisting_date=on_grid[life.end]),
        quotes=quotes,
        corporate_actions=pd.DataFrame({
            "security_code": codes[acting],
            "ex_date": on_grid[life.ex[acting]],
            "kind": life.kind[acting],
            "purpose": life.purpose[acting],
            "price_factor": life.factor[acting],
            "volume_factor": 1.0 / life.factor[acting],
        }).sort_values(["ex_date", "security_code"], ignore_index=True),
        suspensions=pd.DataFrame({
            "security_code": codes[suspended],
            "first_date": on_grid[life.suspension_start[suspended]],
            "last_date": on_grid[life.suspension_stop[suspended] - 1],
        }),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Bhavcopy files

# English month abbreviations, as BSE writes them: strftime's %b would follow the locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def render_bhavcopy(
    quotes: pd.DataFrame, format_name: str, trade_date: dt.date, *, board_lots: pd.Series | None = None
) -> bytes:
    """One day's quotes (clean schema) as the CSV text of a format in ``formats.FORMATS``.

    CRLF line endings, prices with two decimals, 0.00 for a missing previous close; ``board_lots``
    (by security code; default 1) fills UDiFF's NewBrdLotQty.
    """
    fmt = FORMATS[format_name]
    legacy = fmt in (EQ, EQ_ISINCODE)
    written = quotes.assign(  # the clean columns as the format writes them
        name=quotes["name"].str.upper().str[:12].str.ljust(12) if legacy else quotes["name"].str[:30],
        group=quotes["group"].str.ljust(2) if legacy else quotes["group"],  # "A " in legacy files
        instrument_type=quotes["instrument_type"] if legacy else "STK",  # UDiFF: on every row, bonds and ETFs too
        prev_close=quotes["prev_close"].fillna(0.0),  # 0.00 on a listing day
    )
    average_price = (quotes["turnover"] / quotes["volume"].astype(float)).round(2).clip(quotes["low"], quotes["high"])
    lots = board_lots if board_lots is not None else pd.Series(dtype=np.int64)
    # Columns the clean schema does not read, each written by the formats whose header has it
    # (BSE_EQ_BHAVCOPY has no real sample: only its plainly meant ones are filled); the rest stay empty.
    others = {
        "Sgmt": "CM", "Src": "BSE", "SsnId": "F1", "Ccy": "INR", "SttlmPric": average_price, "AvrgPric": average_price,
        "NewBrdLotQty": quotes["security_code"].map(lots).fillna(1).astype(np.int64),
    }  # fmt: skip
    if fmt.date_column:  # 31-Jan-18 in EQ_ISINCODE, 2024-07-08 in the UDiFF-named formats
        date = trade_date.strftime(fmt.date_formats[0].replace("%b", _MONTHS[trade_date.month - 1]))
        others |= {fmt.date_column: date, "BizDt": date, "RptgDt": date}
    columns = {source: written[clean] for source, clean in fmt.to_clean.items()} | others
    table = pd.DataFrame(columns, index=quotes.index).reindex(columns=list(fmt.header), fill_value="")
    return table.to_csv(index=False, lineterminator="\r\n", float_format="%.2f").encode("ascii")


def published_file(
    quotes: pd.DataFrame, product_name: str, trade_date: dt.date, *, board_lots: pd.Series | None = None
) -> tuple[str, bytes]:
    """The file name BSE publishes a product under for ``trade_date``, and its bytes.

    Zipped products hold one CSV member named as BSE names it (EQ200421.CSV, EQ_ISINCODE_310118.CSV,
    BSE_EQ_BHAVCOPY_05072024.CSV); UDiFF is a plain CSV.
    """
    file_name = PRODUCTS[product_name].file_name(trade_date)
    content = render_bhavcopy(quotes, product_name, trade_date, board_lots=board_lots)
    if not file_name.lower().endswith(".zip"):
        return file_name, content
    member = re.sub(r"(_CSV)?\.zip$", ".CSV", file_name, flags=re.IGNORECASE)
    return file_name, _zipped(member, content, trade_date)


def _zipped(member: str, content: bytes, trade_date: dt.date) -> bytes:
    # A fixed time stamp keeps the bytes reproducible; a real BSE zip was stamped 16:07 on its trade date.
    info = zipfile.ZipInfo(member, date_time=(trade_date.year, trade_date.month, trade_date.day, 16, 7, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0  # built on Windows, and the same bytes whatever platform renders it
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, content)
    return buffer.getvalue()

import datetime as dt

import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.mirror.generator import generate_market

SESSIONS = TradingCalendar().sessions(dt.date(2024, 1, 1), dt.date(2025, 6, 30))


@pytest.fixture(scope="session")
def feature_market():
    """Generated data with splits and bonus issues, suspensions, listings and delistings."""
    market = generate_market(150, SESSIONS, seed=3)
    assert len(market.corporate_actions) >= 5 and len(market.suspensions) >= 3
    return market

"""Fixtures shared across the suite: a small synthetic market served by the BSE mirror on loopback."""

import datetime as dt

import pytest

from bse_platform.calendar import TradingCalendar
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import MirrorSite, serve_mirror

# One session in each product era, then two UDiFF weeks around the 2025-08-27 holiday.
ERA_SESSIONS = (dt.date(2022, 12, 29), dt.date(2023, 6, 1), dt.date(2024, 7, 5))
RECENT_SESSIONS = tuple(TradingCalendar().sessions(dt.date(2025, 8, 18), dt.date(2025, 8, 29)))


@pytest.fixture(scope="session")
def market():
    return generate_market(80, ERA_SESSIONS + RECENT_SESSIONS, seed=11)


@pytest.fixture(scope="session")
def _running_mirror(market):
    with serve_mirror(MirrorSite(market)) as running:
        yield running


@pytest.fixture
def mirror(_running_mirror):
    """The running mirror, with every file published and no faults left over from other tests."""
    site = _running_mirror.site
    site.clear_faults()
    site.published_through = None
    yield _running_mirror
    site.clear_faults()
    site.published_through = None


@pytest.fixture
def instance():
    """A real Dagster instance (SQLite in a temporary folder)."""
    from dagster import instance_for_test

    with instance_for_test() as dagster_instance:
        yield dagster_instance

"""The real HTTP client against the BSE mirror on loopback: URLs, headers, outcomes, retries."""

import datetime as dt
import time

import pytest

from bse_platform.bse import AccessDeniedError, NotPublishedError, SourceUnavailableError, read_raw_bhavcopy
from bse_platform.bse.client import DEFAULT_HEADERS, BseClient
from bse_platform_tests.conftest import ERA_SESSIONS, RECENT_SESSIONS

DAY = RECENT_SESSIONS[0]


def client_for(mirror, **overrides) -> BseClient:
    settings = {"retries": 2, "backoff_seconds": 0.01, "min_interval_seconds": 0.0, "timeout_seconds": 5.0}
    return BseClient(mirror.base_url, **(settings | overrides))


@pytest.mark.parametrize(
    ("trade_date", "file_name", "format_name"),
    [
        (ERA_SESSIONS[0], "EQ_ISINCODE_291222.zip", "eq_isincode"),
        (ERA_SESSIONS[1], "BSE_EQ_BHAVCOPY_01062023.ZIP", "bse_eq_bhavcopy"),
        (ERA_SESSIONS[2], "BSE_EQ_BHAVCOPY_05072024.ZIP", "bse_eq_bhavcopy"),
        (DAY, f"BhavCopy_BSE_CM_0_0_0_{DAY:%Y%m%d}_F_0000.CSV", "udiff"),
    ],
)
def test_fetch_downloads_the_product_of_each_era(mirror, trade_date, file_name, format_name):
    published = client_for(mirror).fetch(trade_date)
    assert published.url == mirror.base_url + file_name
    assert published.file_name == file_name
    assert published.content == mirror.site.content(trade_date)
    raw = read_raw_bhavcopy(published.content, published.file_name)
    assert raw.format.name == format_name
    assert raw.trade_date(trade_date) == trade_date


def test_html_page_served_with_200_is_not_published(mirror):
    mirror.site.published_through = DAY - dt.timedelta(days=1)
    with pytest.raises(NotPublishedError, match="HTML page") as caught:
        client_for(mirror).fetch(DAY)
    assert caught.value.url.endswith(f"{DAY:%Y%m%d}_F_0000.CSV")


def test_real_bse_error_page_is_not_published(mirror, sample_bytes):
    html = sample_bytes("error_responses/EQ180823_CSV.ZIP")
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=html, content_type="application/x-zip-compressed")
    with pytest.raises(NotPublishedError):
        client_for(mirror).fetch(DAY)


def test_404_is_not_published(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 404)
    with pytest.raises(NotPublishedError, match="404"):
        client_for(mirror).fetch(DAY)


def test_403_names_the_headers_bse_wants(mirror):
    bare = {k: v for k, v in DEFAULT_HEADERS.items() if k not in ("Referer", "Accept-Language")}
    with pytest.raises(AccessDeniedError, match="Accept-Language"):
        client_for(mirror, headers=bare).fetch(DAY)


def test_5xx_is_retried_with_backoff_then_succeeds(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 503, times=2)
    assert client_for(mirror, retries=2).fetch(DAY).content == mirror.site.content(DAY)


def test_5xx_beyond_the_retries_is_unavailable(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 503, times=3)
    with pytest.raises(SourceUnavailableError, match="503"):
        client_for(mirror, retries=2).fetch(DAY)


def test_unreachable_server_is_unavailable():
    client = BseClient("http://127.0.0.1:9/download/BhavCopy/Equity/", retries=1, backoff_seconds=0.01,
                       min_interval_seconds=0, timeout_seconds=2)  # fmt: skip
    with pytest.raises(SourceUnavailableError, match="could not be reached"):
        client.fetch(DAY)


def test_requests_are_spaced_by_the_minimum_interval(mirror):
    client = client_for(mirror, min_interval_seconds=0.3)
    started = time.monotonic()
    for day in RECENT_SESSIONS[:3]:
        client.fetch(day)
    assert time.monotonic() - started >= 0.6  # two waits between three requests

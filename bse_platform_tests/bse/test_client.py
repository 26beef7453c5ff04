"""The real HTTP client against the BSE mirror on loopback: URLs, headers, outcomes, retries."""

import datetime as dt
import time

import pandas as pd
import pytest

from bse_platform.bse import AccessDeniedError, NotPublishedError, SourceUnavailableError, read_raw_bhavcopy
from bse_platform.bse.client import DEFAULT_CORPORATE_ACTIONS_URL, DEFAULT_HEADERS, BseClient
from bse_platform.calendar import TradingCalendar
from bse_platform.corporate_actions import corporate_action_factors, read_corporate_actions_export
from bse_platform.mirror import MirrorSite, generate_market, serve_mirror
from bse_platform.mirror.server import CORPORATE_ACTIONS, HTML, SITE_SHELL_PAGE
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


@pytest.mark.parametrize("method", ["fetch", "is_published"])
def test_403_names_the_headers_bse_wants(mirror, method):
    bare = {k: v for k, v in DEFAULT_HEADERS.items() if k not in ("Referer", "Accept-Language")}
    with pytest.raises(AccessDeniedError, match="Accept-Language"):
        getattr(client_for(mirror, headers=bare), method)(DAY)


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


# ---------------------------------------------------------------------------------------------
# The corporate-actions export

FIRST, LAST = RECENT_SESSIONS[0], RECENT_SESSIONS[-1]


def actions_client_for(mirror, **overrides) -> BseClient:
    return client_for(mirror, corporate_actions_url=mirror.corporate_actions_url, **overrides)


def in_range(actions: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    return actions[actions["ex_date"].between(pd.Timestamp(first), pd.Timestamp(last))].reset_index(drop=True)


def test_default_corporate_actions_url_is_bses_export():
    url = BseClient().corporate_actions_url_for(dt.date(2025, 1, 2), dt.date(2025, 1, 31))
    assert url == (
        "https://api.bseindia.com/BseIndiaAPI/api/CorpactCSVDownload/w?scripcode=&Fdate=20250102&TDate=20250131"
        "&Purposecode=&strSearch=S&ddlindustrys=&ddlcategorys=E&segment=0"
    )
    assert BseClient().corporate_actions_url == DEFAULT_CORPORATE_ACTIONS_URL


def test_fetch_corporate_actions_downloads_the_export_for_the_range(mirror, market):
    assert len(in_range(market.corporate_actions, FIRST, LAST)) >= 1
    published = actions_client_for(mirror).fetch_corporate_actions(FIRST, LAST)
    assert published.file_name == f"corporate_actions_{FIRST:%Y%m%d}_{LAST:%Y%m%d}.csv"
    assert published.url == mirror.corporate_actions_url.format(from_date=FIRST, to_date=LAST)
    assert f"Fdate={FIRST:%Y%m%d}&TDate={LAST:%Y%m%d}" in published.url
    assert published.content == mirror.site.corporate_actions_export(FIRST, LAST)
    table = read_corporate_actions_export(published.content, file=published.file_name)
    expected = in_range(market.corporate_actions, FIRST, LAST)
    assert table["security_code"].tolist() == expected["security_code"].tolist()
    assert table["purpose"].tolist() == expected["purpose"].tolist()


@pytest.mark.parametrize(
    ("first", "last"),
    [(ERA_SESSIONS[0], LAST), (FIRST, LAST), (RECENT_SESSIONS[1], LAST), (ERA_SESSIONS[0], ERA_SESSIONS[-1])],
    ids=["everything", "recent", "after-the-first-ex-date", "none"],
)
def test_corporate_actions_round_trip(mirror, market, first, last):
    published = actions_client_for(mirror).fetch_corporate_actions(first, last)
    factors = corporate_action_factors(read_corporate_actions_export(published.content, file=published.file_name))
    columns = ["security_code", "ex_date", "price_factor"]
    pd.testing.assert_frame_equal(factors[columns], in_range(market.corporate_actions, first, last)[columns])


@pytest.fixture(scope="module")
def busy_mirror():
    """Two years of 300 securities: splits and bonus issues of every generated ratio."""
    sessions = TradingCalendar().sessions(dt.date(2023, 1, 2), dt.date(2024, 12, 31))
    busy = generate_market(300, sessions, seed=7)
    with serve_mirror(MirrorSite(busy)) as running:
        yield running


def test_corporate_actions_round_trip_over_two_years(busy_mirror):
    actions = busy_mirror.site.market.corporate_actions
    assert len(actions) >= 10 and actions["purpose"].nunique() >= 5
    client = actions_client_for(busy_mirror)
    columns = ["security_code", "ex_date", "kind", "price_factor", "volume_factor"]
    for start, end in [(dt.date(2023, 1, 1), dt.date(2024, 12, 31)), (dt.date(2023, 7, 1), dt.date(2024, 6, 30))]:
        published = client.fetch_corporate_actions(start, end)
        factors = corporate_action_factors(read_corporate_actions_export(published.content))
        expected = in_range(actions, start, end)
        assert 0 < len(expected)
        pd.testing.assert_frame_equal(factors[columns], expected[columns])
    assert len(factors) < len(actions), "the second range leaves some out"


def test_corporate_actions_403_without_browser_headers(mirror):
    bare = {k: v for k, v in DEFAULT_HEADERS.items() if k not in ("Referer", "Accept-Language")}
    with pytest.raises(AccessDeniedError, match="403"):
        actions_client_for(mirror, headers=bare).fetch_corporate_actions(FIRST, LAST)


def test_corporate_actions_html_page_is_not_published(mirror):
    mirror.site.set_fault(CORPORATE_ACTIONS, 200, body=SITE_SHELL_PAGE, content_type=HTML)
    with pytest.raises(NotPublishedError, match="no corporate actions for .* HTML page") as caught:
        actions_client_for(mirror).fetch_corporate_actions(FIRST, LAST)
    assert f"Fdate={FIRST:%Y%m%d}" in caught.value.url


def test_corporate_actions_404_is_not_published(mirror):
    mirror.site.set_fault(CORPORATE_ACTIONS, 404)
    with pytest.raises(NotPublishedError, match="404"):
        actions_client_for(mirror).fetch_corporate_actions(FIRST, LAST)


def test_corporate_actions_5xx_is_retried_then_unavailable(mirror):
    mirror.site.set_fault(CORPORATE_ACTIONS, 503, times=2)
    client = actions_client_for(mirror, retries=2)
    assert client.fetch_corporate_actions(FIRST, LAST).content == mirror.site.corporate_actions_export(FIRST, LAST)
    mirror.site.set_fault(CORPORATE_ACTIONS, 503, times=3)
    with pytest.raises(SourceUnavailableError, match="503"):
        client.fetch_corporate_actions(FIRST, LAST)


def test_corporate_actions_range_must_not_run_backwards(mirror):
    with pytest.raises(ValueError, match="after"):
        actions_client_for(mirror).fetch_corporate_actions(LAST, FIRST)


def test_corporate_actions_share_the_throttle_with_bhavcopies(mirror):
    client = actions_client_for(mirror, min_interval_seconds=0.3)
    started = time.monotonic()
    client.fetch(DAY)
    client.fetch_corporate_actions(FIRST, LAST)
    client.fetch(RECENT_SESSIONS[1])
    assert time.monotonic() - started >= 0.6  # two waits between three requests


# ---------------------------------------------------------------------------------------------
# is_published: the publication sensor's cheap question


def test_is_published_for_a_served_file(mirror):
    assert client_for(mirror).is_published(DAY) is True
    assert client_for(mirror).is_published(ERA_SESSIONS[0]) is True  # a zipped legacy product too


def test_is_published_is_false_for_the_html_page_of_an_unpublished_day(mirror):
    mirror.site.published_through = DAY - dt.timedelta(days=1)
    assert client_for(mirror).is_published(DAY) is False
    assert client_for(mirror).is_published(dt.date(2025, 8, 27)) is False  # a holiday: no file, HTML with 200


def test_is_published_is_false_for_404_and_for_an_empty_200(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 404)
    assert client_for(mirror).is_published(DAY) is False
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=b"", content_type="text/csv")
    assert client_for(mirror).is_published(DAY) is False


def test_is_published_retries_5xx_then_reports_unavailable(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 503, times=2)
    assert client_for(mirror, retries=2).is_published(DAY) is True
    mirror.site.set_fault(mirror.site.file_name(DAY), 503, times=3)
    with pytest.raises(SourceUnavailableError, match="503"):
        client_for(mirror, retries=2).is_published(DAY)


def test_is_published_on_an_unreachable_server_is_unavailable():
    client = BseClient("http://127.0.0.1:9/download/BhavCopy/Equity/", retries=0, min_interval_seconds=0, timeout_seconds=2)
    with pytest.raises(SourceUnavailableError, match="could not be reached"):
        client.is_published(DAY)


def test_is_published_reads_only_a_prefix_of_the_file():
    """A 20 MB file: the answer comes after reading a few KB, not the whole body."""
    import http.server
    import threading

    sent = []

    class Big(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            size = 20 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"TradDt,BizDt,Sgmt\n" * 4096
            try:
                for _ in range(0, size, len(chunk)):
                    self.wfile.write(chunk)
                    sent.append(len(chunk))
            except OSError:
                pass  # the client hung up after its prefix

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Big)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = BseClient(f"http://127.0.0.1:{server.server_address[1]}/download/BhavCopy/Equity/",
                           retries=0, min_interval_seconds=0, timeout_seconds=5)  # fmt: skip
        assert client.is_published(DAY) is True
        client.close()
        time.sleep(0.2)
        assert sum(sent) < 10 * 1024 * 1024  # the server could not push the whole 20 MB
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------------------------
# Time limits: whatever the server does, a download ends


def test_retry_after_is_capped(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 503, headers={"Retry-After": "3600"}, times=1)
    started = time.monotonic()
    assert client_for(mirror, max_wait_seconds=0.5).fetch(DAY).content == mirror.site.content(DAY)
    assert time.monotonic() - started < 5


def test_a_stalled_server_is_unavailable_within_the_time_out(mirror):
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=b"x", delay_seconds=5, times=None)
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="could not be reached|timed out|Read timed out"):
        client_for(mirror, retries=1, timeout_seconds=1).fetch(DAY)
    assert time.monotonic() - started < 4


def test_a_body_still_arriving_at_the_deadline_is_abandoned(mirror, monkeypatch):
    """A server trickling bytes keeps every read under the time-out; the deadline ends it."""
    from bse_platform.bse import client as client_module

    monkeypatch.setattr(client_module, "_CHUNK_BYTES", 1)
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=b"SC_CODE," * 400_000, times=None)
    with pytest.raises(SourceUnavailableError, match="still arriving 0.2 s after"):
        client_for(mirror, deadline_seconds=0.2).fetch(DAY)


@pytest.mark.parametrize("page", [b"\n" * 10_000 + b"<html></html>", b"<script>location.reload()</script>"])
def test_is_published_recognises_html_however_it_starts(mirror, page):
    mirror.site.set_fault(mirror.site.file_name(DAY), 200, body=page, content_type=HTML)
    assert client_for(mirror).is_published(DAY) is False

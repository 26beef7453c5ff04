"""The mirror over real loopback HTTP: BSE's paths, its HTML-with-200 trap, its firewall, injected faults."""

import csv
import datetime as dt
import io
import signal
import subprocess
import sys
from collections.abc import Iterator

import pandas as pd
import pytest
import requests

from bse_platform.bse import BhavcopyError, parse_bhavcopy
from bse_platform.bse.client import DEFAULT_HEADERS, BseClient, at_mirror
from bse_platform.bse.errors import AccessDeniedError, NotPublishedError
from bse_platform.bse.parser import looks_like_html
from bse_platform.bse.products import DEFAULT_BASE_URL, bhavcopy_url
from bse_platform.calendar import TradingCalendar, ist_datetime
from bse_platform.corporate_actions import corporate_action_factors, read_corporate_actions_export
from bse_platform.mirror import MirrorSite, RunningMirror, SyntheticMarket, generate_market, serve_mirror
from bse_platform.mirror.server import CORPORATE_ACTIONS, CORPORATE_ACTIONS_HEADER, CORPORATE_ACTIONS_PATH

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
    "Referer": "https://www.bseindia.com/",
    "Accept-Language": "en-US,en;q=0.9",
}
LAST_BSE_EQ_BHAVCOPY_DAY = dt.date(2024, 7, 5)  # DEFAULT_ERAS: UDiFF from 2024-07-08
FIRST_UDIFF_DAY = dt.date(2024, 7, 8)
HOLIDAY = dt.date(2024, 7, 17)  # Muharram
SATURDAY = dt.date(2024, 7, 13)
AFTER_THE_MARKET = dt.date(2024, 7, 22)


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return generate_market(150, TradingCalendar().sessions(dt.date(2024, 7, 1), dt.date(2024, 7, 19)), seed=2)


@pytest.fixture
def site(market: SyntheticMarket) -> MirrorSite:
    return MirrorSite(market)


@pytest.fixture
def mirror(site: MirrorSite) -> Iterator[RunningMirror]:
    with serve_mirror(site) as running:
        yield running


def get(mirror: RunningMirror, day: dt.date, headers: dict[str, str] = BROWSER) -> requests.Response:
    return requests.get(bhavcopy_url(day, mirror.base_url), headers=headers, timeout=10)


@pytest.mark.parametrize("day", [LAST_BSE_EQ_BHAVCOPY_DAY, FIRST_UDIFF_DAY], ids=["bse_eq_bhavcopy", "udiff"])
def test_serves_the_file_of_each_era_at_bhavcopy_urls_path(mirror, site, market, day):
    assert mirror.base_url.startswith("http://127.0.0.1:") and mirror.base_url.endswith("/download/BhavCopy/Equity/")
    response = get(mirror, day)
    assert response.status_code == 200
    assert response.content == site.content(day)
    file_name = bhavcopy_url(day).rsplit("/", 1)[1]
    zipped = file_name.lower().endswith(".zip")
    assert response.headers["Content-Type"] == ("application/x-zip-compressed" if zipped else "text/csv")
    parsed = parse_bhavcopy(response.content, file_name, instrument_classes=None)
    assert parsed["security_code"].tolist() == market.day(day)["security_code"].tolist()


@pytest.mark.parametrize("day", [HOLIDAY, SATURDAY, AFTER_THE_MARKET], ids=["holiday", "saturday", "future"])
def test_a_day_without_a_file_gets_bses_html_page_with_200(mirror, day):
    assert day not in TradingCalendar().sessions(dt.date(2024, 7, 1), dt.date(2024, 7, 19))
    response = get(mirror, day)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert response.content.startswith(b"<!DOCTYPE html>") and looks_like_html(response.content)
    assert 12_000 < len(response.content) < 16_000, "about the size of bseindia.com's page shell"


def test_other_products_for_a_date_are_not_there_either(mirror):
    response = requests.get(mirror.base_url + "EQ_ISINCODE_080724.zip", headers=BROWSER, timeout=10)
    assert response.status_code == 200 and looks_like_html(response.content)


def test_unpublished_then_published(mirror, site):
    site.published_through = FIRST_UDIFF_DAY - dt.timedelta(days=1)
    assert looks_like_html(get(mirror, FIRST_UDIFF_DAY).content)
    assert get(mirror, LAST_BSE_EQ_BHAVCOPY_DAY).content == site.content(LAST_BSE_EQ_BHAVCOPY_DAY)
    site.published_through = FIRST_UDIFF_DAY
    assert get(mirror, FIRST_UDIFF_DAY).content == site.content(FIRST_UDIFF_DAY)


def test_a_publication_time_hides_each_days_file_until_then(market):
    day = market.sessions[-1]
    site = MirrorSite(market, publication_time=dt.time(20, 0))
    assert site.is_published(market.sessions[0])  # long past
    assert not site.is_published(day, at=ist_datetime(day, dt.time(19, 59)))
    assert site.is_published(day, at=ist_datetime(day, dt.time(20, 0)))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {k: v for k, v in BROWSER.items() if k != "Referer"},
        {**BROWSER, "Referer": "https://example.com/"},
        {k: v for k, v in BROWSER.items() if k != "Accept-Language"},
        {**BROWSER, "User-Agent": "bse-platform/0.1 (+https://example.com/bot)"},
    ],
    ids=["none", "no-referer", "foreign-referer", "no-accept-language", "url-in-user-agent"],
)
def test_the_firewall_refuses_requests_without_browser_headers(mirror, headers):
    response = get(mirror, FIRST_UDIFF_DAY, headers)
    assert response.status_code == 403 and b"Access Denied" in response.content


def test_headers_are_matched_case_insensitively(site):
    lower = {k.lower(): v for k, v in BROWSER.items()}
    assert site.respond(bhavcopy_url(FIRST_UDIFF_DAY, "/download/BhavCopy/Equity/"), lower).status == 200


@pytest.mark.parametrize("path", ["/", "/download/BhavCopy/Equity/", "/download/BhavCopy/Equity/index.html",
                                  "/download/BhavCopy/Debt/EQ050724_CSV.ZIP"])  # fmt: skip
def test_other_paths_are_404(mirror, path):
    response = requests.get(mirror.base_url.split("/download/")[0] + path, headers=BROWSER, timeout=10)
    assert response.status_code == 404


def test_head_answers_like_get_without_a_body(mirror, site):
    response = requests.head(bhavcopy_url(FIRST_UDIFF_DAY, mirror.base_url), headers=BROWSER, timeout=10)
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["Content-Length"]) == len(site.content(FIRST_UDIFF_DAY))
    refused = requests.head(bhavcopy_url(FIRST_UDIFF_DAY, mirror.base_url), timeout=10)
    assert refused.status_code == 403


def test_injected_503s_then_the_file(mirror, site):
    site.set_fault(site.file_name(FIRST_UDIFF_DAY), status=503, times=2)
    assert [get(mirror, FIRST_UDIFF_DAY).status_code for _ in range(3)] == [503, 503, 200]
    assert get(mirror, FIRST_UDIFF_DAY).content == site.content(FIRST_UDIFF_DAY)


def test_injected_truncated_then_stale_bodies(mirror, site):
    name = site.file_name(FIRST_UDIFF_DAY)
    truncated, stale = site.content(FIRST_UDIFF_DAY)[:1000], site.content(dt.date(2024, 7, 9))
    site.set_fault(name, body=truncated)
    site.set_fault(name, body=stale)
    assert [get(mirror, FIRST_UDIFF_DAY).content for _ in range(3)] == [truncated, stale, site.content(FIRST_UDIFF_DAY)]
    with pytest.raises(BhavcopyError, match="2024-07-09"):
        parse_bhavcopy(stale, name)
    other_file = get(mirror, LAST_BSE_EQ_BHAVCOPY_DAY).content
    assert other_file == site.content(LAST_BSE_EQ_BHAVCOPY_DAY), "other files unaffected"


def test_a_fault_without_a_count_lasts_until_cleared(mirror, site):
    site.set_fault(site.file_name(FIRST_UDIFF_DAY), status=503, times=None)
    assert {get(mirror, FIRST_UDIFF_DAY).status_code for _ in range(3)} == {503}
    site.clear_faults()
    assert get(mirror, FIRST_UDIFF_DAY).status_code == 200


def test_the_real_client_downloads_from_the_mirror(mirror, site):
    client = BseClient(mirror.base_url, retries=3, backoff_seconds=0, min_interval_seconds=0, timeout_seconds=10)
    try:
        assert client.fetch(FIRST_UDIFF_DAY).content == site.content(FIRST_UDIFF_DAY)
        site.set_fault(site.file_name(LAST_BSE_EQ_BHAVCOPY_DAY), status=503, times=2)
        assert client.fetch(LAST_BSE_EQ_BHAVCOPY_DAY).content == site.content(LAST_BSE_EQ_BHAVCOPY_DAY)
        with pytest.raises(NotPublishedError):
            client.fetch(HOLIDAY)
    finally:
        client.close()
    refused = BseClient(mirror.base_url, headers={**DEFAULT_HEADERS, "Referer": ""}, min_interval_seconds=0)
    with pytest.raises(AccessDeniedError):
        refused.fetch(FIRST_UDIFF_DAY)
    refused.close()


def test_the_server_stops_with_its_block(site):
    with serve_mirror(site) as running:
        url = bhavcopy_url(FIRST_UDIFF_DAY, running.base_url)
        assert requests.get(url, headers=BROWSER, timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=BROWSER, timeout=2)


def test_the_command_line_serves_until_interrupted():
    command = [sys.executable, "-m", "bse_platform.mirror", "--securities", "40", "--start", "2024-07-01",
               "--end", "2024-07-05", "--seed", "3", "--port", "0"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        root_url = lines[-1].split("BSE_MIRROR_URL=")[-1].split()[0]  # "In another terminal: BSE_MIRROR_URL=... make ui"
        assert root_url.startswith("http://127.0.0.1:"), lines
        response = requests.get(bhavcopy_url(dt.date(2024, 7, 5), at_mirror(DEFAULT_BASE_URL, root_url)), headers=BROWSER, timeout=10)
        assert response.status_code == 200 and response.content[:2] == b"PK"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr


# ---------------------------------------------------------------------------------------------
# The corporate-actions export (CorpactCSVDownload)

ACTIONS_FROM, ACTIONS_TO = dt.date(2023, 1, 2), dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def busy_market() -> SyntheticMarket:
    """Two years of 300 securities: a dozen or two splits and bonus issues."""
    return generate_market(300, TradingCalendar().sessions(ACTIONS_FROM, ACTIONS_TO), seed=7)


@pytest.fixture
def busy_site(busy_market: SyntheticMarket) -> MirrorSite:
    return MirrorSite(busy_market)


def actions_path(from_date: dt.date, to_date: dt.date, **extra: str) -> str:
    query = "&".join([f"scripcode={extra.pop('scripcode', '')}", f"Fdate={from_date:%Y%m%d}", f"TDate={to_date:%Y%m%d}",
                      "Purposecode=&strSearch=S&ddlindustrys=&ddlcategorys=E&segment=0"])  # fmt: skip
    return f"{CORPORATE_ACTIONS_PATH}?{query}"


def export_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_the_corporate_actions_path_is_bses():
    assert CORPORATE_ACTIONS_PATH == "/BseIndiaAPI/api/CorpactCSVDownload/w"


def test_corporate_actions_export_lists_the_markets_actions_in_the_range(busy_site, busy_market):
    actions = busy_market.corporate_actions
    assert len(actions) >= 10 and set(actions["kind"]) == {"split", "bonus"}
    response = busy_site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO), BROWSER)
    assert response.status == 200 and response.content_type == "text/csv"
    assert response.body.endswith(b"\r\n") and b"\r\n" in response.body.split(b"\r\n", 1)[1]
    header, *rows = export_rows(response.body)
    assert tuple(header) == CORPORATE_ACTIONS_HEADER
    securities = busy_market.securities.set_index("security_code")
    assert [int(row[0]) for row in rows] == actions["security_code"].tolist()
    assert [row[1] for row in rows] == securities.loc[actions["security_code"], "symbol"].tolist()
    assert [row[2] for row in rows] == securities.loc[actions["security_code"], "name"].tolist()
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    assert [row[3] for row in rows] == [f"{d.day:02d} {months[d.month - 1]} {d.year}" for d in actions["ex_date"]]
    assert [row[4] for row in rows] == actions["purpose"].tolist()
    assert all(len(row) == len(header) for row in rows)


def test_corporate_actions_range_is_inclusive(busy_site, busy_market):
    actions = busy_market.corporate_actions
    ex_date = actions["ex_date"].iloc[len(actions) // 2].date()

    def codes(from_date, to_date):
        return [int(row[0]) for row in export_rows(busy_site.respond(actions_path(from_date, to_date), BROWSER).body)[1:]]

    def expected(chosen):
        return actions[chosen]["security_code"].tolist()

    day = pd.Timestamp(ex_date)
    assert codes(ex_date, ex_date) == expected(actions["ex_date"].eq(day)) != []
    assert codes(ACTIONS_FROM, ex_date - dt.timedelta(days=1)) == expected(actions["ex_date"].lt(day))
    assert codes(ex_date + dt.timedelta(days=1), ACTIONS_TO) == expected(actions["ex_date"].gt(day))
    assert codes(ACTIONS_TO, ACTIONS_FROM) == []  # from after to: an export with no rows


def test_corporate_actions_round_trip_through_the_export_parser(busy_site, busy_market):
    body = busy_site.corporate_actions_export(ACTIONS_FROM, ACTIONS_TO)
    assert body == busy_site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO), BROWSER).body
    factors = corporate_action_factors(read_corporate_actions_export(body))
    columns = ["security_code", "ex_date", "kind", "purpose", "price_factor", "volume_factor"]
    pd.testing.assert_frame_equal(factors[columns], busy_market.corporate_actions[columns])


def test_corporate_actions_for_one_scrip(busy_site, busy_market):
    code = int(busy_market.corporate_actions["security_code"].iloc[0])
    rows = export_rows(busy_site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO, scripcode=str(code)), BROWSER).body)[1:]
    assert [int(row[0]) for row in rows] == [code]


def test_corporate_actions_path_and_parameter_names_are_case_insensitive(busy_site, busy_market):
    path = f"/bseindiaapi/API/corpactcsvdownload/W?FDATE={ACTIONS_FROM:%Y%m%d}&tdate={ACTIONS_TO:%Y%m%d}"
    response = busy_site.respond(path, BROWSER)
    assert response.status == 200 and len(export_rows(response.body)) == len(busy_market.corporate_actions) + 1


@pytest.mark.parametrize(
    "query",
    ["", "Fdate=20240101", "Fdate=20240101&TDate=2024-12-31", "Fdate=x&TDate=20241231",
     "Fdate=20240101&TDate=20241231&scripcode=ABC"],
)  # fmt: skip
def test_corporate_actions_without_readable_dates_is_a_bad_request(site, query):
    response = site.respond(f"{CORPORATE_ACTIONS_PATH}?{query}", BROWSER)
    assert response.status == 400 and looks_like_html(response.body)


def test_corporate_actions_behind_the_firewall(site):
    assert site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO), {}).status == 403
    assert site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO), {"Accept-Language": "en"}).status == 403
    assert site.respond(actions_path(ACTIONS_FROM, ACTIONS_TO), BROWSER).status == 200


def test_corporate_actions_faults_are_injected_by_name(mirror, site):
    url = mirror.corporate_actions_url.format(from_date=ACTIONS_FROM, to_date=ACTIONS_TO)
    site.set_fault(CORPORATE_ACTIONS, status=503, times=2)
    site.set_fault(CORPORATE_ACTIONS, body=b"truncated", content_type="text/csv")
    answers = [requests.get(url, headers=BROWSER, timeout=10) for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 503, 200, 200]
    assert answers[2].content == b"truncated"
    assert answers[3].content == site.corporate_actions_export(ACTIONS_FROM, ACTIONS_TO)
    site.set_fault(CORPORATE_ACTIONS, status=503, times=None)
    assert get(mirror, FIRST_UDIFF_DAY).status_code == 200, "bhavcopies unaffected"
    assert requests.get(url, headers=BROWSER, timeout=10).status_code == 503
    site.clear_faults()
    assert requests.get(url, headers=BROWSER, timeout=10).status_code == 200
    site.set_fault(site.file_name(FIRST_UDIFF_DAY), status=503, times=None)
    assert requests.get(url, headers=BROWSER, timeout=10).status_code == 200, "a bhavcopy's fault is its own"


def test_running_mirror_serves_corporate_actions_at_its_url_template(mirror, site, market):
    template = mirror.corporate_actions_url
    assert template.startswith(f"http://127.0.0.1:{mirror.port}/BseIndiaAPI/api/CorpactCSVDownload/w?")
    assert "Fdate={from_date:%Y%m%d}" in template and "TDate={to_date:%Y%m%d}" in template
    first, last = market.sessions[0], market.sessions[-1]
    response = requests.get(template.format(from_date=first, to_date=last), headers=BROWSER, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv"
    assert response.content == site.corporate_actions_export(first, last)
    assert requests.get(template.format(from_date=first, to_date=last), timeout=10).status_code == 403

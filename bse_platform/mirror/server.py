"""A stand-in for BSE's download site, serving a synthetic market's bhavcopies over loopback HTTP.

``MirrorSite`` decides every answer without sockets (so tests can also call it directly); it
behaves as BSE reportedly does: the file at the path ``products.bhavcopy_url`` names, an HTML page
with status 200 for a bhavcopy it has no file for (holidays, future or unpublished days), 403 from
the "web firewall" unless the request carries browser-like headers, and whatever faults a test
injects. It also answers BSE's corporate-actions export (``CorpactCSVDownload``) with the market's
splits and bonus issues whose ex-date is in the requested range. ``serve_mirror`` puts a site on a
loopback port for the real client to download from.
"""

import csv
import datetime as dt
import html
import io
import http
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from bse_platform.bse.client import DEFAULT_CORPORATE_ACTIONS_URL, at_mirror
from bse_platform.calendar import ist_datetime
from bse_platform.bse.products import DEFAULT_BASE_URL, DEFAULT_ERAS, PRODUCTS, Era, product_for
from bse_platform.mirror.generator import SyntheticMarket, published_file

BASE_PATH = urlsplit(DEFAULT_BASE_URL).path  # /download/BhavCopy/Equity/
REQUIRED_REFERER_PREFIX = "https://www.bseindia.com/"
HTML = "text/html; charset=utf-8"
_CONTENT_TYPES = {".zip": "application/x-zip-compressed", ".csv": "text/csv"}

CORPORATE_ACTIONS_PATH = urlsplit(DEFAULT_CORPORATE_ACTIONS_URL).path  # /BseIndiaAPI/api/CorpactCSVDownload/w
CORPORATE_ACTIONS = "corporate_actions"  # the name ``set_fault`` takes for the corporate-actions export
CORPORATE_ACTIONS_HEADER = (
    "Security Code", "Security Name", "Company Name", "Ex Date", "Purpose", "Record Date",
    "BC Start Date", "BC End Date", "ND Start Date", "ND End Date", "Actual Payment Date",
)  # fmt: skip
# English month abbreviations, as BSE writes them ("02 Jan 2025"): strftime's %b would follow the locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MirrorResponse(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers (Retry-After, say)
    delay_seconds: float = 0.0  # wait this long before answering (a stalled server)


@dataclass
class _Fault:
    response: MirrorResponse
    remaining: int | None  # None: until cleared


class MirrorSite:
    """BSE's bhavcopy downloads for ``market``: the product ``eras`` name for each session.

    ``published_through`` (None: every session) hides later sessions' files, as before publication;
    ``publication_time`` (IST; None: at once) hides each session's file until that time of its day.
    ``require_browser_headers`` answers 403 to requests without ``Referer: https://www.bseindia.com/...``
    and ``Accept-Language``, or whose user agent contains a URL (BSE's firewall since Sept 2026).
    """

    def __init__(
        self,
        market: SyntheticMarket,
        eras: Sequence[Era] = DEFAULT_ERAS,
        *,
        published_through: dt.date | None = None,
        publication_time: dt.time | None = None,
        require_browser_headers: bool = True,
    ):
        self.market = market
        self.eras = tuple(eras)
        self.published_through = published_through
        self.publication_time = publication_time
        self.require_browser_headers = require_browser_headers
        self._board_lots = market.board_lots
        # IIS, which serves BSE's files, matches paths case-insensitively.
        self._session_of = {self.file_name(day).lower(): day for day in market.sessions if self._covered(day)}
        self._sessions = frozenset(self._session_of.values())
        self._files: dict[dt.date, bytes] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._lock = threading.Lock()

    def _covered(self, day: dt.date) -> bool:
        return any(era.first_date <= day for era in self.eras)

    def file_name(self, trade_date: dt.date) -> str:
        return product_for(trade_date, self.eras).file_name(trade_date)

    def content(self, trade_date: dt.date) -> bytes:
        """The bytes published for a session (rendered on first use, then kept)."""
        with self._lock:
            if trade_date not in self._files:
                product = product_for(trade_date, self.eras).name
                _, self._files[trade_date] = published_file(
                    self.market.day(trade_date), product, trade_date, board_lots=self._board_lots
                )
            return self._files[trade_date]

    def is_published(self, trade_date: dt.date, at: dt.datetime | None = None) -> bool:
        """Whether the file of ``trade_date`` is served at ``at`` (default: now)."""
        at = at or dt.datetime.now(dt.timezone.utc)
        return (
            trade_date in self._sessions
            and (self.published_through is None or trade_date <= self.published_through)
            and (self.publication_time is None or ist_datetime(trade_date, self.publication_time) <= at)
        )

    def set_fault(
        self,
        file_name: str,
        status: int | None = None,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next ``times`` requests for ``file_name`` (None: all, until cleared) like this.

        ``file_name`` is a bhavcopy's file name, or ``CORPORATE_ACTIONS`` for the corporate-actions export.

        ``status`` defaults to 200 with a ``body`` (a truncated or stale file, say), else 503.
        ``headers`` are sent too (``Retry-After``, say); ``delay_seconds`` holds the answer back.
        Faults queue up per file name in the order they are set, then normal answers resume.
        """
        status = status if status is not None else (200 if body is not None else 503)
        if body is None:
            body = _status_page(status)
        content_type = content_type or (_content_type(file_name) if status == 200 else HTML)
        response = MirrorResponse(status, content_type, body, tuple((headers or {}).items()), delay_seconds)
        with self._lock:
            queue = self._faults.setdefault(file_name.lower(), deque())
            queue.append(_Fault(response, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def respond(self, path: str, headers: Mapping[str, str]) -> MirrorResponse:
        """The answer to a GET (or HEAD: the same without the body) of ``path``."""
        url = urlsplit(path)
        path = unquote(url.path)
        if self.require_browser_headers and not _browser_like({k.lower(): v for k, v in headers.items()}):
            return MirrorResponse(403, HTML, _access_denied_page(path))
        if path.lower() == CORPORATE_ACTIONS_PATH.lower():
            return self._respond_corporate_actions(url.query)
        file_name = path[len(BASE_PATH) :] if path.startswith(BASE_PATH) else ""
        if "/" in file_name or not any(p.name_pattern.fullmatch(file_name) for p in PRODUCTS.values()):
            return MirrorResponse(404, HTML, _NOT_FOUND_PAGE)
        fault = self._next_fault(file_name)
        if fault is not None:
            return fault
        trade_date = self._session_of.get(file_name.lower())
        if trade_date is None or not self.is_published(trade_date):
            return MirrorResponse(200, HTML, SITE_SHELL_PAGE)  # what BSE serves for a missing file
        return MirrorResponse(200, _content_type(file_name), self.content(trade_date))

    def corporate_actions_export(
        self, from_date: dt.date, to_date: dt.date, *, security_code: int | None = None
    ) -> bytes:
        """The corporate-actions CSV export BSE would serve for ex-dates ``from_date``..``to_date``.

        One row per action of the market (optionally of one security), by ex-date then code: Security
        Name is the short name (the market's symbol), Company Name the full name, Record Date the
        ex-date (T+1 settlement), the book-closure, no-delivery and payment dates empty.
        """
        actions = self.market.corporate_actions
        chosen = actions["ex_date"].between(pd.Timestamp(from_date), pd.Timestamp(to_date))
        if security_code is not None:
            chosen &= actions["security_code"].eq(security_code)
        securities = self.market.securities.set_index("security_code")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CORPORATE_ACTIONS_HEADER)
        for action in actions[chosen].sort_values(["ex_date", "security_code"]).itertuples():
            security = securities.loc[action.security_code]
            ex_date = f"{action.ex_date.day:02d} {_MONTHS[action.ex_date.month - 1]} {action.ex_date.year}"
            writer.writerow(
                [action.security_code, security["symbol"], security["name"], ex_date, action.purpose, ex_date]
                + [""] * 5
            )
        return buffer.getvalue().encode("utf-8")

    def _respond_corporate_actions(self, query: str) -> MirrorResponse:
        # ASP.NET binds query parameters case-insensitively.
        params = {name.lower(): value.strip() for name, value in parse_qsl(query, keep_blank_values=True)}
        try:
            from_date = dt.datetime.strptime(params.get("fdate", ""), "%Y%m%d").date()
            to_date = dt.datetime.strptime(params.get("tdate", ""), "%Y%m%d").date()
            scrip_code = int(params["scripcode"]) if params.get("scripcode") else None
        except ValueError:
            return MirrorResponse(400, HTML, _status_page(400))
        fault = self._next_fault(CORPORATE_ACTIONS)
        if fault is not None:
            return fault
        export = self.corporate_actions_export(from_date, to_date, security_code=scrip_code)
        return MirrorResponse(200, "text/csv", export)

    def _next_fault(self, file_name: str) -> MirrorResponse | None:
        with self._lock:
            queue = self._faults.get(file_name.lower())
            if not queue:
                return None
            fault = queue[0]
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
            return fault.response


def _browser_like(headers: Mapping[str, str]) -> bool:
    return (
        headers.get("referer", "").startswith(REQUIRED_REFERER_PREFIX)
        and bool(headers.get("accept-language"))
        and "://" not in headers.get("user-agent", "")
    )


def _content_type(file_name: str) -> str:
    return _CONTENT_TYPES.get(file_name.lower()[-4:], "application/octet-stream")


# ---------------------------------------------------------------------------------------------
# Pages


def _status_page(status: int) -> bytes:
    phrase = http.HTTPStatus(status).phrase
    return f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>".encode()


def _access_denied_page(path: str) -> bytes:
    """The Akamai-style block page a web firewall serves."""
    return (
        "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>\n"
        f'You don\'t have permission to access "http://www.bseindia.com{html.escape(path)}" on this server.\n'
        "</BODY></HTML>\n"
    ).encode()


# What BSE serves, with status 200, for a file it does not have: bseindia.com's page shell, some
# 14 KB of HTML. The repeated comment stands in for the real page's menus, scripts and footer.
SITE_SHELL_PAGE = (
    '<!DOCTYPE html>\r\n<html lang="en" ng-app="BSEApp">\r\n<head><meta charset="utf-8" />\r\n'
    "<title>BSE (formerly Bombay Stock Exchange) | Stock Share Price | Get Quotes | Indices | Sensex</title>\r\n"
    '</head>\r\n<body ng-controller="MainCtrl">\r\n<div id="content" class="container-fluid" ng-view></div>\r\n'
    + "<!-- navigation menus, scripts and footer of the site shell -->\r\n" * 210
    + "</body>\r\n</html>\r\n"
).encode()
_NOT_FOUND_PAGE = (
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
    b"<html><head><title>404 - File or directory not found.</title></head><body><div id=\"content\">"
    b"<h2>404 - File or directory not found.</h2><h3>The resource you are looking for might have been removed, "
    b"had its name changed, or is temporarily unavailable.</h3></div></body></html>"
)


# ---------------------------------------------------------------------------------------------
# HTTP


class _MirrorServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], site: MirrorSite):
        self.site = site
        super().__init__(address, _MirrorHandler)

    def handle_error(self, request, client_address) -> None:
        # A client hanging up mid-answer is routine (time-outs, aborted downloads); stay quiet.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _MirrorHandler(BaseHTTPRequestHandler):
    server: _MirrorServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's session expects

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        response = self.server.site.respond(self.path, dict(self.headers.items()))
        time.sleep(response.delay_seconds)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        """No request lines on stderr."""


@dataclass(frozen=True)
class RunningMirror:
    site: MirrorSite
    host: str
    port: int

    @property
    def root_url(self) -> str:
        """What ``BSE_MIRROR_URL`` (the ``bse`` resource's ``mirror_url``) is set to for this mirror."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Stands in for ``products.DEFAULT_BASE_URL``."""
        return at_mirror(DEFAULT_BASE_URL, self.root_url)

    @property
    def corporate_actions_url(self) -> str:
        """Stands in for ``client.DEFAULT_CORPORATE_ACTIONS_URL`` (``BseClient(corporate_actions_url=...)``)."""
        return at_mirror(DEFAULT_CORPORATE_ACTIONS_URL, self.root_url)


@contextmanager
def serve_mirror(site: MirrorSite, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningMirror]:
    """Serve ``site`` on ``host:port`` (0: a free port) from a daemon thread until the block ends."""
    server = _MirrorServer((host, port), site)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="bse-mirror"
    )
    thread.start()
    try:
        yield RunningMirror(site, host, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

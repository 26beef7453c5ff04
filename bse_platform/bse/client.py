"""HTTP client for BSE's bhavcopy downloads: polite, retrying, and precise about what went wrong.

BSE's web firewall wants browser-like headers (Accept-Language, Referer); a missing or unpublished
file comes back as 404 or, more often, as an HTML page with status 200. Those are "not published",
told apart from refusals (403) and outages (5xx, time-outs) that outlasted the retries. Whether a
served file is broken or stale is for the parser to say (``read_raw_bhavcopy(...).trade_date``).
The corporate-actions export (``fetch_corporate_actions``) goes the same way and means the same.
"""

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bse_platform.bse.errors import AccessDeniedError, NotPublishedError, SourceUnavailableError
from bse_platform.bse.parser import looks_like_html
from bse_platform.bse.products import DEFAULT_BASE_URL, DEFAULT_ERAS, Era, bhavcopy_url

# A user agent that contains a URL is blocked, so this one names a plain desktop browser.
DEFAULT_HEADERS: Mapping[str, str] = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate",
    "Referer": "https://www.bseindia.com/",
}

_RETRIED_STATUSES = (429, 500, 502, 503, 504)

# BSE's corporate-actions CSV export (BSE_FORMATS.md), for ex-dates from_date..to_date inclusive;
# a template for ``str.format(from_date=..., to_date=...)``.
DEFAULT_CORPORATE_ACTIONS_URL = (
    "https://api.bseindia.com/BseIndiaAPI/api/CorpactCSVDownload/w?scripcode="
    "&Fdate={from_date:%Y%m%d}&TDate={to_date:%Y%m%d}&Purposecode=&strSearch=S&ddlindustrys=&ddlcategorys=E&segment=0"
)


def at_mirror(url: str, mirror_url: str) -> str:
    """One of BSE's URLs at the same path and query on a mirror rooted at ``mirror_url``."""
    mirror, real = urlsplit(mirror_url), urlsplit(url)
    return urlunsplit((mirror.scheme, mirror.netloc, mirror.path.rstrip("/") + real.path, real.query, ""))


@dataclass(frozen=True)
class PublishedFile:
    url: str
    file_name: str
    content: bytes


class BseClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        headers: Mapping[str, str] = DEFAULT_HEADERS,
        eras: Sequence[Era] = DEFAULT_ERAS,
        timeout_seconds: float = 30.0,
        retries: int = 4,
        backoff_seconds: float = 2.0,
        min_interval_seconds: float = 1.0,
        corporate_actions_url: str = DEFAULT_CORPORATE_ACTIONS_URL,
    ):
        self.base_url = base_url
        self.corporate_actions_url = corporate_actions_url
        self.eras = tuple(eras)
        self.timeout_seconds = timeout_seconds
        self.min_interval_seconds = min_interval_seconds
        self._session = requests.Session()
        self._session.headers.update(headers)
        retry = Retry(
            total=retries,
            backoff_factor=backoff_seconds,
            status_forcelist=_RETRIED_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._throttle_lock = threading.Lock()
        self._last_request_at = 0.0

    def url_for(self, trade_date) -> str:
        return bhavcopy_url(trade_date, self.base_url, self.eras)

    def fetch(self, trade_date) -> PublishedFile:
        """The file BSE publishes for ``trade_date``, as served; raises a ``BseSourceError`` if none."""
        url = self.url_for(trade_date)
        content = self._checked(self._get(url), url, f"bhavcopy for {trade_date}")
        return PublishedFile(url, PurePosixPath(urlsplit(url).path).name, content)

    def is_published(self, trade_date, *, prefix_bytes: int = 4096) -> bool:
        """Whether BSE serves ``trade_date``'s bhavcopy yet, without downloading it.

        A streamed GET that reads only the first ``prefix_bytes`` (BSE does not answer HEAD reliably):
        True for a 200 that is not an HTML page; False for 404, an HTML page with 200, or an empty
        body; ``AccessDeniedError`` for 403 and ``SourceUnavailableError`` when 5xx or connection
        errors outlast the retries (the same outcomes as ``fetch``).
        """
        url = self.url_for(trade_date)
        with self._get(url, stream=True) as response:
            if response.status_code != 200:
                try:
                    self._checked(response, url, f"bhavcopy for {trade_date}")  # raises for every non-200
                except NotPublishedError:
                    return False
            try:
                prefix = next(response.iter_content(chunk_size=prefix_bytes), b"")
            except requests.RequestException as error:
                raise SourceUnavailableError(f"BSE broke off the answer: {error}", url) from error
            return bool(prefix) and not looks_like_html(prefix)

    def corporate_actions_url_for(self, from_date, to_date) -> str:
        return self.corporate_actions_url.format(from_date=from_date, to_date=to_date)

    def fetch_corporate_actions(self, from_date, to_date) -> PublishedFile:
        """BSE's corporate-actions CSV export for ex-dates ``from_date``..``to_date`` (inclusive), as
        served (``corporate_actions.read_corporate_actions_export`` reads it); raises a
        ``BseSourceError`` if BSE serves none."""
        if from_date > to_date:
            raise ValueError(f"from_date {from_date} is after to_date {to_date}")
        url = self.corporate_actions_url_for(from_date, to_date)
        content = self._checked(self._get(url), url, f"corporate actions for {from_date}..{to_date}")
        return PublishedFile(url, f"corporate_actions_{from_date:%Y%m%d}_{to_date:%Y%m%d}.csv", content)

    def _checked(self, response: requests.Response, url: str, what: str) -> bytes:
        """The body of a 200 that is not an HTML page; otherwise the ``BseSourceError`` it means."""
        if response.status_code == 404:
            raise NotPublishedError(f"no {what} yet: BSE answered 404", url)
        if response.status_code == 403:
            raise AccessDeniedError(
                "BSE refused the download (403): its firewall wants browser-like request headers "
                "(Accept-Language, Referer: https://www.bseindia.com/) and a user agent without a URL",
                url,
            )
        if response.status_code in _RETRIED_STATUSES:
            raise SourceUnavailableError(f"BSE answered {response.status_code} after retries", url)
        if response.status_code != 200:
            raise SourceUnavailableError(f"unexpected HTTP {response.status_code} from BSE", url)
        if looks_like_html(response.content):
            raise NotPublishedError(f"no {what} yet: BSE served an HTML page instead of the file", url)
        return response.content

    def close(self) -> None:
        self._session.close()

    def _get(self, url: str, *, stream: bool = False) -> requests.Response:
        self._wait_turn()
        try:
            return self._session.get(url, timeout=self.timeout_seconds, stream=stream)
        except requests.RequestException as error:
            raise SourceUnavailableError(f"BSE could not be reached: {error}", url) from error

    def _wait_turn(self) -> None:
        """Keep at least ``min_interval_seconds`` between requests (BSE blocks impatient clients)."""
        with self._throttle_lock:
            wait = self._last_request_at + self.min_interval_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request_at = time.monotonic()

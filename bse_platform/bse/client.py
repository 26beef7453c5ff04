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
_CHUNK_BYTES = 64 * 1024
_MAX_PROBE_BYTES = 256 * 1024  # is_published reads no further than this for the first non-blank byte

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
        max_wait_seconds: float = 30.0,
        deadline_seconds: float = 300.0,
        min_interval_seconds: float = 1.0,
        corporate_actions_url: str = DEFAULT_CORPORATE_ACTIONS_URL,
    ):
        """``timeout_seconds`` bounds each connection and each read; a retry waits the backoff or the
        server's Retry-After, at most ``max_wait_seconds``; a download whose body is still arriving
        ``deadline_seconds`` after it started is abandoned. So a download ends within about
        (retries + 1) x timeout + retries x max_wait + deadline, whatever the server does."""
        self.base_url = base_url
        self.corporate_actions_url = corporate_actions_url
        self.eras = tuple(eras)
        self.timeout_seconds = timeout_seconds
        self.deadline_seconds = deadline_seconds
        self.min_interval_seconds = min_interval_seconds
        self._session = requests.Session()
        self._session.headers.update(headers)
        retry = Retry(
            total=retries,
            backoff_factor=backoff_seconds,
            backoff_max=max_wait_seconds,
            status_forcelist=_RETRIED_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            retry_after_max=max_wait_seconds,
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
        content = self._download(url, f"bhavcopy for {trade_date}")
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
            try:
                self._raise_for_status(response, url, f"bhavcopy for {trade_date}")
            except NotPublishedError:
                return False
            prefix = b""
            try:  # up to the first bytes that are not blank (an HTML page may start with many blank lines)
                for chunk in response.iter_content(chunk_size=prefix_bytes):
                    prefix += chunk
                    if prefix.strip() or len(prefix) >= _MAX_PROBE_BYTES:
                        break
            except requests.RequestException as error:
                raise SourceUnavailableError(f"BSE broke off the answer: {error}", url) from error
            return bool(prefix.strip()) and not looks_like_html(prefix)

    def corporate_actions_url_for(self, from_date, to_date) -> str:
        return self.corporate_actions_url.format(from_date=from_date, to_date=to_date)

    def fetch_corporate_actions(self, from_date, to_date) -> PublishedFile:
        """BSE's corporate-actions CSV export for ex-dates ``from_date``..``to_date`` (inclusive), as
        served (``corporate_actions.read_corporate_actions_export`` reads it); raises a
        ``BseSourceError`` if BSE serves none."""
        if from_date > to_date:
            raise ValueError(f"from_date {from_date} is after to_date {to_date}")
        url = self.corporate_actions_url_for(from_date, to_date)
        content = self._download(url, f"corporate actions for {from_date}..{to_date}")
        return PublishedFile(url, f"corporate_actions_{from_date:%Y%m%d}_{to_date:%Y%m%d}.csv", content)

    def _download(self, url: str, what: str) -> bytes:
        """The body of a 200 that is not an HTML page, read within the deadline; otherwise the
        ``BseSourceError`` it means."""
        started = time.monotonic()
        with self._get(url, stream=True) as response:
            self._raise_for_status(response, url, what)
            chunks = []
            try:
                for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                    chunks.append(chunk)
                    if time.monotonic() - started > self.deadline_seconds:
                        raise SourceUnavailableError(
                            f"{what}: still arriving {self.deadline_seconds:g} s after the download started (a stalled answer)", url
                        )
            except requests.RequestException as error:
                raise SourceUnavailableError(f"BSE broke off the answer: {error}", url) from error
        content = b"".join(chunks)
        if looks_like_html(content):
            raise NotPublishedError(f"no {what} yet: BSE served an HTML page instead of the file", url)
        return content

    def _raise_for_status(self, response: requests.Response, url: str, what: str) -> None:
        """The ``BseSourceError`` a status other than 200 means."""
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

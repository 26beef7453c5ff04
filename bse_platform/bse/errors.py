"""What can go wrong between the exchange and a clean table, one class per distinct outcome.

``BseSourceError``s mean the exchange handed over no file; ``BhavcopyError``s mean it did, but the
file is unusable (broken) or is not the requested day's file (stale).
"""

import datetime as dt


class BseSourceError(Exception):
    """The exchange did not serve a file for the request."""

    def __init__(self, message: str, url: str):
        super().__init__(f"{message} ({url})")
        self.url = url


class NotPublishedError(BseSourceError):
    """404, or an HTML page served with 200: BSE has no file at that URL (yet)."""


class AccessDeniedError(BseSourceError):
    """403 from BSE's web firewall: usually missing or wrong browser-like request headers."""


class SourceUnavailableError(BseSourceError):
    """5xx, time-outs or connection errors that outlasted the retries."""


class BhavcopyError(ValueError):
    """A file that cannot become the clean table. Names the file and, where known, the line."""

    def __init__(self, problem: str, *, file: str | None, line: int | None = None):
        self.problem = problem
        self.file = file or "<bhavcopy>"
        self.line = line
        where = self.file if line is None else f"{self.file} line {line}"
        super().__init__(f"{where}: {problem}")


class BrokenBhavcopyError(BhavcopyError):
    """Published but broken: not a bhavcopy, unknown header, bad values, too many bad rows."""


class StaleBhavcopyError(BhavcopyError):
    """A well-formed bhavcopy for another trade date than the one requested."""

    def __init__(self, *, file: str | None, found: dt.date, requested: dt.date, source: str):
        super().__init__(
            f"stale file: its {source} says trade date {found}, but {requested} was requested",
            file=file,
        )
        self.found = found
        self.requested = requested

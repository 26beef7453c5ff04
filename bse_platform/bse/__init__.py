"""The exchange side: BSE's bhavcopy products, formats, HTTP client and parser. No Dagster here."""

from bse_platform.bse.errors import (
    AccessDeniedError,
    BhavcopyError,
    BrokenBhavcopyError,
    BseSourceError,
    NotPublishedError,
    SourceUnavailableError,
    StaleBhavcopyError,
)
from bse_platform.bse.parser import ParsedBhavcopy, RawBhavcopy, parse_bhavcopy, read_bhavcopy, read_raw_bhavcopy

__all__ = [
    "AccessDeniedError",
    "BhavcopyError",
    "BrokenBhavcopyError",
    "BseSourceError",
    "NotPublishedError",
    "ParsedBhavcopy",
    "RawBhavcopy",
    "SourceUnavailableError",
    "StaleBhavcopyError",
    "parse_bhavcopy",
    "read_bhavcopy",
    "read_raw_bhavcopy",
]

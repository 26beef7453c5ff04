"""Real BSE sample files for the parser tests, read from ``../shared/bse-samples`` beside the repo.

The samples are never copied into the repo: tests that need them skip when the folder is absent.
"""

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

SAMPLES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "bse-samples"
SAMPLES_MISSING = "../shared/bse-samples not found: real BSE sample files live beside the repo, not in it"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip(SAMPLES_MISSING)
    return SAMPLES_DIR.resolve()


@pytest.fixture(scope="session")
def sample_bytes(samples_dir: Path) -> Callable[[str], bytes]:
    """The bytes of a sample, by its path relative to the samples folder."""

    def read(relative: str) -> bytes:
        return (samples_dir / relative).read_bytes()

    return read


def csv_text(content: bytes) -> str:
    """The CSV text of a sample, unzipped and decoded by the standard library alone (a test oracle)."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            (member,) = archive.namelist()
            content = archive.read(member)
    return content.decode("utf-8-sig")


def csv_rows(content: bytes) -> list[dict[str, str]]:
    """A sample's data rows as dicts under its header, read with ``csv`` only (no project code)."""
    lines = [line for line in csv_text(content).splitlines() if line.strip()]
    return list(csv.DictReader(lines))


def crlf_lines(content: bytes) -> list[bytes]:
    """A CRLF file's lines without their line ends (the last, empty piece dropped)."""
    lines = content.split(b"\r\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines

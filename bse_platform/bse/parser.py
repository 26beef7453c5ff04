"""Bhavcopy bytes to the clean table, in two steps a caller can also take one at a time.

``read_raw_bhavcopy`` unzips, decodes and splits the rows under the file's own header, detects the
format and reads the date the file carries: what a check of the raw file needs.
``read_bhavcopy`` then types and renames the rows onto the clean schema, classifies instruments
and validates the result. ``parse_bhavcopy`` is the one-call public entry.

Row labels are the file's line numbers (the header is line 1), so every error names a line.
"""

import csv
import datetime as dt
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from bse_platform.bse.errors import BrokenBhavcopyError, StaleBhavcopyError
from bse_platform.bse.formats import BhavcopyFormat, detect_format
from bse_platform.bse.instruments import classify_instruments
from bse_platform.bse.products import date_from_file_name
from bse_platform.clean_schema import CLEAN_DTYPES, EQUITY_CLASSES, TEXT_COLUMNS, clean_bhavcopy_schema
from bse_platform.validation import ValidationReport, validate

log = logging.getLogger(__name__)

# Rows with the wrong field count are skipped and reported; past this share the file fails.
DEFAULT_MAX_BAD_ROW_SHARE = 0.01
# Beyond these a file is no bhavcopy (real ones are 0.2-1 MB of CSV, zipped about 3 to 1): a zip
# bomb or a runaway file fails fast, before it is read into memory.
DEFAULT_MAX_CSV_BYTES = 64 * 2**20
DEFAULT_MAX_COMPRESSION_RATIO = 50

_LINE_ENDS = re.compile(r"\r+\n|\r")
_INTEGER_COLUMNS = ("security_code", "num_trades", "volume")
_PRICE_COLUMNS = ("open", "high", "low", "close", "last", "prev_close")


def looks_like_html(content: bytes) -> bool:
    """BSE answers a missing, unpublished or blocked file with an HTML page (often with HTTP 200),
    however it starts: blank lines, a comment, a bare <script> challenge. A CSV never starts with '<'."""
    return content.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class RawBhavcopy:
    """A bhavcopy split into rows under its own header, as published (text, trimmed)."""

    file: str  # how messages name it: the file name, plus the zip member
    file_name: str | None  # the name it was downloaded or saved under
    member_name: str | None  # the CSV inside, when it came zipped
    format: BhavcopyFormat
    table: pd.DataFrame  # the columns the clean table is made of; index = line number
    date_inside: dt.date | None  # from the format's date column, if it has one
    skipped_rows: tuple[SkippedRow, ...]
    ignored_columns: tuple[str, ...]

    def trade_date(self, requested: dt.date | None = None) -> dt.date:
        """The file's trade date: from its content (date column, zip member name), else its BSE file
        name, else ``requested``.

        A file whose content is of another date than ``requested`` is stale (BSE re-serves old files
        under the new day's name); content that disagrees with itself, or with a name that is not the
        requested date's, is broken.
        """
        inside = [(f"{self.format.date_column} column", self.date_inside)]
        if self.member_name:
            inside.append((f"zip member {self.member_name}", date_from_file_name(self.member_name)))
        inside = [(source, day) for source, day in inside if day is not None]
        named = date_from_file_name(self.file_name) if self.file_name else None
        if len({day for _, day in inside}) > 1:
            said = ", ".join(f"{source} says {day}" for source, day in inside)
            raise BrokenBhavcopyError(f"the file disagrees with itself about its trade date: {said}", file=self.file)
        if inside:
            source, found = inside[0]
            if named is not None and named not in (found, requested):
                raise BrokenBhavcopyError(
                    f"the file disagrees with its name: {self.file_name} says {named}, its {source} says {found}",
                    file=self.file,
                )
        elif named is not None:
            source, found = f"file name {self.file_name}", named
        elif requested is not None:
            return requested
        else:
            raise BrokenBhavcopyError(
                "no trade date: the file has no date column, no BSE file name, and none was given", file=self.file
            )
        if requested is not None and found != requested:
            raise StaleBhavcopyError(file=self.file, found=found, requested=requested, source=source)
        return found


@dataclass(frozen=True)
class ParsedBhavcopy:
    raw: RawBhavcopy
    trade_date: dt.date
    frame: pd.DataFrame  # the clean table; index = line number in the file
    dropped_duplicate_lines: tuple[int, ...]  # exact repeats of an earlier row
    validation: ValidationReport
    left_out: Mapping[str, int]  # rows of the instrument classes not kept, by class
    isins_from_master: int  # rows whose ISIN (and so class) came from ``known_isins``


def read_raw_bhavcopy(
    content: bytes,
    filename: str | None = None,
    *,
    max_bad_row_share: float = DEFAULT_MAX_BAD_ROW_SHARE,
    max_csv_bytes: int = DEFAULT_MAX_CSV_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
) -> RawBhavcopy:
    file = filename or "<bhavcopy>"
    member = None
    if not content.strip():
        raise BrokenBhavcopyError("empty file", file=file)
    if content[:2] == b"PK":
        member, content = _unzip(content, file, max_csv_bytes=max_csv_bytes, max_compression_ratio=max_compression_ratio)
        file = f"{file}/{member}"
    elif len(content) > max_csv_bytes:
        raise BrokenBhavcopyError(f"{len(content):,} bytes, more than any bhavcopy (limit {max_csv_bytes:,})", file=file)
    if looks_like_html(content):
        raise BrokenBhavcopyError(
            "not a bhavcopy: an HTML page (BSE serves one for a file that is missing, not yet "
            "published, or blocked)",
            file=file,
        )
    rows = csv.reader(io.StringIO(_LINE_ENDS.sub("\n", _decode(content))))
    try:
        header = [name.strip() for name in next(rows, [])]
    except csv.Error as error:  # e.g. a first line that is one field of over 128 KB
        raise BrokenBhavcopyError(f"unreadable CSV header: {error}", file=file, line=1) from error
    fmt = detect_format(header, file=file)

    width = len(header)
    lines, records, skipped = [], [], []
    bad_lines = 0  # physical lines in skipped rows
    last_line = rows.line_num
    try:
        for row in rows:
            first_line, last_line = last_line + 1, rows.line_num
            if last_line > first_line:  # BSE never quotes: a stray quote made the reader join lines
                skipped.append(SkippedRow(first_line, f"an unmatched quote joins lines {first_line}-{last_line}"))
                bad_lines += last_line - first_line + 1
            elif not any(field.strip() for field in row):
                continue
            elif len(row) != width:
                skipped.append(SkippedRow(first_line, f"{len(row)} fields where the header has {width}"))
                bad_lines += 1
            else:
                lines.append(first_line)
                records.append(row)
    except csv.Error as error:
        raise BrokenBhavcopyError(f"unreadable CSV: {error}", file=file, line=last_line + 1) from error
    if skipped:
        share = bad_lines / (bad_lines + len(records))
        first = skipped[0]
        if share > max_bad_row_share:
            raise BrokenBhavcopyError(
                f"{bad_lines} of {bad_lines + len(records)} rows have the wrong number of fields or an unmatched "
                f"quote, more than the allowed {max_bad_row_share:.1%} (first: {first.reason})",
                file=file,
                line=first.line,
            )
        log.warning("%s: skipped %d malformed row(s), first at line %d: %s", file, len(skipped), first.line, first.reason)
    if not records:
        raise BrokenBhavcopyError("no data rows under the header", file=file)

    ignored = tuple(c for c in header if c not in fmt.header)
    if ignored:
        log.warning("%s: ignoring columns unknown to the %s format: %s", file, fmt.name, ", ".join(ignored))
    table = pd.DataFrame(records, columns=header, index=pd.Index(lines, name="line"))
    table = table.loc[:, list(fmt.required_columns)].apply(lambda col: col.str.strip())
    return RawBhavcopy(
        file=file,
        file_name=filename,
        member_name=member,
        format=fmt,
        table=table,
        date_inside=_date_inside(table, fmt, file),
        skipped_rows=tuple(skipped),
        ignored_columns=ignored,
    )


def clean_raw_bhavcopy(
    raw: RawBhavcopy,
    trade_date: dt.date | None = None,
    *,
    instrument_classes: Collection[str] | None = EQUITY_CLASSES,
    known_isins: Mapping[int, str] | None = None,
) -> ParsedBhavcopy:
    """Type and rename onto the clean schema and validate; bad values are reported in ``validation``.

    ``known_isins`` (security code -> ISIN, a security master) fills the ISIN of rows whose file has
    none (the legacy EQ format), so that a security is classed the same whatever the format.
    """
    day = raw.trade_date(trade_date)
    frame, dropped, from_master = _to_clean(raw, day, known_isins or {})
    left_out: dict[str, int] = {}
    if instrument_classes is not None:
        kept = frame["instrument_class"].isin(list(instrument_classes))
        left_out = frame.loc[~kept, "instrument_class"].value_counts().to_dict()
        frame = frame[kept]
        if left_out:
            log.info("%s: left out %d rows of other classes: %s", raw.file, sum(left_out.values()), left_out)
    return ParsedBhavcopy(raw, day, frame, dropped, validate(frame, clean_bhavcopy_schema(day)), left_out, from_master)


def read_bhavcopy(
    content: bytes,
    filename: str | None = None,
    trade_date: dt.date | None = None,
    *,
    instrument_classes: Collection[str] | None = EQUITY_CLASSES,
    known_isins: Mapping[int, str] | None = None,
    max_bad_row_share: float = DEFAULT_MAX_BAD_ROW_SHARE,
) -> ParsedBhavcopy:
    """``read_raw_bhavcopy`` then ``clean_raw_bhavcopy``."""
    raw = read_raw_bhavcopy(content, filename, max_bad_row_share=max_bad_row_share)
    return clean_raw_bhavcopy(raw, trade_date, instrument_classes=instrument_classes, known_isins=known_isins)


def parse_bhavcopy(
    content: bytes,
    filename: str | None = None,
    trade_date: dt.date | None = None,
    *,
    instrument_classes: Collection[str] | None = EQUITY_CLASSES,
    known_isins: Mapping[int, str] | None = None,
    max_bad_row_share: float = DEFAULT_MAX_BAD_ROW_SHARE,
) -> pd.DataFrame:
    """Any BSE equity bhavcopy (EQ, EQ_ISINCODE, BSE_EQ_BHAVCOPY, UDiFF; zipped or not) as the clean table.

    The trade date comes from the file's date column, else its BSE file name, else ``trade_date``;
    if they disagree, or there is none, a ``BhavcopyError`` says so. ``instrument_classes`` keeps
    equity instruments by default (see ``clean_schema.INSTRUMENT_CLASSES``; None keeps every class);
    how many rows of each other class were left out is logged. A legacy EQ file has no ISINs: pass
    ``known_isins`` (code -> ISIN, e.g. from an EQ_ISINCODE or UDiFF file) to class its ETFs as funds.
    Rows with the wrong field count are skipped and logged, up to ``max_bad_row_share`` of the file.
    """
    parsed = read_bhavcopy(
        content,
        filename,
        trade_date,
        instrument_classes=instrument_classes,
        known_isins=known_isins,
        max_bad_row_share=max_bad_row_share,
    )
    if not parsed.validation.passed:
        raise BrokenBhavcopyError(parsed.validation.summary(row_label="line"), file=parsed.raw.file)
    return parsed.frame.reset_index(drop=True)


def _unzip(content: bytes, file: str, *, max_csv_bytes: int, max_compression_ratio: float) -> tuple[str, bytes]:
    """The one CSV of a zip, read no further than the limits (sizes a zip declares can lie)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [info for info in archive.infolist() if info.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise BrokenBhavcopyError(
                    f"a zip archive should hold one CSV file, this one holds {archive.namelist()}", file=file
                )
            (member,) = members
            if "/" in member.filename or "\\" in member.filename or member.filename.startswith(".."):
                raise BrokenBhavcopyError(f"a zip member with a path ({member.filename!r}): BSE's zips hold a bare file", file=file)
            limit = min(max_csv_bytes, int(max_compression_ratio * len(content)))
            with archive.open(member) as stream:
                data = stream.read(limit + 1)
            if len(data) > limit:
                raise BrokenBhavcopyError(
                    f"{member.filename} expands past {limit:,} bytes from {len(content):,} (limits: {max_csv_bytes:,} bytes, "
                    f"{max_compression_ratio:g} to 1): no bhavcopy is that large",
                    file=file,
                )
            return member.filename, data
    except (zipfile.BadZipFile, EOFError, zlib.error, RuntimeError, NotImplementedError) as error:
        raise BrokenBhavcopyError(f"a zip archive that cannot be read (truncated download?): {error}", file=file) from error


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")  # names with Windows-1252 characters in old files


def _date_inside(table: pd.DataFrame, fmt: BhavcopyFormat, file: str) -> dt.date | None:
    if fmt.date_column is None:
        return None
    texts = table[fmt.date_column]
    dates = {}
    for text in texts.unique():
        dates[text] = _parse_date(text, fmt, file, line=int(texts.eq(text).idxmax()))
    if len(set(dates.values())) > 1:
        firsts = ", ".join(f"{d} (line {texts.eq(t).idxmax()})" for t, d in dates.items())
        raise BrokenBhavcopyError(f"rows carry several trade dates: {firsts}", file=file)
    return next(iter(dates.values()))


def _parse_date(text: str, fmt: BhavcopyFormat, file: str, line: int) -> dt.date:
    for date_format in fmt.date_formats:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise BrokenBhavcopyError(f"{fmt.date_column} {text!r} is not a date", file=file, line=line)


def _to_clean(raw: RawBhavcopy, trade_date: dt.date, known_isins: Mapping[int, str]) -> tuple[pd.DataFrame, tuple[int, ...], int]:
    source_of = {clean: source for source, clean in raw.format.to_clean.items()}
    frame = pd.DataFrame(index=raw.table.index)
    frame["trade_date"] = pd.Timestamp(trade_date)
    for column in CLEAN_DTYPES:
        source = source_of.get(column)
        if column in TEXT_COLUMNS:
            text = raw.table[source] if source else pd.Series(None, index=frame.index, dtype=object)
            frame[column] = text.where(text.ne(""), None)
        elif column in _PRICE_COLUMNS or column in _INTEGER_COLUMNS or column == "turnover":
            frame[column] = _numbers(raw, source, integer=column in _INTEGER_COLUMNS)
    if frame["security_code"].isna().any():
        line = frame["security_code"].isna().idxmax()
        raise BrokenBhavcopyError(f"{source_of['security_code']} is empty", file=raw.file, line=int(line))
    frame["prev_close"] = frame["prev_close"].mask(frame["prev_close"].eq(0))  # 0.00 = no previous close
    from_master = frame["isin"].isna() & frame["security_code"].isin(list(known_isins))
    frame["isin"] = frame["isin"].where(~from_master, frame["security_code"].map(known_isins))
    frame["instrument_class"] = classify_instruments(frame["group"], frame["instrument_type"], frame["isin"])
    frame["source_format"] = raw.format.name
    frame = frame.astype(CLEAN_DTYPES)
    return *_drop_exact_duplicates(frame, raw.file), int(from_master.sum())


def _numbers(raw: RawBhavcopy, source: str, *, integer: bool) -> pd.Series:
    text = raw.table[source]
    blank = text.eq("")
    values = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = values.isna() & ~blank
    if integer:
        bad |= values.notna() & values.ne(values.round())
    if bad.any():
        line = int(bad.idxmax())
        more = f" ({int(bad.sum())} rows like this)" if bad.sum() > 1 else ""
        kind = "a whole number" if integer else "a number"
        raise BrokenBhavcopyError(f"{source} {text[line]!r} is not {kind}{more}", file=raw.file, line=line)
    return values


def _drop_exact_duplicates(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    repeated = frame["security_code"].duplicated(keep=False)
    if not repeated.any():
        return frame, ()
    distinct = frame[repeated].drop_duplicates()
    conflicting = distinct["security_code"].duplicated(keep=False)
    if conflicting.any():
        code = distinct.loc[conflicting, "security_code"].iloc[0]
        lines = frame.index[frame["security_code"].eq(code)].tolist()
        raise BrokenBhavcopyError(
            f"security {code} appears on lines {', '.join(map(str, lines))} with different values",
            file=file,
            line=lines[0],
        )
    dropped = frame.index[frame.duplicated()]
    log.warning("%s: dropped %d exact repeat(s) of earlier rows at line(s) %s", file, len(dropped), list(dropped))
    return frame.drop(dropped), tuple(int(line) for line in dropped)

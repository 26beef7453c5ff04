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
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pyarrow_csv

from bse_platform.bse.errors import BrokenBhavcopyError, StaleBhavcopyError
from bse_platform.bse.formats import BhavcopyFormat, detect_format
from bse_platform.bse.instruments import classify_instruments
from bse_platform.bse.products import date_from_file_name
from bse_platform.clean_schema import (
    ARROW_STRING,
    ARROW_TEXT_DTYPES,
    CLEAN_DTYPES,
    EQUITY_CLASSES,
    TEXT_COLUMNS,
    clean_bhavcopy_schema,
)
from bse_platform.validation import ValidationReport, validate

log = logging.getLogger(__name__)

# Rows with the wrong field count are skipped and reported; past this share the file fails.
DEFAULT_MAX_BAD_ROW_SHARE = 0.01
# Beyond these a file is no bhavcopy (real ones are 0.2-1 MB of CSV, zipped about 3 to 1): a zip
# bomb or a runaway file fails fast, before it is read into memory.
DEFAULT_MAX_CSV_BYTES = 64 * 2**20
DEFAULT_MAX_COMPRESSION_RATIO = 50

_LINE_ENDS = re.compile(r"\r+\n|\r")
# What str.strip() strips (every Unicode space is below U+3001), for Arrow to strip the same.
_WHITESPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())
_BLANK_ROW = _WHITESPACE + ","  # a row of nothing else is blank
_INTEGER_COLUMNS = ("security_code", "num_trades", "volume")
_NUMBER_COLUMNS = ("open", "high", "low", "close", "last", "prev_close", "turnover", *_INTEGER_COLUMNS)


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
    table: pd.DataFrame  # the columns the clean table is made of, as Arrow strings; index = line number
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
    text = _one_line_end(_decode(content))
    rows = _csv_rows(text)
    try:
        _, last_line, header = next(rows, (1, 1, []))
        header = [name.strip() for name in header]
    except csv.Error as error:  # e.g. a first line that is one field of over 128 KB
        raise BrokenBhavcopyError(f"unreadable CSV header: {error}", file=file, line=1) from error
    fmt = detect_format(header, file=file)
    width, position = len(header), {name: i for i, name in enumerate(header)}
    wanted = [position[name] for name in fmt.required_columns]

    skipped = []
    if (regular := _regular_columns(text, width, wanted)) is not None:
        lines, cells = range(2, 2 + len(regular[0])), regular
    else:
        lines, cells, skipped = _read_rows(rows, last_line, width, wanted, file, max_bad_row_share)
    ignored = tuple(c for c in header if c not in fmt.header)
    if ignored:
        log.warning("%s: ignoring columns unknown to the %s format: %s", file, fmt.name, ", ".join(ignored))
    table = pd.DataFrame(
        {name: _stripped_text(column) for name, column in zip(fmt.required_columns, cells)},
        index=pd.Index(lines, name="line"),
    )
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
    frame, dropped, from_master = _to_clean(raw, day, known_isins or {})  # text as Arrow strings
    left_out: dict[str, int] = {}
    if instrument_classes is not None:
        kept = frame["instrument_class"].isin(list(instrument_classes))
        left_out = frame.loc[~kept, "instrument_class"].value_counts().to_dict()
        frame = frame[kept]
        if left_out:
            log.info("%s: left out %d rows of other classes: %s", raw.file, sum(left_out.values()), left_out)
    validation = validate(frame, clean_bhavcopy_schema(day, arrow_text=True))
    # Text as Python objects: a blank cell is None, a column the format lacks NaN.
    sourced = raw.format.to_clean.values()
    text = {c: frame[c].to_numpy(object, na_value=None if c in sourced else np.nan) for c in TEXT_COLUMNS}
    return ParsedBhavcopy(raw, day, frame.assign(**text), dropped, validation, left_out, from_master)


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


def _read_rows(
    rows: Iterator[tuple[int, int, list[str]]], last_line: int, width: int, wanted: list[int], file: str, max_bad_row_share: float
) -> tuple[list[int], list[list[str]], list[SkippedRow]]:
    """The data rows after the header (ending on ``last_line``): their first lines, the ``wanted``
    fields of each (column by column), and the rows skipped for a wrong field count or an unmatched
    quote (past ``max_bad_row_share``, an error)."""
    lines, records, skipped = [], [], []
    bad_lines = 0  # physical lines in skipped rows
    try:
        for first_line, last_line, row in rows:
            if last_line > first_line:  # BSE never quotes: a stray quote made the reader join lines
                skipped.append(SkippedRow(first_line, f"an unmatched quote joins lines {first_line}-{last_line}"))
                bad_lines += last_line - first_line + 1
            elif not "".join(row).strip():  # blank (one join rather than a strip per field)
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
    return lines, [[record[i] for record in records] for i in wanted], skipped


def _regular_columns(text: str, width: int, wanted: list[int]) -> list[pyarrow.Array] | None:
    """The ``wanted`` fields of the data lines, read by Arrow's CSV reader, for a file with no quote
    whose every data line has ``width`` fields, none all blank: the rows the csv module would read, in
    a fraction of the time. None for any other file, which ``_read_rows`` reads and reports on."""
    if '"' in text or "\n" not in text:
        return None
    body = text[text.index("\n") + 1 :]
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()  # the end of the last line
    if not lines or any(line.count(",") != width - 1 or not line.strip(_BLANK_ROW) for line in lines):
        return None
    if max(map(len, lines)) > csv.field_size_limit():
        return None
    names = [str(i) for i in range(width)]
    table = pyarrow_csv.read_csv(
        io.BytesIO(body.encode()),
        read_options=pyarrow_csv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pyarrow_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
        convert_options=pyarrow_csv.ConvertOptions(
            include_columns=[names[i] for i in wanted], column_types={names[i]: pyarrow.string() for i in wanted},
            strings_can_be_null=False,
        ),
    )  # fmt: skip
    if table.num_rows != len(lines):
        return None
    return [table.column(names[i]).combine_chunks() for i in wanted]


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


def _one_line_end(text: str) -> str:
    """Every line end as LF: a run of CRs before an LF is one line end, a lone CR is one. Plain
    ``replace`` does the CR LF of nearly every file; the regex, slow over a whole file, the rest."""
    text = text.replace("\r\n", "\n")
    return _LINE_ENDS.sub("\n", text) if "\r" in text else text


def _csv_rows(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each row of ``text`` (LF line ends) as the csv module reads it, with its first and last line.
    BSE never quotes: a text without a quote, and without a line longer than the reader accepts, splits
    on LF and comma into the same rows, in half the time; any other goes through the reader."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the end of the last line, not an empty line
    if '"' not in text and max(map(len, lines), default=0) <= csv.field_size_limit():
        for number, line in enumerate(lines, start=1):
            yield number, number, line.split(",") if line else []
        return
    reader = csv.reader(io.StringIO(text))
    last_line = 0
    for row in reader:
        yield last_line + 1, reader.line_num, row
        last_line = reader.line_num


def _stripped_text(values: list[str] | pyarrow.Array) -> pd.arrays.ArrowExtensionArray:
    return pd.arrays.ArrowExtensionArray(pc.utf8_trim(pyarrow.array(values, pyarrow.string()), characters=_WHITESPACE))


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
    index = raw.table.index
    numbers = _numbers(raw, [(source_of[c], c in _INTEGER_COLUMNS) for c in CLEAN_DTYPES if c in _NUMBER_COLUMNS])
    columns = {"trade_date": pd.Series(pd.Timestamp(trade_date), index=index)}
    for column in CLEAN_DTYPES:
        source = source_of.get(column)
        if column in TEXT_COLUMNS:
            columns[column] = _nonblank(raw.table[source]) if source else pd.Series(None, index=index, dtype=ARROW_STRING)
        elif column in _NUMBER_COLUMNS:
            columns[column] = pd.Series(numbers[source], index=index)
    code = columns["security_code"]
    if code.isna().any():
        raise BrokenBhavcopyError(f"{source_of['security_code']} is empty", file=raw.file, line=int(code.isna().idxmax()))
    columns["prev_close"] = columns["prev_close"].mask(columns["prev_close"].eq(0))  # 0.00 = no previous close
    from_master = columns["isin"].isna() & code.isin(list(known_isins))
    columns["isin"] = columns["isin"].where(~from_master, code.map(known_isins))
    columns["instrument_class"] = classify_instruments(columns["group"], columns["instrument_type"], columns["isin"])
    columns["source_format"] = pd.Series(raw.format.name, index=index)
    # Cast column by column and build the frame once: pandas is slow at both on a whole frame.
    frame = pd.DataFrame({name: columns[name].astype(dtype, copy=False) for name, dtype in ARROW_TEXT_DTYPES.items()}, copy=False)
    return *_drop_exact_duplicates(frame, raw.file), int(from_master.sum())


def _nonblank(text: pd.Series) -> pd.Series:
    """Arrow text with "" as null."""
    cells = pyarrow.array(text.array)
    return pd.Series(pd.arrays.ArrowExtensionArray(pc.if_else(pc.equal(cells, ""), None, cells)), index=text.index)


def _numbers(raw: RawBhavcopy, sources: list[tuple[str, bool]]) -> dict[str, np.ndarray]:
    """The numbers of each (source column, whole numbers only), NaN where blank; a bad value raises,
    naming the first such column in the order given."""
    texts = [raw.table[source] for source, _ in sources]
    cells = pyarrow.concat_arrays([pyarrow.array(text.array) for text in texts])  # one Arrow pass for all
    blank = pc.equal(cells, "")
    blanks = np.split(blank.to_numpy(zero_copy_only=False), len(texts))
    if pc.all(pc.or_(blank, _short_decimal(cells))).as_py():
        # With at most 15 digits Arrow's parse and pandas' both round exactly, so agree to the last
        # bit, and Arrow's is 10x faster; longer, odd or bad numbers are left to pandas.
        numbers = pc.cast(pc.if_else(blank, None, cells), pyarrow.float64())
        parsed = np.split(numbers.to_numpy(zero_copy_only=False), len(texts))
    else:
        parsed = [pd.to_numeric(text.astype(object).mask(blank), errors="coerce").to_numpy() for text, blank in zip(texts, blanks)]
    for (source, integer), text, blank, values in zip(sources, texts, blanks, parsed):
        missing = pd.isna(values)
        bad = missing & ~blank
        if integer:
            bad |= ~missing & (values != np.round(values))
        if bad.any():
            line = int(text.index[bad.argmax()])
            more = f" ({int(bad.sum())} rows like this)" if bad.sum() > 1 else ""
            kind = "a whole number" if integer else "a number"
            raise BrokenBhavcopyError(f"{source} {text[line]!r} is not {kind}{more}", file=raw.file, line=line)
    return {source: values for (source, _), values in zip(sources, parsed)}


def _short_decimal(cells: pyarrow.Array) -> pyarrow.Array:
    """Which cells are a plain decimal (optional minus, digits, optional point and digits) of at most 15 characters."""
    return pc.and_(pc.match_substring_regex(cells, r"^-?\d+(\.\d*)?$"), pc.less_equal(pc.utf8_length(cells), 15))


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

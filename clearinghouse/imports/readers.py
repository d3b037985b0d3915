"""Reading a district's file into a table: CSV, pasted spreadsheet text, Excel, OpenDocument, JSON, Markdown.

The format is found from the content (the file name is only a hint), and every format is read
under the same limits (columns, rows, characters per cell and per row, unpacked workbook size),
in time and memory bounded by those limits. A file that is not a table is refused with a message
that says what it is. Pure: no Flask, no database.
"""

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import python_calamine

MAX_BYTES = 2 * 1024 * 1024  # the largest file read; the web upload has its own, configurable limit
MAX_COLUMNS = 200  # a 10,000-column file made a 10.7 MB mapping page; no inventory needs more
MAX_ROWS = 5000
MAX_CELL_CHARS = 10_000
MAX_ROW_CHARS = 100_000  # the characters of one row (one line of a CSV file), all cells together
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a workbook is a ZIP archive: refuse one that unpacks to more
MAX_JSON_DEPTH = 32

# Our export puts a ' before a cell that a spreadsheet would run as a formula; the import removes it.
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
TABLE_PATH_SEPARATOR = " → "


class FileFormat(StrEnum):
    CSV = "csv"
    PASTED = "pasted"  # tab-separated text, as a spreadsheet copies a range
    XLSX = "xlsx"
    XLS = "xls"
    ODS = "ods"
    JSON = "json"
    MARKDOWN = "markdown"

    @property
    def label(self) -> str:
        return _FORMAT_LABELS[self]


_FORMAT_LABELS = {
    FileFormat.CSV: "CSV file",
    FileFormat.PASTED: "table pasted from a spreadsheet",
    FileFormat.XLSX: "Excel workbook",
    FileFormat.XLS: "Excel 97-2003 workbook",
    FileFormat.ODS: "OpenDocument spreadsheet",
    FileFormat.JSON: "JSON file",
    FileFormat.MARKDOWN: "Markdown document",
}


@dataclass(frozen=True)
class Limits:
    """What a file may hold. Every reader checks all of them, so each format is bounded alike."""

    max_bytes: int = MAX_BYTES
    max_columns: int = MAX_COLUMNS
    max_rows: int = MAX_ROWS
    max_cell_chars: int = MAX_CELL_CHARS
    max_row_chars: int = MAX_ROW_CHARS
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_json_depth: int = MAX_JSON_DEPTH


DEFAULT_LIMITS = Limits()


class UnreadableFile(ValueError):
    """The file cannot be read as a table; `message` says why and what to do, `line` where (when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Table:
    """A file read as a table: column names, and each row with the number a person would look it up by.

    Row numbers are the spreadsheet's row (CSV, workbooks), the line in the document (Markdown), or
    the record's place in its list (JSON, counting from 1). `choices` names every sheet or table the
    file holds and `name` the one read, so the officer can choose another.
    """

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    problems: list[tuple[int, str]] = field(default_factory=list)
    format: FileFormat = FileFormat.CSV
    name: str = ""
    choices: tuple[str, ...] = ()


# --- detecting the format -----------------------------------------------------------------------

_NOT_TABLE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_SAVE_AS = "Save the table as CSV, Excel (.xlsx), OpenDocument (.ods) or JSON and choose it again."


def _not_a_table(what: str, advice: str = _SAVE_AS) -> UnreadableFile:
    return UnreadableFile(f"This file is {what}, not a table. {advice}")


def describe_size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def read_file(data: bytes, *, filename: str = "", sheet: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Table:
    """Read the bytes of an uploaded file as a table; `sheet` chooses a sheet or table (else the first/largest).

    Raises UnreadableFile with a message for the person who chose the file.
    """
    if len(data) > limits.max_bytes:
        raise UnreadableFile(
            f"This file is larger than the {describe_size(limits.max_bytes)} an import reads. "
            "Split it into smaller files."
        )
    if not data.strip():
        raise UnreadableFile("This file is empty. Choose the file again.")
    for signature, what in _NOT_TABLE_SIGNATURES:
        if data.startswith(signature):
            raise _not_a_table(what)
    if data.startswith(b"PK\x03\x04"):
        return _read_zip(data, sheet, limits)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_workbook(data, FileFormat.XLS, sheet, limits)
    return read_text(decode(data), filename=filename, sheet=sheet, limits=limits)


def read_text(text: str, *, filename: str = "", sheet: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Table:
    """Read text (a file's decoded content, or a table pasted into a form) as a table."""
    text = text.removeprefix("\ufeff")
    start = text.lstrip()[:200].lower()
    if start.startswith(("{", "[")):
        return _read_json(text, sheet, limits)
    if start.startswith(("<!doctype html", "<html", "<head", "<body")):
        raise _not_a_table("a web page (HTML)", "Save the table from the page as CSV, or copy and paste it here.")
    if start.startswith("<?xml") or start.startswith("<"):
        raise _not_a_table("an XML or HTML document")
    lines = text.splitlines()
    if any(_MARKDOWN_RULE.match(line) and "|" in line for line in lines):
        return _read_markdown(lines, sheet, limits)
    first = next((line for line in lines if line.strip()), "")
    if filename.lower().endswith((".yaml", ".yml")) or (
        first.startswith("#") and re.search(r"^[A-Za-z_][\w-]*:\s*$", text, re.MULTILINE)
    ):
        raise _not_a_table("a YAML document")
    if _HEADING.match(first) or filename.lower().endswith((".md", ".markdown")):
        raise _not_a_table(
            "a Markdown document with no table in it", "Add the table as a Markdown table or a CSV file."
        )
    return _read_delimited(text, limits)


def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), UTF-16 with a mark, or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise _not_a_table("binary data we do not recognise")


# --- building a table from rows of cells, under the limits --------------------------------------


def _headers(cells: list[str], limits: Limits, line: int) -> list[str]:
    used = len(cells)
    while used and not cells[used - 1].strip():
        used -= 1
    if not used:
        raise UnreadableFile("The first line of the file should hold the column names, but it is empty.", line)
    if used > limits.max_columns:
        raise UnreadableFile(
            f"The first row has {used:,} columns; an import reads at most {limits.max_columns:,}. "
            "Keep the columns you need and choose the file again.",
            line,
        )
    headers: list[str] = []
    for position, raw in enumerate(cells[: limits.max_columns], start=1):
        name = " ".join(raw.split()) or f"Column {position}"
        base, n = name, 2
        while name in headers:
            name = f"{base} ({n})"
            n += 1
        headers.append(name)
    return headers


class _Builder:
    """Collects rows after the header, checking every limit as it goes."""

    def __init__(self, headers: list[str], limits: Limits, unit: str = "Row") -> None:
        self.headers = headers
        self.limits = limits
        self.unit = unit
        self.rows: list[tuple[int, list[str]]] = []
        self.problems: list[tuple[int, str]] = []

    def add(self, number: int, raw: list[str]) -> None:
        cells = [_FORMULA_GUARD.sub("", cell.strip()) for cell in raw]
        if not any(cells):
            return
        self._check(number, cells)
        width = len(self.headers)
        if any(cells[width:]):
            self.problems.append(
                (
                    number,
                    f"This row has {len(cells)} cells but the file has {width} columns. "
                    "Check for a stray comma or an unclosed quotation mark.",
                )
            )
        if len(self.rows) >= self.limits.max_rows:
            raise UnreadableFile(
                f"The file has more than {self.limits.max_rows:,} rows; an import takes at most "
                f"{self.limits.max_rows:,}. Split it into smaller files.",
                number,
            )
        self.rows.append((number, (cells + [""] * width)[:width]))

    def _check(self, number: int, cells: list[str]) -> None:
        if len(cells) > max(self.limits.max_columns, len(self.headers)) * 2:
            raise UnreadableFile(
                f"{self.unit} {number} has {len(cells):,} cells; an import reads at most "
                f"{self.limits.max_columns:,} columns. Check the row and choose the file again.",
                number,
            )
        total = 0
        for position, cell in enumerate(cells):
            total += len(cell)
            if len(cell) > self.limits.max_cell_chars:
                column = self.headers[position] if position < len(self.headers) else f"column {position + 1}"
                raise UnreadableFile(
                    f"{self.unit} {number}, “{column}”: the cell holds {len(cell):,} characters; a cell can hold "
                    f"at most {self.limits.max_cell_chars:,}. Shorten it and choose the file again.",
                    number,
                )
        if total > self.limits.max_row_chars:
            raise UnreadableFile(
                f"{self.unit} {number} holds {total:,} characters; a row can hold at most "
                f"{self.limits.max_row_chars:,}. Shorten it and choose the file again.",
                number,
            )

    def table(self, file_format: FileFormat, name: str = "", choices: tuple[str, ...] = ()) -> Table:
        if not self.rows:
            raise UnreadableFile("The file has column names but no rows to import.")
        width = len(self.headers)  # drop trailing columns with neither a name nor a value ("a,b,,,")
        while (
            width > 1 and self.headers[width - 1] == f"Column {width}" and not any(c[width - 1] for _, c in self.rows)
        ):
            width -= 1
        if width < len(self.headers):
            return Table(
                self.headers[:width], [(n, c[:width]) for n, c in self.rows], self.problems, file_format, name, choices
            )
        return Table(self.headers, self.rows, self.problems, file_format, name, choices)


# --- CSV and pasted text ------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    """Comma, unless the header line is clearly separated by tabs (pasted) or semicolons (some Excel locales)."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _long_line(text: str, limit: int) -> int | None:
    """The number of the first line longer than `limit` characters, found in one linear scan."""
    start = 0
    for number, end in enumerate(_line_ends(text), start=1):
        if end - start > limit:
            return number
        start = end + 1
    return None


def _line_ends(text: str) -> Iterator[int]:
    position = text.find("\n")
    while position != -1:
        yield position
        position = text.find("\n", position + 1)
    yield len(text)


def _read_delimited(text: str, limits: Limits) -> Table:
    delimiter = _delimiter(text)
    long_line = _long_line(text, limits.max_row_chars)
    if long_line is not None:
        raise UnreadableFile(
            f"Line {long_line} is longer than {limits.max_row_chars:,} characters; an import reads lines of at "
            "most that length. Check that the file is a table and choose it again.",
            long_line,
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(reader)
    try:
        header_line, header_cells = next(records)
    except StopIteration:
        raise UnreadableFile("This file is empty. Choose the file again.") from None
    headers = _headers(header_cells, limits, header_line)
    if len(headers) == 1 and len(header_cells[0]) > 100:
        raise _not_a_table("plain text")
    builder = _Builder(headers, limits)
    for number, (line, cells) in enumerate(records, start=2):
        builder.add(number, cells)
        if len(headers) > 1 and line < reader.line_num:
            _check_merged_lines(builder, number, cells, delimiter, len(headers), line)
    file_format = FileFormat.PASTED if delimiter == "\t" else FileFormat.CSV
    return builder.table(file_format)


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each record; broken quoting is refused with the line it starts on."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "unexpected end of data" in str(err) or "EOF" in str(err):
                raise UnreadableFile(
                    f"Line {line} opens a quotation mark that is never closed, so every line after it would run "
                    "into one cell. Close the quotation mark (or remove it) and choose the file again.",
                    line,
                ) from None
            if "expected after" in str(err):
                raise UnreadableFile(
                    f"Line {reader.line_num} has a quotation mark inside a quoted cell. Double the quotation marks "
                    'inside a cell ("") or remove them, and choose the file again.',
                    reader.line_num,
                ) from None
            raise UnreadableFile(
                f"Line {reader.line_num} could not be read ({err}). Check the line and choose the file again.",
                reader.line_num,
            ) from None
        yield line, cells


def _check_merged_lines(
    builder: _Builder, number: int, cells: list[str], delimiter: str, width: int, line: int
) -> None:
    """A quoted cell that holds whole rows of the file most likely lost its closing quotation mark."""
    for cell in cells:
        pieces = cell.split("\n")
        # a row's worth of delimiters on a later line, or (with 3 columns or more) on the first line
        for piece in pieces[1:] if width < 3 else pieces:
            if piece.count(delimiter) >= width - 1:
                builder.problems.append(
                    (
                        number,
                        f"A cell of this row starts on line {line} and runs over several lines that look like rows "
                        "of their own. Check that its quotation marks are closed where they should be.",
                    )
                )
                return


# --- workbooks ----------------------------------------------------------------------------------


def _read_zip(data: bytes, sheet: str | None, limits: Limits) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = {info.filename for info in infos}
        mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError):
        raise UnreadableFile(
            "This file looks like a workbook or another ZIP archive, but it is damaged. Save it again and choose it."
        ) from None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        file_format = FileFormat.XLSX
    elif mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        file_format = FileFormat.ODS
    elif "word/document.xml" in names:
        raise _not_a_table(
            "a Word document", "Copy its table into a spreadsheet, save it as CSV or Excel and choose it."
        )
    elif "ppt/presentation.xml" in names:
        raise _not_a_table("a PowerPoint presentation")
    elif mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise _not_a_table("an OpenDocument text or presentation")
    else:
        raise _not_a_table("a ZIP archive")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            f"This workbook unpacks to {describe_size(unpacked)}; an import reads workbooks of at most "
            f"{describe_size(limits.max_unpacked_bytes)}. Keep the sheet you need and choose the file again."
        )
    return _read_workbook(data, file_format, sheet, limits)


# calamine raises CalamineError and its kin (XmlError, ZipError…), and ValueError on bad cell data.
_CALAMINE_FAILURES = Exception


def _read_workbook(data: bytes, file_format: FileFormat, sheet: str | None, limits: Limits) -> Table:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise UnreadableFile("This workbook is protected by a password. Save a copy without one.") from None
    except _CALAMINE_FAILURES:
        what = "an old Office document" if file_format is FileFormat.XLS else f"an {file_format.label}"
        raise UnreadableFile(f"This file looks like {what}, but it could not be read. Save it again.") from None
    choices = tuple(
        meta.name for meta in workbook.sheets_metadata if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    )
    if not choices:
        raise _not_a_table(f"an {file_format.label} with no worksheet")
    name = _choose(sheet, choices, "sheet")
    try:
        worksheet = workbook.get_sheet_by_name(name)
    except _CALAMINE_FAILURES:
        raise UnreadableFile(f"The sheet “{name}” could not be read. Save the workbook again.") from None
    if worksheet.width > limits.max_columns:
        raise UnreadableFile(
            f"The sheet “{name}” has {worksheet.width:,} columns; an import reads at most {limits.max_columns:,}. "
            "Keep the columns you need and choose the file again."
        )
    # calamine yields rows from the sheet's first row (row 1) and columns from the first one used.
    rows = ((number, [_cell_text(value) for value in cells]) for number, cells in enumerate(worksheet.iter_rows(), 1))
    headers: list[str] | None = None
    builder: _Builder | None = None
    for number, cells in rows:
        if headers is None:
            if not any(cells):
                continue
            headers = _headers(cells, limits, number)
            builder = _Builder(headers, limits)
            continue
        assert builder is not None
        builder.add(number, cells)
    if builder is None:
        raise UnreadableFile(f"The sheet “{name}” is empty. Choose another sheet or file.")
    return builder.table(file_format, name, choices)


def _choose(wanted: str | None, choices: tuple[str, ...], what: str) -> str:
    if wanted is None or wanted == "":
        return choices[0]
    if wanted in choices:
        return wanted
    listed = ", ".join(f"“{choice}”" for choice in choices)
    raise UnreadableFile(f"The file has no {what} named “{wanted}”. Its {what}s are: {listed}.")


def _cell_text(value: Any) -> str:
    """A workbook's cell as the text a CSV export of it would hold (dates as ISO, 3.0 as 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# --- JSON ---------------------------------------------------------------------------------------

_Path = tuple[str, ...]


def _read_json(text: str, sheet: str | None, limits: Limits) -> Table:
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnreadableFile("This JSON file is nested too deeply to be a table.") from None
    except json.JSONDecodeError as err:
        raise UnreadableFile(
            f"This file looks like JSON but line {err.lineno} cannot be read ({err.msg}). "
            "Check it and choose it again.",
            err.lineno,
        ) from None
    tables = _json_tables(document, limits)
    if not tables:
        raise _json_not_a_table(document)
    by_name = {TABLE_PATH_SEPARATOR.join(path) or "(top level)": (path, count) for path, count in tables}
    largest = max(by_name, key=lambda name: (by_name[name][1], -len(by_name[name][0])))
    choices = (largest, *(name for name in by_name if name != largest))
    name = _choose(sheet, choices, "table")
    path = by_name[name][0]
    records = list(_json_records(document, path, limits))
    columns: dict[str, None] = {}
    for _, record in records:
        for key in record:
            if key not in columns:
                columns[key] = None
                if len(columns) > limits.max_columns:
                    raise UnreadableFile(
                        f"The records of “{name}” have more than {limits.max_columns:,} different fields; an import "
                        "reads at most that many columns."
                    )
    headers = _headers(list(columns), limits, 1)
    builder = _Builder(headers, limits, unit="Record")
    for number, record in records:
        builder.add(number, [record.get(key, "") for key in columns])
    return builder.table(FileFormat.JSON, name, choices)


def _json_not_a_table(document: Any) -> UnreadableFile:
    if isinstance(document, list):
        return _not_a_table(
            "a JSON list of single values", 'A table in JSON is a list of objects, like [{"product": "…"}, …].'
        )
    if isinstance(document, dict):
        return _not_a_table(
            f"a JSON object with {len(document):,} fields and no list of records in it",
            'A table in JSON is a list of objects, like [{"product": "…"}, …].',
        )
    return _not_a_table("a single JSON value")


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and sum(isinstance(item, dict) for item in value) * 2 >= len(value)


def _is_table(value: Any) -> bool:
    """Records with at least one field of their own (not only lists of further records)."""
    return _is_records(value) and any(
        any(not _is_records(child) for child in item.values()) for item in value if isinstance(item, dict)
    )


def _json_tables(document: Any, limits: Limits) -> list[tuple[_Path, int]]:
    """Every list of objects in the document, by its path of keys, with how many records it holds.

    A list inside each record of another list is one table of all of them ("districts → notableServices").
    """
    found: dict[_Path, int] = {}

    def visit(value: Any, path: _Path, depth: int) -> None:
        if depth > limits.max_json_depth:
            raise UnreadableFile("This JSON file is nested too deeply to be a table.")
        if _is_records(value):
            if _is_table(value):
                found[path] = found.get(path, 0) + len(value)
            for item in value:
                if isinstance(item, dict):
                    visit_object(item, path, depth + 1)
        elif isinstance(value, dict):
            visit_object(value, path, depth + 1)

    def visit_object(value: dict, path: _Path, depth: int) -> None:
        for key, child in value.items():
            if isinstance(child, dict | list):
                visit(child, (*path, str(key)), depth)

    visit(document, (), 0)
    return list(found.items())


def _json_records(document: Any, path: _Path, limits: Limits) -> Iterator[tuple[int, dict[str, str]]]:
    """The flattened records at `path`; a record inside another list carries its parent's fields too."""

    def walk(value: Any, remaining: _Path, walked: _Path, context: dict[str, str]) -> Iterator[dict[str, str]]:
        if not remaining:
            if _is_records(value):
                for item in value:
                    if isinstance(item, dict):
                        yield {**_flatten(item, limits), **context}
            return
        if _is_records(value):
            for item in value:
                if isinstance(item, dict):
                    prefix = TABLE_PATH_SEPARATOR.join(walked) or "record"
                    parent = {f"{prefix}.{key}": cell for key, cell in _flatten(item, limits).items()}
                    yield from walk(item, remaining, walked, {**context, **parent})
        elif isinstance(value, dict) and remaining[0] in value:
            yield from walk(value[remaining[0]], remaining[1:], (*walked, remaining[0]), context)

    for number, record in enumerate(walk(document, path, (), {}), start=1):
        if number > limits.max_rows:
            raise UnreadableFile(
                f"The file has more than {limits.max_rows:,} records; an import takes at most {limits.max_rows:,}. "
                "Split it into smaller files.",
                number,
            )
        yield number, record


def _flatten(record: dict, limits: Limits, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Nested objects become dotted columns, lists of values one cell joined with "; ";
    lists of objects are left out (each is a table of its own)."""
    cells: dict[str, str] = {}
    if depth > limits.max_json_depth:
        raise UnreadableFile("This JSON file is nested too deeply to be a table.")
    for key, value in record.items():
        column = f"{prefix}{key}"
        if isinstance(value, dict):
            cells.update(_flatten(value, limits, f"{column}.", depth + 1))
        elif isinstance(value, list):
            if _is_records(value):
                continue
            cells[column] = "; ".join(_json_text(item) for item in value if not isinstance(item, dict | list))
        else:
            cells[column] = _json_text(value)
    return cells


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# --- Markdown tables ----------------------------------------------------------------------------

_STRUCK = re.compile(r"~~.*?~~")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_CODE = re.compile(r"`([^`]*)`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def markdown_cell(text: str) -> str:
    """A Markdown table cell as plain text: struck-out words removed, emphasis, code and links unwrapped."""
    text = _STRUCK.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.replace("\\|", "|").split())


def _markdown_cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [markdown_cell(cell) for cell in re.split(r"(?<!\\)\|", body)]


def markdown_tables(lines: list[str]) -> list[tuple[str, int, list[tuple[int, list[str]]]]]:
    """Each pipe table of a Markdown document: (name from the heading above it, header line, rows by line)."""
    tables: list[tuple[str, int, list[tuple[int, list[str]]]]] = []
    heading = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        heading_match = _HEADING.match(line)
        if heading_match:
            heading = markdown_cell(heading_match.group(1))
        if (
            index + 1 < len(lines)
            and "|" in line
            and "|" in lines[index + 1]
            and _MARKDOWN_RULE.match(lines[index + 1])
        ):
            rows = [(index + 1, _markdown_cells(line))]
            index += 2
            while index < len(lines) and "|" in lines[index] and lines[index].strip():
                rows.append((index + 1, _markdown_cells(lines[index])))
                index += 1
            tables.append((heading or "Table", rows[0][0], rows))
            continue
        index += 1
    return tables


def _read_markdown(lines: list[str], sheet: str | None, limits: Limits) -> Table:
    tables = markdown_tables(lines)
    named: dict[str, list[tuple[int, list[str]]]] = {}
    for heading, _, rows in tables:
        name, n = heading, 2
        while name in named:
            name = f"{heading} ({n})"
            n += 1
        named[name] = rows
    largest = max(named, key=lambda table: len(named[table]))
    choices = (largest, *(table for table in named if table != largest))
    name = _choose(sheet, choices, "table")
    (header_line, header_cells), *rows = named[name]
    builder = _Builder(_headers(header_cells, limits, header_line), limits, unit="Line")
    for line, cells in rows:
        builder.add(line, cells)
    return builder.table(FileFormat.MARKDOWN, name, choices)

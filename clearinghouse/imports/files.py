"""Reading an uploaded inventory CSV, and keeping it on the server between the import steps.

The file waits under a random name in a private directory (never in the cookie session, which
is too small); the pages refer to it by a signed, expiring token that names the user too.
"""

import codecs
import csv
import io
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from clearinghouse.errors import DomainError

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
UPLOAD_MAX_AGE = 2 * 3600  # seconds an uploaded file waits for its mapping and confirmation
_FILE_ID = re.compile(r"[0-9a-f]{32}")
# Our export puts a ' before a cell that a spreadsheet would run as a formula; the import removes it.
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, one cell per header)
    problems: list[tuple[int, str]] = field(default_factory=list)


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def describe_size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def check_size(data: bytes) -> None:
    limit = max_bytes()
    if len(data) > limit:
        raise DomainError(
            f"That file is larger than the {describe_size(limit)} limit for imports. Split it into "
            "smaller files and choose the first one again.",
            field="file",
        )
    if not data.strip():
        raise DomainError("That file is empty. Choose the file again.", field="file")


def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), UTF-16 with a mark, or Windows-1252."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(
            "That is a spreadsheet workbook, not a CSV file. In your spreadsheet choose "
            "File › Save As (or Download) › CSV, then choose the .csv file.",
            field="file",
        )
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
    raise DomainError(
        "That file is not a text CSV file we can read. Save it as CSV (UTF-8) and choose it again.", field="file"
    )


def _delimiter(text: str) -> str:
    """Comma, unless the header line is clearly separated by semicolons or tabs (some Excel locales)."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _clean(cell: str) -> str:
    return _FORMULA_GUARD.sub("", cell.strip())


def read_table(data: bytes) -> Table:
    """Parse the bytes of a CSV file into headers and rows. Raises DomainError(field="file")."""
    check_size(data)
    text = decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as err:
        raise DomainError(
            f"That file is not a CSV file we can read ({err}). Save it as CSV and choose it again.", field="file"
        ) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise DomainError("The first line of the file should hold the column names, but it is empty.", field="file")
    headers: list[str] = []
    for position, raw in enumerate(records[0], start=1):
        name = raw.strip() or f"Column {position}"
        base, n = name, 2
        while name in headers:
            name = f"{base} ({n})"
            n += 1
        headers.append(name)
    rows: list[tuple[int, list[str]]] = []
    problems: list[tuple[int, str]] = []
    for number, record in enumerate(records[1:], start=2):
        cells = [_clean(cell) for cell in record]
        if not any(cells):
            continue
        if any(cells[len(headers) :]):
            problems.append(
                (
                    number,
                    f"This row has {len(cells)} cells but the file has {len(headers)} columns. "
                    "Check for a stray comma or an unclosed quotation mark.",
                )
            )
        rows.append((number, (cells + [""] * len(headers))[: len(headers)]))
    if not rows:
        raise DomainError("The file has column names but no rows to import.", field="file")
    if len(rows) > MAX_ROWS:
        raise DomainError(
            f"The file has {len(rows):,} rows; an import takes at most {MAX_ROWS:,}. Split it into smaller files.",
            field="file",
        )
    return Table(headers=headers, rows=rows, problems=problems)


def import_dir() -> Path:
    configured = current_app.config.get("IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.config["UPLOAD_DIR"]).parent / "imports"


def _path(file_id: str) -> Path:
    if not _FILE_ID.fullmatch(file_id):
        raise DomainError("That upload could not be found. Upload the file again.")
    return import_dir() / f"{file_id}.csv"


def keep_upload(data: bytes) -> str:
    """Save an uploaded file under a random name; remove uploads older than the time limit."""
    directory = import_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cutoff = time.time() - UPLOAD_MAX_AGE
    for old in directory.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    file_id = secrets.token_hex(16)
    path = _path(file_id)
    path.touch(mode=0o600)  # staff-only data: readable by this service's user alone
    path.write_bytes(data)
    return file_id


def load_upload(file_id: str) -> bytes:
    try:
        return _path(file_id).read_bytes()
    except FileNotFoundError:
        raise DomainError("That upload has expired or was already imported. Upload the file again.") from None


def discard_upload(file_id: str) -> None:
    _path(file_id).unlink(missing_ok=True)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="clearinghouse.imports.upload")


def make_token(file_id: str, user_id: int, mapping: dict[str, str] | None = None) -> str:
    payload: dict = {"f": file_id, "u": user_id}
    if mapping is not None:
        payload["m"] = mapping
    return _serializer().dumps(payload)


def read_token(token: str, user_id: int) -> tuple[str, dict[str, str] | None]:
    """(file id, mapping or None) from a token made for this user. Raises DomainError otherwise."""
    try:
        payload = _serializer().loads(token, max_age=UPLOAD_MAX_AGE)
    except SignatureExpired:
        raise DomainError("That upload has expired. Upload the file again.") from None
    except BadSignature:
        raise DomainError("That upload could not be found. Upload the file again.") from None
    if not isinstance(payload, dict) or payload.get("u") != user_id or not isinstance(payload.get("f"), str):
        raise DomainError("That upload could not be found. Upload the file again.")
    mapping = payload.get("m")
    return payload["f"], mapping if isinstance(mapping, dict) else None


def accept_upload(upload: IO[bytes], user_id: int) -> str:
    """Check an uploaded file can be read, keep it, and return the token for the next steps."""
    data = upload.read(max_bytes() + 1)
    read_table(data)
    return make_token(keep_upload(data), user_id)


def open_upload(token: str, user_id: int) -> tuple[str, Table]:
    """The kept file a token names, read again. Raises DomainError when it is gone or not this user's."""
    file_id, _ = read_token(token, user_id)
    return file_id, read_table(load_upload(file_id))

"""Reading an uploaded inventory file, and keeping it on the server between the import steps.

The file waits under a random name in a private directory (never in the cookie session, which
is too small); the import in progress (`ImportDraft`, the staff member's own) names it.
"""

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from clearinghouse.errors import DomainError
from clearinghouse.imports.readers import Limits, Table, UnreadableFile, describe_size, read_file

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_MAX_AGE = 48 * 3600  # seconds an uploaded file waits while its import is in progress
_FILE_ID = re.compile(r"[0-9a-f]{32}")


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


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


def read_table(data: bytes, *, filename: str = "", sheet: str | None = None) -> Table:
    """Read an uploaded file (CSV, workbook, JSON…) as a table. Raises DomainError(field="file")."""
    check_size(data)
    try:
        return read_file(data, filename=filename, sheet=sheet, limits=Limits(max_bytes=max_bytes()))
    except UnreadableFile as err:
        raise DomainError(err.message, field="file") from None


def import_dir() -> Path:
    configured = current_app.config.get("IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.config["UPLOAD_DIR"]).parent / "imports"


def _path(file_id: str) -> Path:
    if not _FILE_ID.fullmatch(file_id):
        raise DomainError("That upload could not be found. Upload the file again.")
    return import_dir() / f"{file_id}.upload"


def keep_upload(data: bytes) -> str:
    """Save an uploaded file under a random name; remove uploads older than the time limit."""
    directory = import_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cutoff = time.time() - UPLOAD_MAX_AGE
    for old in directory.glob("*.upload"):
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


def accept(data: bytes, *, filename: str = "", sheet: str | None = None) -> str:
    """Check an uploaded or pasted table can be read, keep it, and return its id for the next steps."""
    read_table(data, filename=filename, sheet=sheet)
    return keep_upload(data)

"""Uploaded files: checked, named at random, kept outside static/, and recorded with their digest.

Every file goes through one backend interface: a directory under instance/ by default. A file
is written before its record commits, so a record never points at a missing file. A backend that
cannot write or read raises `StorageUnavailable` (a 503 page) and a missing file `StoredFileMissing`
(a 404 page); `discard` removes a file written for a unit of work that failed, and never raises.
"""

import hashlib
import logging
import secrets
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from flask import Flask, current_app
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.errors import DomainError, StorageUnavailable, StoredFileMissing
from clearinghouse.extensions import db, on_rollback
from clearinghouse.pdf import check_pdf
from clearinghouse.storage_s3 import S3Storage
from clearinghouse.timeutil import UTCDateTime, utcnow

log = logging.getLogger(__name__)
ORIGINAL_NAME_MAX = 200


class StoredFile(db.Model):
    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)  # random; never the upload's name
    original_name: Mapped[str] = mapped_column(String(ORIGINAL_NAME_MAX))  # shown, never used as a path
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StorageBackend(Protocol):
    def write(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def check(self) -> None:
        """Raise if the storage cannot be reached (for /healthz)."""


class LocalStorage:
    """Files in one directory; every path is confined to it."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key[:2] / key).resolve()
        if self.root not in path.parents:
            raise ValueError("Storage key escapes the storage directory.")
        return path

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_suffix(".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as err:
            with suppress(OSError):  # a partial file, if the disk filled up half-way
                tmp.unlink(missing_ok=True)
            raise StorageUnavailable(f"Cannot write {path}: {err}") from err

    def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as err:
            raise StoredFileMissing(f"{path} is missing") from err
        except OSError as err:
            raise StorageUnavailable(f"Cannot read {path}: {err}") from err

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / ".healthz"
        probe.write_bytes(b"ok")
        probe.unlink()


def backend_for(app: Flask) -> StorageBackend:
    url = app.config.get("STORAGE_URL") or ""
    if url.startswith("s3://"):
        return S3Storage.from_url(url)
    if url.startswith("file://"):
        return LocalStorage(url[len("file://") :])
    if url:
        raise ValueError(f"STORAGE_URL must start with s3:// or file://, not {url!r}.")
    return LocalStorage(app.config["UPLOAD_DIR"])


def storage() -> StorageBackend:
    return current_app.extensions["clearinghouse_storage"]


def discard(key: str) -> None:
    """Remove a file written for a unit of work that then failed; a failure here is only logged,
    so it never hides the error that made the unit of work fail."""
    try:
        storage().delete(key)
    except Exception:  # any backend error: the original error matters more than a stray file
        log.exception("Could not remove the stored file %s after a failed change", key)


def init_app(app: Flask) -> None:
    app.extensions["clearinghouse_storage"] = backend_for(app)


def read_upload(upload: IO[bytes], *, max_bytes: int) -> bytes:
    """Read an upload, refusing anything over the limit without reading it all."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            f"That file is larger than the {max_bytes // (1024 * 1024)} MB limit. Choose a smaller file.",
            field="document",
        )
    if not data:
        raise DomainError("That file is empty. Choose the file again.", field="document")
    return data


def pdf_page_count(data: bytes, field: str = "document") -> int:
    """Check that the bytes are a real, readable, unencrypted, harmless PDF (`pdf.check_pdf`); return its page count."""
    return check_pdf(data, field=field)


def safe_original_name(name: str | None) -> str:
    """The upload's own name, for display only: no directories, no control characters."""
    base = (name or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "document.pdf"
    return base[:ORIGINAL_NAME_MAX]


def store_pdf(upload: IO[bytes], original_name: str | None, *, field: str = "document") -> StoredFile:
    """Validate a PDF upload, write it to storage and add (not commit) its record.

    Raises DomainError for an oversize, empty, fake, encrypted or damaged file; nothing is stored then.
    When the transaction it belongs to rolls back, the written file is discarded again.
    """
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    try:
        data = read_upload(upload, max_bytes=max_bytes)
    except DomainError as err:
        raise DomainError(err.message, field=field) from None
    pages = pdf_page_count(data, field=field)
    key = secrets.token_hex(24)
    storage().write(key, data)
    on_rollback(lambda: discard(key))
    record = StoredFile(
        storage_key=key,
        original_name=safe_original_name(original_name),
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=pages,
    )
    db.session.add(record)
    return record

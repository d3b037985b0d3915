"""Reading PDFs that strangers upload, in bounded time and memory.

Every uploaded PDF (a disposal certificate, an agreement's signed document) goes through
`check_pdf` before it is stored, and pyHanko's signature check runs through `run_limited` too:

- The work runs in a child process with a memory ceiling (`PDF_CHECK_MEMORY_MB` above what
  the process already uses), a CPU-time limit and a wall-clock limit (`PDF_CHECK_SECONDS`). A file
  that would make the parser hang or swell is refused with a message; the web worker never does.
- Before a page's content stream is decoded, its filters are checked: only the text compressions
  (Flate, LZW, ASCII85, ASCIIHex, RunLength) are allowed there, so an image codec such as JBIG2 or
  JPX in a content stream (damaged or hostile) is refused without being decoded. Images are never
  decoded. Each stream may expand to `STREAM_LIMIT` bytes and the pages together to
  `CONTENT_BUDGET`: a "decompression bomb" (a few hundred KB that expand to gigabytes) is refused.
- Active content is refused (decided for issue 10): a PDF with JavaScript (`/JS`, a `/JavaScript`
  name tree or action) or a `/Launch` action, and a file whose first kilobyte holds HTML (`<html`,
  `<script`…, a polyglot that a browser could run). A disposal certificate and a signed agreement
  are documents to read and keep, and a published agreement is downloaded by the public, so such
  a file is turned away with a message saying how to make a plain copy ("Print to PDF"), rather
  than kept with a warning that an officer might miss. A file that does not start with `%PDF-`
  (HTML before the header, for instance) is not a PDF and is refused.

The child is forked from a small server process started for this purpose (multiprocessing's
"forkserver"), never from the web worker itself: a child forked from a worker would inherit its open
database, Redis and SMTP connections, and one query it made (a date formatted in the district's
zone reads the settings) would interleave with the worker's own on the same socket. So the work
runs without an application or a database, and returns plain facts that the caller words.
`signature_findings` (pyHanko) lives here for that reason. Linux only, like the rest of the deployment.
"""

import io
import logging
import multiprocessing
import os
import resource
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from asn1crypto.x509 import Certificate
from flask import current_app
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from clearinghouse.errors import DomainError

T = TypeVar("T")
log = logging.getLogger(__name__)
# The checking processes fork from a server that has this module (and pypdf, pyHanko) imported.
CHECKER = multiprocessing.get_context("forkserver")
CHECKER.set_forkserver_preload([__name__])

PDF_MAGIC = b"%PDF-"
HEADER_WINDOW = 1024
HTML_MARKERS = (b"<html", b"<!doctype", b"<script", b"<body", b"<head", b"<iframe", b"<svg", b"<?xml")
TEXT_FILTERS = frozenset(
    {
        "/FlateDecode",
        "/Fl",
        "/LZWDecode",
        "/LZW",
        "/ASCII85Decode",
        "/A85",
        "/ASCIIHexDecode",
        "/AHx",
        "/RunLengthDecode",
        "/RL",
    }
)
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
STREAM_LIMIT = 32 * 1024 * 1024  # bytes one stream may expand to
CONTENT_BUDGET = 64 * 1024 * 1024  # bytes all pages' content may expand to
NESTING_LIMIT = 64  # how deep a direct (inline) object is searched for actions

NOT_A_PDF = "That file is not a PDF. Choose a PDF file and try again."
HTML_INSIDE = (
    "That file mixes a PDF with web page code, which is not accepted. Open it and save or print it to a new "
    "PDF, then upload that."
)
ENCRYPTED = "That PDF is password-protected. Upload a copy without a password."
DAMAGED = "That PDF is damaged or incomplete and cannot be read. Check the file."
NO_PAGES = "That PDF has no pages."
TOO_LARGE = (
    "That PDF expands to far more than its size when opened (it may be damaged or built to exhaust the "
    "server), so it was not accepted. Save or print it to a new PDF and upload that."
)
ACTIVE_CONTENT = (
    "That PDF contains JavaScript or an action that starts a program, which is not accepted. Print it to a "
    "new PDF (“Print to PDF”, which keeps only what the pages show) and upload that."
)
TOO_COMPLEX = (
    "That PDF could not be checked within the time and memory allowed (it may be damaged or built to exhaust "
    "the server), so it was not accepted. Save or print it to a new PDF and upload that."
)


class PdfRefused(Exception):
    """The PDF is refused; the message is safe to show (raised in the child, re-raised as DomainError)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LimitExceeded(Exception):
    """The limited work ran out of time or memory, or its process died."""


class ChildFailed(RuntimeError):
    """The limited work raised an error of its own (its type and message are kept)."""


# --- limits -------------------------------------------------------------------------------


def _address_space() -> int:
    """The bytes of address space this process uses now (the first field of /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(sender: Any, function: Callable[[bytes], Any], data: bytes, memory: int, seconds: int) -> None:
    try:
        ceiling = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        outcome: tuple[str, Any] = ("ok", function(data))
    except PdfRefused as err:
        outcome = ("refused", err.message)
    except MemoryError:
        outcome = ("limit", "memory")
    except BaseException as err:  # reported to the parent, which decides; the child must always answer
        outcome = ("error", f"{type(err).__name__}: {err}")
    try:
        sender.send(outcome)
    except Exception as err:  # e.g. a result that cannot be pickled
        sender.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        sender.close()


def run_limited(function: Callable[[bytes], T], data: bytes) -> T:
    """`function(data)` in a child process under the configured time and memory limits.

    `function` must be picklable (a module-level function, or a partial of one): the child is a
    fresh process with no application, database or request of the caller's.

    Raises PdfRefused when the function did, LimitExceeded when the child ran out of time or
    memory or died, and ChildFailed (with the child's error) for anything else it raised.
    """
    seconds = current_app.config["PDF_CHECK_SECONDS"]
    memory = current_app.config["PDF_CHECK_MEMORY_MB"] * 1024 * 1024
    receiver, sender = CHECKER.Pipe(duplex=False)
    process = CHECKER.Process(target=_child, args=(sender, function, data, memory, seconds))
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise LimitExceeded(f"no answer within {seconds} s")
        status, value = receiver.recv()
    except EOFError:
        raise LimitExceeded("the checking process ended without an answer") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if status == "ok":
        return value
    if status == "refused":
        raise PdfRefused(value)
    if status == "limit":
        raise LimitExceeded(value)
    raise ChildFailed(value)


# --- the checks (run in the child) ----------------------------------------------------------


def _filters(stream: StreamObject) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    value = value.get_object()
    return [str(item.get_object()) for item in value] if isinstance(value, ArrayObject) else [str(value)]


def _content_streams(page: DictionaryObject) -> Iterator[StreamObject]:
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    parts = contents if isinstance(contents, ArrayObject) else [contents] if contents is not None else []
    for part in parts:
        stream = part.get_object()
        if not isinstance(stream, StreamObject):
            raise PdfRefused(DAMAGED)
        yield stream


def _objects(reader: PdfReader) -> Iterator[Any]:
    """Every indirect object of the file, those inside object streams included."""
    for generation, entries in reader.xref.items():
        for number in entries:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        yield reader.get_object(IndirectObject(number, 0, reader))


def _is_active(value: Any, depth: int = 0) -> bool:
    """A dictionary (or one nested in it, written inline) that carries JavaScript or a Launch action."""
    if depth > NESTING_LIMIT:
        return False
    if isinstance(value, DictionaryObject):
        if "/JS" in value or "/JavaScript" in value or value.get("/S") in ACTIVE_ACTIONS:
            return True
        children = value.values()
    elif isinstance(value, ArrayObject):
        children = value
    else:
        return False
    return any(_is_active(child, depth + 1) for child in children if not isinstance(child, IndirectObject))


def inspect_pdf(data: bytes) -> int:
    """The page count of a readable, unencrypted PDF without active content; PdfRefused otherwise."""
    if not data.startswith(PDF_MAGIC):
        raise PdfRefused(NOT_A_PDF)
    head = data[:HEADER_WINDOW].lower()
    if any(marker in head for marker in HTML_MARKERS):
        raise PdfRefused(HTML_INSIDE)
    limits = {
        "maximum_declared_stream_length": STREAM_LIMIT,
        "zlib_maximum_output_length": STREAM_LIMIT,
        "lzw_maximum_output_length": STREAM_LIMIT,
        "run_length_maximum_output_length": STREAM_LIMIT,
        "array_based_stream_maximum_output_length": STREAM_LIMIT,
        "jbig2_maximum_output_length": STREAM_LIMIT,
        "image_maximum_buffer_size": STREAM_LIMIT,
    }
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise PdfRefused(ENCRYPTED)
            pages = len(reader.pages)
            decoded = 0
            for page in reader.pages:
                for stream in _content_streams(page):
                    if not set(_filters(stream)) <= TEXT_FILTERS:
                        raise PdfRefused(DAMAGED)  # an image codec where the page's text belongs
                    decoded += len(stream.get_data())
                    if decoded > CONTENT_BUDGET:
                        raise PdfRefused(TOO_LARGE)
            if any(_is_active(obj) for obj in _objects(reader)):
                raise PdfRefused(ACTIVE_CONTENT)
    except LimitReachedError:
        raise PdfRefused(TOO_LARGE) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise PdfRefused(DAMAGED) from None
    if pages < 1:
        raise PdfRefused(NO_PAGES)
    return pages


def check_pdf(data: bytes, *, field: str = "document") -> int:
    """The page count of an uploaded PDF, checked as the module docstring says; DomainError on `field` if refused."""
    try:
        return run_limited(inspect_pdf, data)
    except PdfRefused as err:
        raise DomainError(err.message, field=field) from None
    except LimitExceeded as err:
        current_app.logger.warning("An uploaded PDF exceeded the checking limits: %s", err)
        raise DomainError(TOO_COMPLEX, field=field) from None
    except ChildFailed as err:  # a parser error not foreseen above: the file is unreadable to us
        current_app.logger.warning("An uploaded PDF could not be checked: %s", err)
        raise DomainError(DAMAGED, field=field) from None


def signature_findings(data: bytes, roots: list[bytes]) -> list[dict[str, Any]]:
    """The facts about each signature embedded in the PDF (run through `run_limited`).

    One dict per signature: `readable` False when pyHanko could not validate it, otherwise the
    signer's name, the time the signer reported, whether the signed bytes are intact, whether the
    signature covers the whole file, and whether the signer chains to one of `roots` (certificates
    as DER bytes, which pickle; asn1crypto's objects do not).
    """
    try:
        embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as err:  # pyHanko may fail on PDFs that pypdf tolerates
        log.info("No signatures read from an uploaded PDF: %s", err)
        return []
    context = ValidationContext(trust_roots=[Certificate.load(der) for der in roots], allow_fetching=False)
    return [_signature_finding(sig, context) for sig in embedded]


def _signature_finding(sig: Any, context: ValidationContext) -> dict[str, Any]:
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as err:  # a malformed signature is a finding, not a crash
        log.info("An embedded signature could not be validated: %s", err)
        return {"readable": False}
    subject = status.signing_cert.subject.native
    signer = subject.get("common_name") or status.signing_cert.subject.human_friendly
    if isinstance(signer, list):
        signer = ", ".join(signer)
    return {
        "readable": True,
        "signer": str(signer),
        "signed_at": status.signer_reported_dt,
        "intact": bool(status.intact and status.valid),
        "trusted": bool(status.trusted),
        "covers_whole_document": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    }

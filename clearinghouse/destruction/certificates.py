"""Disposal certificate files: the upload checked and stored, its digital signatures validated, the download.

The request's state machine lives in destruction.services; this module prepares what
`submit_certificate` records (the StoredFile and the signature report). A refused submission
rolls back the caller's unit of work, and with it the written file, so it leaves nothing behind.
"""

import io
import logging
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

from asn1crypto import pem
from flask import Response, current_app
from werkzeug.utils import secure_filename

from clearinghouse.accounts.models import User
from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, DisposalMethod
from clearinghouse.downloads import send_stored_file
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.pdf import PDF_MAGIC, ChildFailed, LimitExceeded, run_limited, signature_findings
from clearinghouse.storage import read_upload, store_pdf
from clearinghouse.timeutil import format_datetime

log = logging.getLogger(__name__)

ATTESTATION = (
    "I attest that all copies of the data covered by this request, including copies held by "
    "subcontractors and other authorized persons and copies in backups, replicas, logs and "
    "analytics stores, have been returned to the district or destroyed as stated above."
)
UNSIGNED_SUMMARY = "No digital signature (scanned or wet signature)."
UNCHECKED_SUMMARY = "Digital signatures could not be checked: the file is too complex to read within the limits."
# Acrobat's rule: the end-of-file marker must be within the last 1024 bytes. A cut-off file
# whose first revision is still readable would otherwise pass as a shorter, unsigned PDF.
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 1024


def submit_certificate_upload(
    dr: DestructionRequest,
    *,
    actor: User | None,
    upload: IO[bytes],
    filename: str | None,
    signer_name: str,
    signer_title: str,
    disposed_on: date,
    method: DisposalMethod,
    method_other: str,
    attests_all_copies: bool,
    now: datetime | None = None,
) -> DisposalCertificate:
    """Check and store the vendor's signed PDF, then submit it as the request's certificate (a core: flushes only).

    Refuses (DomainError, nothing stored) an oversize, empty, fake, encrypted or damaged file, and
    whatever `services.submit_certificate` refuses (a request that is not open, a date in the
    future, a missing attestation…): the caller's unit of work then rolls back, which discards the
    file just written (`store_pdf`).
    """
    services.check_transition(dr, "submit")  # refuse a closed request before reading the file
    data = read_upload(upload, max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024)
    if data.startswith(PDF_MAGIC) and EOF_MARKER not in data[-EOF_WINDOW:]:
        raise DomainError(
            "That PDF is incomplete (the end of the file is missing). Choose the file again.", field="document"
        )
    stored = store_pdf(io.BytesIO(data), filename)  # validates, then writes the file and adds its row
    db.session.flush([stored])  # the certificate refers to the file's id
    return services.submit_certificate(
        dr,
        actor=actor,
        stored_file=stored,
        signature_report=signature_report(data),
        signer_name=signer_name.strip(),
        signer_title=signer_title.strip(),
        disposed_on=disposed_on,
        method=method,
        method_other=method_other.strip() if method == DisposalMethod.OTHER else "",
        attests_all_copies=attests_all_copies,
        now=now,
    )


def trust_roots() -> list[bytes]:
    """The DER bytes of each certificate in the TRUSTED_ROOTS_PEM file, or none (then no signer is 'trusted')."""
    path = current_app.config.get("TRUSTED_ROOTS_PEM")
    if not path:
        return []
    return [der for _type, _headers, der in pem.unarmor(Path(path).read_bytes(), multiple=True)]


def signature_report(data: bytes) -> dict[str, Any]:
    """What the PDF's embedded signatures say: who signed, whether the bytes are intact, trusted.

    pyHanko reads the file under the upload limits (`pdf.run_limited`) and returns plain facts;
    the wording (with dates in the district's zone) is written here, in the web process, because
    the checking process has no database or application of its own. Never raises: a signature
    that cannot be checked is reported as not intact, with the reason.
    """
    roots = trust_roots()
    try:
        findings = run_limited(partial(signature_findings, roots=roots), data)
    except (LimitExceeded, ChildFailed) as err:
        log.warning("The signatures of an uploaded PDF could not be checked: %s", err)
        return {"signed": False, "signatures": [], "summary": UNCHECKED_SUMMARY}
    if not findings:
        return {"signed": False, "signatures": [], "summary": UNSIGNED_SUMMARY}
    signatures = [_described(finding, bool(roots)) for finding in findings]
    intact = all(s["intact"] and s["covers_whole_document"] for s in signatures)
    summary = f"Digitally signed ({len(signatures)} signature{'s' if len(signatures) > 1 else ''}); " + (
        "not changed since signing." if intact else "ALTERED after signing or not fully covered: check the file."
    )
    return {"signed": True, "signatures": signatures, "summary": summary}


def _described(finding: dict[str, Any], has_roots: bool) -> dict[str, Any]:
    """One signature's entry in the report, with the sentence the reviewing officer reads."""
    if not finding["readable"]:
        return {
            "signer": "unknown",
            "signed_at": "",
            "intact": False,
            "trusted": False,
            "covers_whole_document": False,
            "summary": "This signature could not be checked (it is damaged or uses an unsupported format).",
        }
    signer, signed_at = finding["signer"], finding["signed_at"]
    parts = [f"Signed by {signer}" + (f" on {format_datetime(signed_at)}" if signed_at else "") + "."]
    if not finding["intact"]:
        parts.append("ALTERED: the document was changed after it was signed.")
    elif not finding["covers_whole_document"]:
        parts.append("Intact, but content was added to the file after this signature.")
    else:
        parts.append("Intact: the document has not been changed since it was signed.")
    if finding["trusted"]:
        parts.append("The signer's certificate is chained to a trusted root.")
    else:
        parts.append(
            "The signer's certificate is not chained to a trusted root"
            + ("." if has_roots else " (no trusted roots are configured).")
        )
    return {
        "signer": signer,
        "signed_at": signed_at.isoformat() if signed_at else "",
        "intact": finding["intact"],
        "trusted": finding["trusted"],
        "covers_whole_document": finding["covers_whole_document"],
        "summary": " ".join(parts),
    }


def download_name(cert: DisposalCertificate) -> str:
    """An ASCII file name safe in a header and on any file system; never the upload's raw name."""
    stem = secure_filename(cert.file.original_name.removesuffix(".pdf").removesuffix(".PDF"))[:80]
    return f"disposal-certificate-{cert.id}{'-' + stem if stem else ''}.pdf"


def file_response(cert: DisposalCertificate) -> Response:
    """The certificate's PDF as a download (staff and the vendor's own); 404 when its file is missing."""
    return send_stored_file(cert.file, name=download_name(cert))

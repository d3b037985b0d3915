"""Load the demo district (`flask demo-data`): the data of district.toml, entered through the services.

Every record goes through the same service as its staff form (vendors, schools, products,
agreements, renewals, terminations, destruction requests, certificates, accounts), so versions,
name rules, audit events and public disclosure revisions are exactly those of a district that
typed it all in. The public history is dated as it happened: each disclosure revision gets the day
of the event it reports (the audit log keeps the real time of loading). Then the first daily
sweep runs for the demo's "today", so destruction requests, reminders in the outbox, a certified
product and the compliance report are there to see at once.

Demo rows are recognised by their vendor names: a database holding any other vendor holds real
data, and the command refuses to touch it unless forced (and then runs no sweep). Running the
loader again adds only the vendors that are missing, with their products, agreements and
requests, and nothing when everything is there.
"""

import io
import secrets
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from clearinghouse import sweep
from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import User
from clearinghouse.accounts.passwords import password_problem
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement, AgreementKind
from clearinghouse.agreements.services import AgreementInput
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.destruction import certificates
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import DestructionRequest, DisposalMethod, RequestScope
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import DataCategory, DataElement, Product, ProductStatus, School, Vendor
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports.mapping import parse_grades
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.settings.services import update_settings
from clearinghouse.slugs import slugify

DISTRICT_FILE = Path(__file__).with_name("district.toml")
# A signed agreement covers the others.
NOT_COVERED = (ProductStatus.UNDER_REVIEW, ProductStatus.NOT_APPROVED, ProductStatus.APPROVED_NO_STUDENT_DATA)
STATUS_FIELDS = ("status_note", "agreement_status", "agreement_note")  # as the product is now


@cache
def district() -> dict[str, Any]:
    """The demo district as district.toml describes it."""
    return tomllib.loads(DISTRICT_FILE.read_text(encoding="utf-8"))


def demo_vendor_names() -> list[str]:
    return [vendor["name"] for vendor in district()["vendors"]]


def real_vendor_name() -> str | None:
    """The name of a vendor that is not demo data, if the database has one."""
    return db.session.scalar(select(Vendor.name).where(Vendor.name.not_in(demo_vendor_names())).limit(1))


def has_vendors() -> bool:
    return db.session.scalar(select(func.count(Vendor.id))) > 0


@dataclass
class DemoResult:
    vendors: int = 0
    products: int = 0
    schools: int = 0
    agreements: int = 0
    documents: int = 0
    revisions: int = 0
    requests: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, password)
    first_sweep: sweep.SweepReport | None = None

    def summary(self) -> str:
        if not (self.vendors or self.schools or self.accounts):
            return "Demo data is already loaded: nothing to add."
        lines = [
            f"Demo data added: {self.vendors} vendors, {self.products} products, {self.schools} schools, "
            f"{self.agreements} agreements ({self.documents} with a published document), "
            f"{self.requests} destruction requests, {self.revisions} public change records."
        ]
        if self.first_sweep is not None:
            lines.append(self.first_sweep.summary().splitlines()[0])
        return "\n".join(lines)


def load_demo(today: date, *, with_accounts: bool = False) -> DemoResult:
    """Add whatever part of the demo district is missing, in one unit of work; then sweep once. Safe to repeat."""
    data = district()
    result = DemoResult()
    beside_real_data = real_vendor_name() is not None
    with unit_of_work():
        seed_taxonomy()
        revisions_before = db.session.scalar(select(func.count(DisclosureRevision.id)))
        _settings(data["district"])
        schools = _schools(data["schools"], result)
        loaded = set(db.session.scalars(select(Vendor.name).where(Vendor.name.in_(demo_vendor_names()))))
        added = [vendor for vendor in data["vendors"] if vendor["name"] not in loaded]
        for vendor in added:
            _vendor(vendor, today, schools, result)
        added_names = {vendor["name"] for vendor in added}
        for request in data["destruction_requests"]:
            if request["vendor"] in added_names:
                _destruction_request(request, today)
                result.requests += 1
        if with_accounts:
            _accounts(data["accounts"], result)
        result.revisions = db.session.scalar(select(func.count(DisclosureRevision.id))) - revisions_before
    if added and not beside_real_data:
        result.first_sweep = sweep.run(today, deliver=False)  # the notices wait in the outbox
    return result


# --- the district, its schools, vendors and products -----------------------------------------------


def _settings(spec: dict[str, Any]) -> None:
    """Name the district and its privacy office where the settings still hold their defaults."""
    settings, defaults = get_settings(), DistrictSettings.with_defaults()
    wanted = {
        "district_name": spec["name"],
        "privacy_office_email": spec["privacy_office_email"],
        "privacy_notice_md": spec["privacy_notice"],
        "district_signer_name": spec["signer_name"],
        "district_signer_title": spec["signer_title"],
    }
    values = {key: value for key, value in wanted.items() if getattr(settings, key) == getattr(defaults, key)}
    if values:
        update_settings(values, version=settings.version, actor=None)


def _schools(specs: list[dict[str, Any]], result: DemoResult) -> list[School]:
    existing = {school.name: school for school in db.session.scalars(select(School))}
    for spec in specs:
        if spec["name"] not in existing:
            existing[spec["name"]] = directory.create_school(None, name=spec["name"], grade_band=spec["grade_band"])
            result.schools += 1
    return [existing[spec["name"]] for spec in specs]


def _vendor(spec: dict[str, Any], today: date, schools: list[School], result: DemoResult) -> None:
    site = f"https://www.{spec['web_domain']}.example"
    vendor = directory.create_vendor(
        None,
        name=spec["name"],
        website=site,
        privacy_policy_url=f"{site}/privacy",
        contact_email=f"privacy@{spec['web_domain']}.example",
        description_md=spec["about"],
    )
    result.vendors += 1
    history = district()["agreement_histories"][spec["agreements"]]
    # Products appear in the public history when the first agreement was signed (or a month ago).
    listed_days_ago = max(
        [30] + [-term[key] for term in history for key in ("signed_day", "effective_day") if key in term]
    )
    products = [_product(product, vendor, today, schools, listed_days_ago) for product in spec["products"]]
    result.products += len(products)
    _agreements(spec, history, vendor, products, today, result)


def _product(spec: dict[str, Any], vendor: Vendor, today: date, schools: list[School], listed_days_ago: int) -> Product:
    """The product as it was first listed; `until` replays what changed since, for its public history."""
    uses = _uses(spec)
    until = spec.get("until", {})
    first_uses = {element: purpose for key, (element, purpose) in uses.items() if key not in until.get("without", [])}
    grades = parse_grades(spec["grades"])
    statuses = {key: spec[key] for key in STATUS_FIELDS if key in spec}
    with _dated(today, listed_days_ago):
        product = directory.create_product(
            None,
            vendor=vendor,
            school_ids=[school.id for school in schools if parse_grades(school.grade_band) & grades],
            data_uses=first_uses,
            name=spec["name"],
            kind=spec["kind"],
            status=until.get("status", spec["status"]),
            website=f"{vendor.website}/{slugify(spec['name'])}",
            purpose_md=until.get("purpose", spec["purpose"]),
            grade_bands=spec["grades"],
            **({} if until else statuses),
        )
    if until:
        with _dated(today, until["days_ago"]):
            directory.update_product(
                product,
                None,
                version=product.version,
                status=spec["status"],
                purpose_md=spec["purpose"],
                data_uses=dict(uses.values()),
                **statuses,
            )
    return product


def _uses(spec: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """{key: (data element id, purpose)}: the usual uses of the product's kind, as the product adjusts them."""
    if spec.get("receives_nothing"):
        return {}
    data = district()
    keys = [key for key in data["usual_uses"][spec["kind"]] if key not in spec.get("does_not_receive", [])]
    purposes = {key: data["usual_purposes"][key] for key in [*keys, *spec.get("also_receives", [])]}
    purposes |= spec.get("own_purposes", {})
    ids = _element_ids()
    return {key: (ids[tuple(data["data_elements"][key])], purpose) for key, purpose in purposes.items()}


def _element_ids() -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(DataCategory.name, DataElement.name, DataElement.id).join(DataElement.category))
    return {(category, element): element_id for category, element, element_id in rows}


# --- agreements ----------------------------------------------------------------------------------------


def _agreements(
    spec: dict[str, Any], history: list[dict], vendor: Vendor, products: list[Product], today: date, result: DemoResult
) -> None:
    """The vendor's agreements, oldest first: each signed, renewed or terminated on its day."""
    previous: Agreement | None = None
    for position, term in enumerate(history):
        signed = "signed_day" in term
        covered = products if not signed else [p for p in products if p.status not in NOT_COVERED]
        data = AgreementInput(
            kind=AgreementKind(term["kind"]),
            reference=term["reference"],
            product_ids=[product.id for product in covered],
            signed_on=_day(today, term.get("signed_day")),
            effective_on=_day(today, term.get("effective_day")),
            expires_on=_day(today, term.get("expires_day")),
            is_open_ended=signed and "expires_day" not in term,
            auto_renews=term.get("renews_each_year", False),
            dates_recorded=term.get("dates_recorded", True),
        )
        if signed and position == len(history) - 1 and spec.get("publishes_signed_agreement"):
            data.document = FileStorage(io.BytesIO(_agreement_pdf(vendor, data, covered)), _pdf_name(vendor))
            data.is_document_published = True
            result.documents += 1
        with _dated(today, -term.get("signed_day", 0)):
            if previous is not None and history[position - 1].get("renewed"):
                agreement = agreements.renew_agreement(previous, None, data, version=previous.version, today=today)
            else:
                agreement = agreements.create_agreement(None, vendor, data, today=today)
        if "terminated_day" in term:
            with _dated(today, -term["terminated_day"]):
                agreements.terminate_agreement(
                    agreement,
                    None,
                    version=agreement.version,
                    terminated_on=_day(today, term["terminated_day"]),
                    reason=term["termination_reason"],
                    today=today,
                )
        result.agreements += 1
        previous = agreement


def _agreement_pdf(vendor: Vendor, data: AgreementInput, covered: list[Product]) -> bytes:
    return simple_pdf(
        [
            "Student Data Privacy Agreement",
            "",
            f"Between {district()['district']['name']} and {vendor.name}",
            f"Agreement: {data.reference}",
            f"Signed on {data.signed_on:%B %d, %Y}.",
            f"Covers: {', '.join(p.name for p in covered)}.",
            "",
            "DEMO DOCUMENT - generated for a trial of the Clearinghouse; not a real contract.",
        ]
    )


def _pdf_name(vendor: Vendor) -> str:
    return f"{vendor.slug}-data-privacy-agreement.pdf"


# --- destruction requests and certificates ---------------------------------------------------------


def _destruction_request(spec: dict[str, Any], today: date) -> DestructionRequest:
    """A directive issued on its day; the vendor's certificate, and the office's decision, on theirs."""
    vendor = db.session.scalars(select(Vendor).where(Vendor.name == spec["vendor"])).one()
    agreement_id = None
    if "agreement" in spec:
        agreement_id = db.session.scalars(
            select(Agreement.id).where(Agreement.vendor_id == vendor.id, Agreement.reference == spec["agreement"])
        ).one()
    names = spec.get("categories", [])
    category_ids = list(db.session.scalars(select(DataCategory.id).where(DataCategory.name.in_(names))))
    if len(category_ids) != len(names):
        raise ValueError(f"district.toml: a category of the request to {vendor.name} is not in the taxonomy: {names}")
    draft = destruction.RequestDraft(
        vendor_id=vendor.id,
        agreement_id=agreement_id,
        reason=spec["reason"],
        scope=RequestScope.CATEGORIES if category_ids else RequestScope.ALL,
        category_ids=category_ids,
    )
    dr = destruction.open_destruction_request(draft, actor=None, today=_day(today, spec["issued_day"]))
    answer = spec.get("certificate")
    if answer is not None:
        certificate = certificates.submit_certificate_upload(
            dr,
            actor=None,
            upload=io.BytesIO(_certificate_pdf(vendor, dr, answer, today)),
            filename=f"{vendor.slug}-disposal-certificate.pdf",
            signer_name=answer["signer_name"],
            signer_title=answer["signer_title"],
            disposed_on=_day(today, answer["disposed_day"]),
            method=DisposalMethod(answer["method"]),
            method_other="",
            attests_all_copies=True,
            now=_noon(today, -answer["submitted_day"]),
        )
        if "accepted_day" in answer:
            with _dated(today, -answer["accepted_day"]):
                destruction.accept_certificate(certificate, actor=None, today=_day(today, answer["accepted_day"]))
    return dr


def _certificate_pdf(vendor: Vendor, dr: DestructionRequest, answer: dict[str, Any], today: date) -> bytes:
    return simple_pdf(
        [
            "Certificate of Disposal of Student Data",
            "",
            f"{vendor.name} certifies that the data named in destruction request {dr.id}",
            f"of {district()['district']['name']} was disposed of on {_day(today, answer['disposed_day']):%B %d, %Y}.",
            f"Signed: {answer['signer_name']}, {answer['signer_title']}.",
            "",
            "DEMO DOCUMENT - generated for a trial of the Clearinghouse; not a real certificate.",
        ]
    )


# --- accounts ----------------------------------------------------------------------------------------


def _accounts(specs: list[dict[str, Any]], result: DemoResult) -> None:
    """The demo accounts, each with a new random password (printed once); existing ones are left alone."""
    for spec in specs:
        if db.session.scalar(select(func.count(User.id)).where(User.email == spec["email"])):
            continue
        vendor = db.session.scalar(select(Vendor).where(Vendor.name == spec["vendor"])) if "vendor" in spec else None
        password = _random_password(spec["email"])
        user = accounts.create_user_with_password(
            spec["email"], spec["name"], password, role=spec["role"], vendor=vendor
        )
        result.accounts.append((user.role.label, user.email, password))


def _random_password(email: str) -> str:
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, email=email) is None:
            return password


# --- dates and files -----------------------------------------------------------------------------------


def _day(today: date, offset: int | None) -> date | None:
    return None if offset is None else today + timedelta(days=offset)


def _noon(today: date, days_ago: int) -> datetime:
    """Noon UTC on a day relative to today: when a demo event happened."""
    return datetime.combine(today - timedelta(days=days_ago), time(12), tzinfo=UTC)


@contextmanager
def _dated(today: date, days_ago: int) -> Iterator[None]:
    """Date the disclosure revisions that the services write in the block on the day they report."""
    last = db.session.scalar(select(func.coalesce(func.max(DisclosureRevision.id), 0)))
    yield
    db.session.execute(
        update(DisclosureRevision)
        .where(DisclosureRevision.id > last)
        .values(occurred_at=_noon(today, days_ago))
        .execution_options(synchronize_session=False)
    )


def simple_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing the lines (Helvetica, ASCII)."""

    def escape(text: str) -> str:
        ascii_text = text.encode("ascii", "replace").decode()
        return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    stream = body.encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)

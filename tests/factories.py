"""Plain builders for test rows: each takes overrides, fills unique defaults, and commits."""

import io
import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from clearinghouse.accounts.models import Role, User
from clearinghouse.agreements.models import Agreement, AgreementKind
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
)
from clearinghouse.extensions import db
from clearinghouse.storage import store_pdf

_seq = itertools.count(1)
TEST_PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}


def _n() -> int:
    return next(_seq)


def slugify(text: str) -> str:
    return "-".join("".join(ch.lower() if ch.isalnum() else " " for ch in text).split())


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


def password_hash(password: str = TEST_PASSWORD) -> str:
    if password not in _hash_cache:  # scrypt is slow on purpose; tests reuse one hash
        _hash_cache[password] = generate_password_hash(password)
    return _hash_cache[password]


def make_user(
    *,
    role: str | Role = Role.OFFICER,
    email: str | None = None,
    vendor: Vendor | None = None,
    password: str | None = TEST_PASSWORD,
    **overrides,
) -> User:
    n = _n()
    return _save(
        User(
            email=(email or f"user{n}@district.example").lower(),
            name=overrides.pop("name", f"Test User {n}"),
            role=Role(role),
            vendor_id=vendor.id if vendor else overrides.pop("vendor_id", None),
            password_hash=password_hash(password) if password else None,
            **overrides,
        )
    )


def make_vendor(**overrides) -> Vendor:
    n = _n()
    name = overrides.pop("name", f"Vendor {n}")
    return _save(
        Vendor(
            name=name,
            slug=overrides.pop("slug", slugify(name)),
            website=overrides.pop("website", f"https://vendor{n}.example"),
            **overrides,
        )
    )


def copy_vendor(vendor: Vendor, count: int, *, retired_every: int = 0) -> None:
    """`count` copies of the vendor in one statement (PostgreSQL), named "Vendor 1" … "Vendor <count>", for the plan
    tests' catalogues of thousands of products; with `retired_every`, one copy in that many retired."""
    db.session.execute(
        sa.text(
            """INSERT INTO vendor (name, slug, website, privacy_policy_url, contact_email, description_md,
                   internal_notes, is_retired, created_at, updated_at, translations, name_key)
               SELECT 'Vendor ' || n, 'vendor-' || n, website, privacy_policy_url, contact_email, description_md,
                   internal_notes, n % :retired_every = 0, created_at, updated_at, translations, 'vendor ' || n
               FROM vendor, generate_series(1, :count) AS n WHERE vendor.id = :template"""
        ),
        {"count": count, "template": vendor.id, "retired_every": retired_every or count + 1},
    )


def make_school(**overrides) -> School:
    n = _n()
    name = overrides.pop("name", f"School {n}")
    return _save(
        School(
            name=name,
            slug=overrides.pop("slug", slugify(name)),
            grade_band=overrides.pop("grade_band", "K-5"),
            **overrides,
        )
    )


def make_category(**overrides) -> DataCategory:
    n = _n()
    name = overrides.pop("name", f"Category {n}")
    return _save(DataCategory(name=name, slug=overrides.pop("slug", slugify(name)), position=n, **overrides))


def make_element(category: DataCategory | None = None, **overrides) -> DataElement:
    n = _n()
    category = category or make_category()
    name = overrides.pop("name", f"Element {n}")
    return _save(
        DataElement(
            category_id=category.id,
            name=name,
            slug=overrides.pop("slug", slugify(f"{name}-{n}")),
            position=n,
            **overrides,
        )
    )


def kind_named(kind: "ProductKind | str") -> ProductKind:
    """A kind of product given itself or by slug (those the migration seeds exist in every test)."""
    if isinstance(kind, ProductKind):
        return kind
    found = db.session.scalar(select(ProductKind).where(ProductKind.slug == kind))
    return found or make_kind(name=kind.replace("_", " ").capitalize(), slug=kind)


def make_kind(**overrides) -> ProductKind:
    """A kind of product the district added (by default offered last)."""
    n = _n()
    name = overrides.pop("name", f"Kind {n}")
    kind = ProductKind(
        name=name,
        slug=overrides.pop("slug", slugify(name)),
        position=overrides.pop("position", 100 + n),
        **overrides,
    )
    db.session.add(kind)
    return _save(kind)


def make_product(
    vendor: Vendor | None = None, *, elements: list[DataElement] = (), schools: list[School] = (), **overrides
) -> Product:
    n = _n()
    vendor = vendor or make_vendor()
    name = overrides.pop("name", f"Product {n}")
    product = Product(
        vendor_id=vendor.id,
        name=name,
        slug=overrides.pop("slug", slugify(f"{vendor.name} {name}")),
        kind=kind_named(overrides.pop("kind", "learning_platform")),
        status=ProductStatus(overrides.pop("status", ProductStatus.APPROVED)),
        purpose_md=overrides.pop("purpose_md", f"Helps students practise skill {n}."),
        **overrides,
    )
    db.session.add(product)
    product.schools = list(schools)
    product.data_uses = [DataUse(data_element_id=e.id, purpose=f"To provide the service ({e.name}).") for e in elements]
    return _save(product)


def make_agreement(vendor: Vendor, products: list[Product] = (), **overrides) -> Agreement:
    agreement = Agreement(
        vendor_id=vendor.id,
        kind=AgreementKind(overrides.pop("kind", AgreementKind.NDPA)),
        reference=overrides.pop("reference", f"NDPA {_n()}"),
        signed_on=overrides.pop("signed_on", date(2025, 7, 1)),
        effective_on=overrides.pop("effective_on", date(2025, 7, 1)),
        expires_on=overrides.pop("expires_on", date(2028, 6, 30)),
        **overrides,
    )
    db.session.add(agreement)
    agreement.products = list(products)
    return _save(agreement)


def sign_for_three_in_four() -> Agreement:
    """One active agreement, signed by a vendor of its own ("Signer"), covering every product whose id is not a
    multiple of four: a broad agreement filter on a plan test's catalogue, linked in one statement."""
    agreement = make_agreement(make_vendor(name="Signer"), [])
    db.session.execute(
        sa.text("INSERT INTO agreement_product (agreement_id, product_id) SELECT :a, id FROM product WHERE id % 4 > 0"),
        {"a": agreement.id},
    )
    db.session.commit()
    return agreement


def make_revision(vendor: Vendor, product: Product | None = None, **overrides):
    """A public disclosure revision (audit domain); `occurred_at` must be an aware datetime."""
    n = _n()
    return _save(
        DisclosureRevision(
            vendor_id=vendor.id,
            product_id=product.id if product else None,
            kind=overrides.pop("kind", "data_use.added"),
            summary=overrides.pop("summary", f"Change number {n}."),
            **overrides,
        )
    )


def make_pdf_bytes(pages: int = 1) -> bytes:
    """A real, valid PDF with blank pages (destruction domain)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_stored_pdf(name: str = "certificate.pdf"):
    """A PDF written through clearinghouse.storage (needs an app context), committed."""
    record = store_pdf(io.BytesIO(make_pdf_bytes()), name)
    db.session.commit()
    return record


def make_destruction_request(vendor: Vendor, agreement: Agreement | None = None, **overrides):
    """An open destruction request issued by the district (destruction domain)."""
    issued_on = overrides.pop("issued_on", date(2027, 1, 4))
    return _save(
        DestructionRequest(
            vendor_id=vendor.id,
            agreement_id=agreement.id if agreement else None,
            origin=overrides.pop("origin", RequestOrigin.DISTRICT_REQUEST),
            reason=overrides.pop("reason", "The district asks for the data to be destroyed."),
            issued_on=issued_on,
            due_on=overrides.pop("due_on", issued_on + timedelta(days=60)),
            status=overrides.pop("status", RequestStatus.OPEN),
            **overrides,
        )
    )

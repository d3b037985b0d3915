"""A small district for the intake tests: two schools, a reading tool already approved at one of
them, a requester, a second requester, an officer and a vendor with one element of data."""

from dataclasses import dataclass

import pytest

from clearinghouse.directory.models import ProductStatus
from tests import factories
from tests.conftest import in_app
from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture


@dataclass
class District:
    officer_id: int
    teacher_id: int
    principal_id: int
    north_id: int
    south_id: int
    approved_reader_id: int
    element_id: int
    other_element_id: int


def teacher(email: str, subject: str) -> int:
    return factories.make_user(
        role="requester",
        email=email,
        password=None,
        oidc_issuer="https://sign-in.district.example",
        oidc_subject=subject,
    ).id


@pytest.fixture
def district(app) -> District:
    with in_app(app):
        north = factories.make_school(name="North Elementary")
        south = factories.make_school(name="South Middle")
        vendor = factories.make_vendor(name="Acme Learning", contact_email="privacy@acme.example")
        category = factories.make_category(name="Demographics")
        element = factories.make_element(category, name="Date of birth")
        other = factories.make_element(category, name="Student name")
        reader = factories.make_product(
            vendor, name="Acme Reader", kind="reading", status=ProductStatus.APPROVED, schools=[north]
        )
        return District(
            officer_id=factories.make_user(role="officer", email="officer@district.example").id,
            teacher_id=teacher("tess@district.example", "tess"),
            principal_id=teacher("pat@district.example", "pat"),
            north_id=north.id,
            south_id=south.id,
            approved_reader_id=reader.id,
            element_id=element.id,
            other_element_id=other.id,
        )

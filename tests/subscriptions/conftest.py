"""Fixtures of the subscription tests: the loopback SMTP server and a small directory to follow."""

from collections.abc import Iterator

import pytest

from tests import factories
from tests.conftest import in_app
from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture

SITE = "https://privacy.district.example"


@pytest.fixture
def https_site(app) -> Iterator[str]:
    """The site's public address is https, as in production (links and List-Unsubscribe are built from it)."""
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = SITE
    yield SITE
    app.config["BASE_URL"] = saved


@pytest.fixture
def directory(app) -> dict:
    """Two products of one vendor, one used at a school; a data element not yet received."""
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning")
        category = factories.make_category(name="Academic")
        received = factories.make_element(category, name="Reading level")
        new = factories.make_element(category, name="Test scores")
        school = factories.make_school(name="Adams Elementary")
        coach = factories.make_product(vendor, name="Reading Coach", elements=[received], schools=[school])
        other = factories.make_product(vendor, name="Math Quest", elements=[received])
        return {
            "vendor_id": vendor.id,
            "coach_id": coach.id,
            "coach": coach.slug,
            "other_id": other.id,
            "other": other.slug,
            "school": school.slug,
            "school_id": school.id,
            "received_id": received.id,
            "new_id": new.id,
        }

"""Builders for the directory tests: a small catalogue of vendors, products, data and agreements."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.directory.models import DataElement, Product, ProductStatus, School, Vendor
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


@dataclass
class Catalog:
    """Ids and slugs of what `build_catalog` made, for tests that set up in one app context and ask in another."""

    element_slugs: dict[str, str]
    category_slugs: dict[str, str]
    school_slugs: dict[str, str]
    vendor_slugs: dict[str, str]
    product_slugs: dict[str, str]


def build_catalog() -> Catalog:
    """Two categories, four elements (one sensitive), two schools, three vendors and five products."""
    demographics = factories.make_category(name="Demographics")
    health = factories.make_category(name="Special Indicators")
    birth = factories.make_element(demographics, name="Date of Birth", slug="date-of-birth")
    language = factories.make_element(demographics, name="Language Information", slug="language-information")
    disability = factories.make_element(
        health, name="Student Disability Information", slug="disability", is_sensitive=True
    )
    unused = factories.make_element(health, name="Medical Alerts", slug="medical-alerts", is_sensitive=True)
    lincoln = factories.make_school(name="Lincoln Elementary", slug="lincoln", grade_band="K-5")
    roosevelt = factories.make_school(name="Roosevelt Middle", slug="roosevelt", grade_band="6-8")
    acme = factories.make_vendor(
        name="Acme Learning",
        slug="acme-learning",
        description_md="We make **maths** apps. <script>alert('x')</script>[click](javascript:alert(1))",
    )
    bright = factories.make_vendor(name="Bright Reading Co", slug="bright-reading")
    gone = factories.make_vendor(name="Gone Software", slug="gone-software", is_retired=True)
    math = factories.make_product(
        acme,
        name="MathWorld",
        slug="mathworld",
        elements=[birth, disability],
        schools=[lincoln],
        purpose_md="Adaptive **arithmetic** practice for grades K-5.",
    )
    quiz = factories.make_product(
        acme,
        name="Quiz Builder",
        slug="quiz-builder",
        elements=[birth],
        schools=[roosevelt],
        status=ProductStatus.UNDER_REVIEW,
        purpose_md="Teachers write short quizzes.",
    )
    reader = factories.make_product(
        bright,
        name="Élan Reader",
        slug="elan-reader",
        elements=[birth, language],
        schools=[lincoln, roosevelt],
        purpose_md="Leveled books for independent reading.",
    )
    old = factories.make_product(
        bright,
        name="Old Phonics",
        slug="old-phonics",
        elements=[birth],
        status=ProductStatus.RETIRED,
        purpose_md="Phonics drills, no longer used.",
    )
    legacy = factories.make_product(
        gone,
        name="Legacy Gradebook",
        slug="legacy-gradebook",
        elements=[birth],
        purpose_md="Grades, before the current system.",
    )
    # The pages use the real date, so the agreements are dated from it.
    today = district_today()
    factories.make_agreement(
        acme,
        [math, quiz],
        signed_on=today - timedelta(days=400),
        effective_on=today - timedelta(days=400),
        expires_on=today + timedelta(days=700),
    )
    factories.make_agreement(
        bright,
        [reader],
        signed_on=today - timedelta(days=300),
        effective_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=30),
    )
    factories.make_agreement(
        bright,
        [old],
        signed_on=today - timedelta(days=900),
        effective_on=today - timedelta(days=900),
        expires_on=today - timedelta(days=100),
    )
    del unused, legacy
    return Catalog(
        element_slugs={e.name: e.slug for e in db.session.scalars(select(DataElement))},
        category_slugs={"Demographics": demographics.slug, "Special Indicators": health.slug},
        school_slugs={s.name: s.slug for s in db.session.scalars(select(School))},
        vendor_slugs={v.name: v.slug for v in db.session.scalars(select(Vendor))},
        product_slugs={p.name: p.slug for p in db.session.scalars(select(Product))},
    )


@pytest.fixture
def catalog(app) -> Catalog:
    with in_app(app):
        return build_catalog()

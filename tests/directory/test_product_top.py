"""The top of a product page answers a parent's questions: what it is and who uses it, the sensitive
data it receives, its approval and agreement, and what happens to the data at the end, said before
the fact from the agreement (and "Data destruction certified on …" once it is)."""

from datetime import date, timedelta

import pytest
from lxml import html as lxml_html

from clearinghouse.agreements.models import Agreement, DataDisposal
from clearinghouse.agreements.status import AgreementStanding, ProductAgreementStatus
from clearinghouse.destruction.models import RequestStatus
from clearinghouse.extensions import db
from clearinghouse.i18n import language
from clearinghouse.settings.services import ensure_settings
from clearinghouse.timeutil import district_today, format_date
from tests import factories
from tests.conftest import in_app


def _top(client, slug: str, prefix: str = "") -> dict[str, str]:
    """The top section's facts, {term: text}, and the line above them under ""."""
    response = client.get(f"{prefix}/products/{slug}")
    assert response.status_code == 200, response.status_code
    page = lxml_html.fromstring(response.get_data(as_text=True))
    (top,) = page.xpath("//section[@class='product-top']")
    facts = {
        " ".join(dt.text_content().split()): " ".join(dt.getnext().text_content().split()) for dt in top.xpath(".//dt")
    }
    facts[""] = " ".join(" ".join(p.text_content().split()) for p in top.xpath("./p"))
    return facts


@pytest.fixture
def world(app) -> dict[str, str]:
    """Products of one vendor at one school, with the agreements a parent may meet."""
    with in_app(app):
        ensure_settings().default_destruction_window_days = 60
        today = district_today()
        vendor = factories.make_vendor(name="Acme Learning", slug="acme")
        school = factories.make_school(name="Adams Elementary", slug="adams", grade_band="K-5")
        health = factories.make_category(name="Health")
        allergies = factories.make_element(health, name="Allergies", slug="allergies", is_sensitive=True)
        height = factories.make_element(health, name="Height", slug="height")
        renewing = factories.make_product(
            vendor,
            name="Renewing Reader",
            slug="renewing",
            elements=[height, allergies],
            schools=[school],
            grade_bands="K-2",
            purpose_md="Leveled books for independent reading.",
        )
        lapsed_end = today - timedelta(days=400)  # its first term ended more than a year ago
        renewing_agreement = factories.make_agreement(
            vendor,
            [renewing],
            signed_on=lapsed_end - timedelta(days=365),
            effective_on=lapsed_end - timedelta(days=364),
            expires_on=lapsed_end,
            auto_renews=True,
            destruction_window_days=30,
            disposal_method=DataDisposal.RETURN,
        )
        plain = factories.make_product(vendor, name="Plain Math", slug="plain", elements=[height], schools=[school])
        factories.make_agreement(
            vendor,
            [plain],
            signed_on=today - timedelta(days=10),
            effective_on=today - timedelta(days=10),
            expires_on=today + timedelta(days=500),
            disposal_method=DataDisposal.DESTROY,
        )
        ended = factories.make_product(vendor, name="Ended App", slug="ended", elements=[allergies])
        old = factories.make_agreement(
            vendor,
            [ended],
            signed_on=today - timedelta(days=900),
            effective_on=today - timedelta(days=900),
            expires_on=today - timedelta(days=80),
        )
        factories.make_destruction_request(
            vendor,
            old,
            issued_on=today - timedelta(days=70),
            status=RequestStatus.ACCEPTED,
            closed_on=today - timedelta(days=3),
        )
        factories.make_product(vendor, name="Unsigned App", slug="unsigned")
        db.session.commit()
        return {
            "renews_on": format_date(renewing_agreement.renews_on(today)),
            "lapsed_end": format_date(lapsed_end),
            "certified_on": format_date(today - timedelta(days=3)),
            "certified_on_es": _in_spanish(app, today - timedelta(days=3)),
        }


def _in_spanish(app, day) -> str:
    with app.test_request_context("/es/"), language("es"):
        return format_date(day)


def test_the_top_says_what_it_is_who_uses_it_and_its_sensitive_data(client, world):
    top = _top(client, "renewing")
    assert top["What it is"] == "Learning platform: Leveled books for independent reading."
    assert top["Who uses it"] == "Adams Elementary (K-5) · Grades K-2"
    assert top["Sensitive data it receives"] == "Allergies What counts as sensitive"
    assert _top(client, "plain")["Sensitive data it receives"] == "None What counts as sensitive"


def test_an_auto_renewing_agreement_shows_its_next_renewal_not_a_past_end(client, world):
    response = client.get("/products/renewing")
    html = response.get_data(as_text=True)
    assert f"Automatically each year; next on {world['renews_on']}" in html
    assert world["lapsed_end"] not in html


def test_what_happens_to_the_data_is_said_before_the_agreement_ends(client, world):
    assert _top(client, "renewing")["At the end of the agreement"] == (
        "When the agreement ends and no new one replaces it, the company must return the student data to the "
        "district, then delete it, within 30 days. The agreement sets this number of days. About disposal windows"
    )
    assert _top(client, "plain")["At the end of the agreement"] == (
        "When the agreement ends and no new one replaces it, the company must destroy or delete the student data "
        "within 60 days. The agreement sets no number of days, so the district’s rule applies. "
        "About disposal windows"
    )
    assert _top(client, "unsigned")["At the end of the agreement"] == (
        "No signed agreement says yet what happens to the student data."
    )


def test_certified_destruction_is_said_at_the_top(client, world):
    top = _top(client, "ended")
    assert top[""] == f"Data destruction certified on {world['certified_on']}"
    assert top["At the end of the agreement"] == f"Data destruction certified on {world['certified_on']}"
    assert _top(client, "plain")[""] == ""
    spanish = _top(client, "ended", "/es")
    assert world["certified_on_es"] in spanish[""]
    assert "Qué es" in spanish


def test_the_agreement_status_names_the_renewal_from_the_one_rule(app):
    agreement = Agreement(
        signed_on=date(2024, 9, 1), effective_on=date(2024, 9, 27), expires_on=date(2025, 9, 26), auto_renews=True
    )
    today = date(2026, 11, 26)
    with app.test_request_context("/"):
        label = AgreementStanding(ProductAgreementStatus.SIGNED, agreement, agreement.state_on(today), today).label
        assert label == "Signed, in effect; renews on September 26, 2027"
        agreement.terminated_on = date(2027, 6, 1)  # ends before it would renew: no renewal is promised
        label = AgreementStanding(ProductAgreementStatus.SIGNED, agreement, agreement.state_on(today), today).label
        assert "renews" not in label

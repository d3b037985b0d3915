"""The families' rights page: rights in plain words, whom to ask (from the settings), what the district
does, and a glossary whose states are the enums' own labels; linked from every public page."""

import pytest
from lxml import html as lxml_html

from clearinghouse.agreements.models import AgreementState
from clearinghouse.agreements.status import ProductAgreementStatus
from clearinghouse.directory.glossary import (
    AGREEMENT_DEFINITIONS,
    APPROVAL_DEFINITIONS,
    STANDING_DEFINITIONS,
    agreement_anchor,
    approval_anchor,
    standing_anchor,
)
from clearinghouse.directory.models import ProductStatus
from clearinghouse.extensions import db
from clearinghouse.i18n import language
from clearinghouse.settings.services import ensure_settings
from tests import factories
from tests.conftest import count_queries, in_app
from tests.i18n.conftest import directory  # noqa: F401 - the fixture of a small directory
from tests.i18n.pages import public_paths


def _page(response):
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.get_data(as_text=True))


def _glossary(page) -> dict[str, tuple[str, str]]:
    """{anchor: (term, definition)} of every glossary entry."""
    return {
        dt.get("id"): (dt.text_content().strip(), " ".join(dt.getnext().text_content().split()))
        for dt in page.xpath("//dl[@class='glossary']/dt")
    }


@pytest.fixture
def district(app):
    with in_app(app):
        settings = ensure_settings()
        settings.privacy_office_email = "ferpa@springfield.example"
        settings.default_destruction_window_days = 45
        category = factories.make_category(name="Health")
        factories.make_element(category, name="Allergies", slug="allergies", is_sensitive=True)
        factories.make_element(category, name="Height", slug="height")
        db.session.commit()


def test_the_page_says_the_rights_and_whom_to_ask(client, district):
    page = _page(client.get("/your-rights"))
    text = " ".join(page.xpath("//main")[0].text_content().split())
    assert "inspect and review your child’s education records" in text
    assert "within 45 days of your request" in text
    assert "right to a hearing" in text
    assert page.xpath("//main//a[@href='mailto:ferpa@springfield.example']")
    assert [h.text_content() for h in page.xpath("//main//h2")] == [
        "Your rights",
        "Whom to ask",
        "What the district does",
        "Glossary",
    ]


def test_the_glossary_names_every_state_by_its_label(client, district):
    entries = _glossary(_page(client.get("/your-rights")))
    for status in ProductStatus:
        assert entries[approval_anchor(status)] == (str(status.label), str(APPROVAL_DEFINITIONS[status.value]))
    for state in AgreementState:
        term, definition = entries[agreement_anchor(state)]
        assert term == str(state.label)
        assert definition
    for status in ProductAgreementStatus:
        assert entries[standing_anchor(status)] == (str(status.label), str(STANDING_DEFINITIONS[status.value]))
    assert "within 90 days" in entries[agreement_anchor(AgreementState.EXPIRING)][1]
    assert "the district allows 45 days" in entries["disposal-window"][1]
    # The examples of sensitive data are the district's own sensitive elements.
    assert entries["sensitive-data"][1].endswith("For example: Allergies.")
    assert {"ndpa", "sensitive-data", "education-records"} <= set(entries)


def test_every_state_has_a_definition():
    assert {s.value for s in ProductStatus} == set(APPROVAL_DEFINITIONS)
    assert {s.value for s in AgreementState} == set(AGREEMENT_DEFINITIONS)
    assert {s.value for s in ProductAgreementStatus} == set(STANDING_DEFINITIONS)


def test_the_page_is_in_spanish_with_the_spanish_labels(app, client, district):
    page = _page(client.get("/es/your-rights"))
    assert page.get("lang") == "es"
    entries = _glossary(page)
    with app.test_request_context("/es/"), language("es"):
        labels = {agreement_anchor(s): str(s.label) for s in AgreementState}
        labels |= {approval_anchor(s): str(s.label) for s in ProductStatus}
    for anchor, label in labels.items():
        assert entries[anchor][0] == label
    assert entries[agreement_anchor(AgreementState.ACTIVE)][0] == "Vigente"
    assert "Glosario" in [h.text_content() for h in page.xpath("//main//h2")]


def test_the_page_runs_two_queries(app, client, district):
    with count_queries(app) as statements:
        client.get("/your-rights")
    assert len(statements) == 2, statements  # the settings, a few sensitive elements


def test_every_public_page_links_to_it(app, client, directory):  # noqa: F811
    for prefix in ("", "/es"):
        for path in [*public_paths(directory), "/no-such-page"]:
            response = client.get(prefix + path)
            page = lxml_html.fromstring(response.get_data(as_text=True))
            assert page.xpath(f"//footer//a[@href='{prefix}/your-rights']"), prefix + path

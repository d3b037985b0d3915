"""What staff wrote, in the reader's language: the translation, else the English text, marked as such."""

from datetime import date

from lxml import html as lxml_html
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import AgreementKind
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.directory import services
from clearinghouse.directory.models import DataCategory, DataElement, Product, Vendor
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.settings.queries import get_settings
from clearinghouse.settings.services import update_settings
from tests import factories
from tests.conftest import in_app

NOTE = "Texto disponible solo en inglés"


def _page(client, path: str) -> lxml_html.HtmlElement:
    response = client.get(path)
    assert response.status_code == 200, path
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _translate(model, slug: str, translations: dict) -> None:
    record = db.session.scalar(select(model).where(model.slug == slug))
    record.set_translations(translations)
    db.session.commit()


def test_untranslated_text_shows_in_english_marked_with_its_language_and_a_note(app, client, directory):
    page = _page(client, "/es/products/reading-coach")
    (purpose,) = page.xpath("//div[contains(@class, 'prose')]")
    assert purpose.get("lang") == "en"
    assert "Helps students practise" in _text(purpose)
    assert NOTE in _text(purpose.getnext())
    (use,) = page.xpath("//table[contains(@class, 'data-uses')]//td")
    assert use.xpath(".//span[@lang='en']")[0].text.startswith("To provide the service")
    assert NOTE in _text(use)
    assert page.xpath("//caption/span[@lang='en']")[0].text == "Demographics"  # names: marked, without a note
    english = _page(client, "/products/reading-coach")
    assert english.xpath("//*[@lang='en'][not(self::html)]") == []
    assert NOTE not in _text(english)
    assert "English only" not in _text(english)


def test_translated_text_replaces_the_english_on_the_spanish_page(app, client, directory):
    with in_app(app):
        _translate(Product, "reading-coach", {"es": {"purpose_md": "Práctica de **lectura** para K-2."}})
        _translate(Vendor, "acme-learning", {"es": {"description_md": "Hace aplicaciones de lectura."}})
        _translate(DataElement, "date-of-birth", {"es": {"name": "Fecha de nacimiento", "description": "El día."}})
        _translate(DataCategory, "demographics", {"es": {"name": "Datos demográficos"}})
        product = db.session.scalar(select(Product).where(Product.slug == "reading-coach"))
        product.data_uses[0].set_translations({"es": {"purpose": "Para identificar al estudiante."}})
        db.session.commit()
    page = _page(client, "/es/products/reading-coach")
    assert "Práctica de lectura para K-2." in _text(page.xpath("//div[contains(@class, 'prose')]")[0])
    assert page.xpath("//div[contains(@class, 'prose')]")[0].get("lang") is None
    assert "Fecha de nacimiento" in _text(page.xpath("//table[contains(@class, 'data-uses')]")[0])
    assert "Para identificar al estudiante." in _text(page)
    assert "Datos demográficos" in _text(page)
    assert page.xpath("//*[@class='fallback-note']") == [
        note for note in page.xpath("//*[@class='fallback-note']") if note.xpath("ancestor::section")
    ], "only the change history (a revision without its facts) may still be in English"
    assert "Hace aplicaciones de lectura." in _text(_page(client, "/es/vendors/acme-learning"))
    element = _page(client, "/es/data/date-of-birth")
    assert _text(element.xpath("//h1")[0]) == "Fecha de nacimiento"
    assert "El día." in _text(element)
    directory_page = _page(client, "/es/directory")
    assert directory_page.xpath("//option[@value='date-of-birth']")[0].text == "Fecha de nacimiento"
    assert "Práctica de lectura para K-2." in _text(directory_page.xpath("//p[@class='listing__purpose']")[0])
    # The English page is unchanged.
    assert "Helps students practise" in _text(_page(client, "/products/reading-coach"))


def test_the_privacy_notice_is_translated_and_the_districts_own_falls_back_until_translated(app, client, admin_id):
    assert "Sin seguimiento." in _text(_page(client, "/es/about"))  # the default notice is in the catalogue
    with in_app(app):
        admin = db.session.get(User, admin_id)
        values = {name: getattr(get_settings(), name) for name in ("district_name", "privacy_notice_md")}
        with unit_of_work():
            update_settings(
                {**values, "privacy_notice_md": "We keep no logs."}, version=get_settings().version, actor=admin
            )
    about = _page(client, "/es/about")
    (notice,) = about.xpath("//div[contains(@class, 'prose')]")
    assert (notice.get("lang"), _text(notice)) == ("en", "We keep no logs.")
    assert NOTE in _text(about)
    with in_app(app):
        admin = db.session.get(User, admin_id)
        translations = {"es": {"privacy_notice_md": "No guardamos registros."}}
        with unit_of_work():
            update_settings({"translations": translations}, version=get_settings().version, actor=admin)
    about = _page(client, "/es/about")
    assert _text(about.xpath("//div[contains(@class, 'prose')]")[0]) == "No guardamos registros."
    assert NOTE not in _text(about)
    assert "We keep no logs." in _text(_page(client, "/about"))


def test_revisions_are_worded_in_the_readers_language_from_their_facts(app, client, officer_id):
    with in_app(app):
        officer = db.session.get(User, officer_id)
        category = factories.make_category(name="Health")
        allergies = factories.make_element(category, name="Allergies", slug="allergies")
        allergies.set_translations({"es": {"name": "Alergias"}})
        db.session.commit()
        vendor = factories.make_vendor(name="Nurse Notes Inc", slug="nurse-notes-inc")
        with unit_of_work():
            product = services.create_product(
                officer,
                vendor=vendor,
                school_ids=[],
                data_uses={allergies.id: "To warn the nurse"},
                use_translations={allergies.id: {"es": {"purpose": "Para avisar a la enfermera"}}},
                name="Nurse Notes",
                kind="safety",
                status="under_review",
                purpose_md="Keeps health notes.",
            )
        with unit_of_work():
            services.update_product(
                product,
                officer,
                version=product.version,
                school_ids=[],
                data_uses={allergies.id: "To warn the nurse"},
                name="Nurse Notes",
                kind="safety",
                status="approved",
                purpose_md="Keeps health notes.",
            )
        slug = product.slug
        summaries = [r.summary for r in db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id))]
    assert summaries == [
        "Nurse Notes was added to the directory. It receives: Allergies.",
        "Nurse Notes: status changed from Under review to Approved.",
    ]
    history = _text(_page(client, f"/es/products/{slug}").xpath("//section[@class='change-history']")[0])
    assert "Nurse Notes se añadió al directorio. Recibe: Alergias." in history
    assert "Nurse Notes: su estado cambió de «En revisión» a «Aprobado»." in history
    assert NOTE not in history
    changes = _text(_page(client, "/es/changes"))
    assert "Nurse Notes: su estado cambió de «En revisión» a «Aprobado»." in changes
    assert "Nurse Notes: status changed from Under review to Approved." in _text(_page(client, "/changes"))


def test_a_revision_recorded_without_its_facts_shows_its_english_summary_marked(app, client, directory):
    page = _page(client, "/es/products/reading-coach")
    (entry,) = page.xpath("//section[@class='change-history']//li")
    assert entry.xpath(".//span[@lang='en']")[0].text == "Reading Coach now receives Date of birth."
    assert NOTE in _text(entry)


def test_agreement_revisions_are_worded_with_spanish_dates(app, client, officer_id):
    with in_app(app):
        officer = db.session.get(User, officer_id)
        vendor = factories.make_vendor(name="Math Lab", slug="math-lab")
        product = factories.make_product(vendor, name="Fractions", slug="fractions")
        data = agreements.AgreementInput(
            kind=AgreementKind.NDPA,
            reference="NDPA 7",
            product_ids=[product.id],
            signed_on=date(2026, 1, 15),
            effective_on=date(2026, 2, 1),
            expires_on=date(2027, 1, 31),
        )
        with unit_of_work():
            agreements.create_agreement(officer, vendor, data, today=date(2026, 1, 20))
    history = _text(_page(client, "/es/products/fractions").xpath("//section[@class='change-history']")[0])
    assert (
        "Fractions: Math Lab firmó un acuerdo (Acuerdo Nacional de Privacidad de Datos (NDPA)), "
        "vigente del 1 de febrero de 2026 al 31 de enero de 2027." in history
    )

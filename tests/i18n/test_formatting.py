"""Dates and numbers in the reader's language, on the district's calendar and clock."""

from datetime import UTC, date, datetime

from flask_babel import force_locale
from lxml import html as lxml_html

from clearinghouse.directory.models import Product
from clearinghouse.extensions import db
from clearinghouse.i18n import format_number, language
from clearinghouse.timeutil import format_date, format_datetime, utcnow
from tests import factories
from tests.conftest import in_app

JULY_4 = datetime(2026, 7, 4, 16, 30, tzinfo=UTC)  # 12:30 PM EDT in the default district zone


def test_dates_and_times_are_written_in_each_language(app):
    with app.app_context():
        assert (format_date(date(2026, 7, 4)), format_datetime(JULY_4)) == (
            "July 4, 2026",
            "July 4, 2026 at 12:30 PM EDT",
        )
        with force_locale("es"):
            assert format_date(date(2026, 7, 4)) == "4 de julio de 2026"
            assert format_datetime(JULY_4) == "4 de julio de 2026, 12:30 EDT"
        with language("es"):
            assert format_date(JULY_4) == "4 de julio de 2026"  # an instant becomes the district's date


def test_numbers_are_grouped_as_each_language_writes_them(app):
    with app.app_context():
        assert (format_number(1234), format_number(12345)) == ("1,234", "12,345")
        with language("es"):
            assert (format_number(1234), format_number(12345)) == ("1.234", "12.345")


def test_an_unknown_language_falls_back_to_the_default(app):
    with app.app_context(), language("fr") as code:
        assert code == "en"
        assert format_date(date(2026, 7, 4)) == "July 4, 2026"


def test_the_pages_show_dates_and_counts_in_spanish(app, client, directory):
    with in_app(app):
        product = db.session.scalar(db.select(Product).where(Product.slug == directory["product"]))
        product.updated_at = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
        db.session.commit()
        factories.make_revision(product.vendor, product, occurred_at=utcnow())

    def fact(path: str, label: str) -> str:
        page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
        return page.xpath(f"//dt[.='{label}']/following-sibling::dd[1]")[0].text_content().strip()

    assert fact("/es/products/reading-coach", "Última actualización") == "9 de marzo de 2026"
    assert fact("/products/reading-coach", "Last updated") == "March 9, 2026"
    home = " ".join(lxml_html.fromstring(client.get("/es/").get_data(as_text=True)).text_content().split())
    assert "1 empresa que recibe datos estudiantiles" in home
    assert "1 producto en uso" in home

"""An e-mail can be rendered in a reader's language: shared layout, dates and links in that language.

Staff and vendor notices stay in the default language; a public one (a subscriber's, issue 13)
passes the language the reader chose.
"""

from datetime import UTC, datetime

from flask import url_for

from clearinghouse.extensions import db
from clearinghouse.i18n import language
from clearinghouse.notices.services import NoticeDraft, queue_notices, render_email
from tests.conftest import in_app

CONTEXT = {"user": type("User", (), {"name": "Ana"})(), "role_label": "Officer", "vendor_name": "", "invited_by": ""}
EXPIRES = datetime(2026, 1, 22, 14, 30, tzinfo=UTC)


def test_an_email_renders_its_layout_dates_and_links_in_the_language_asked(app):
    with app.test_request_context():
        with language("es"):
            path = url_for("directory.product", slug="reading-coach")
        _, text, html = render_email("invitation", {**CONTEXT, "expires_at": EXPIRES, "path": path}, "es")
        assert path == "/es/products/reading-coach"
        assert "22 de enero de 2026, 9:30 EST" in text
        assert "Privacidad de los datos estudiantiles" in text
        assert "¿Tiene preguntas? Escriba a" in text
        assert "http://localhost/es/products/reading-coach" in text
        assert '<html lang="es">' in html
        assert "¿Tiene preguntas? Escriba a <a href=" in html
        # The default language, when none is given: the notices staff and vendors get today.
        _, english, english_html = render_email("invitation", {**CONTEXT, "expires_at": EXPIRES})
        assert "January 22, 2026 at 9:30 AM EST" in english
        assert "Questions? Write to" in english
        assert '<html lang="en">' in english_html


def test_a_queued_notice_keeps_the_language_of_its_draft(app):
    with in_app(app):
        draft = NoticeDraft(
            "i18n:test", ["ana@example.org"], "invitation", {**CONTEXT, "expires_at": EXPIRES}, language="es"
        )
        (notice,) = queue_notices([draft])
        db.session.commit()
        assert "22 de enero de 2026" in notice.body_text
        assert "Privacidad de los datos estudiantiles" in notice.body_text

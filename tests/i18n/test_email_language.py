"""A notice is rendered in its draft's language: shared layout, dates and links in that language.

Staff and vendor notices stay in the default language; a public one (a subscriber's, issue 13)
passes the language the reader chose.
"""

from datetime import UTC, datetime

from flask import url_for

from clearinghouse.extensions import db
from clearinghouse.i18n import language
from clearinghouse.notices.services import NoticeDraft, queue_notices

CONTEXT = {"user": type("User", (), {"name": "Ana"})(), "role_label": "Officer", "vendor_name": "", "invited_by": ""}
EXPIRES = datetime(2026, 1, 22, 14, 30, tzinfo=UTC)


def test_a_notice_renders_its_layout_dates_and_links_in_its_drafts_language(app):
    with app.test_request_context():
        with language("es"):
            path = url_for("directory.product", slug="reading-coach")
        spanish, english = queue_notices(
            [
                NoticeDraft(
                    "i18n:es",
                    ["ana@example.org"],
                    "invitation",
                    {**CONTEXT, "expires_at": EXPIRES, "path": path},
                    language="es",
                ),
                # The default language, when none is given: the notices staff and vendors get today.
                NoticeDraft("i18n:en", ["ana@example.org"], "invitation", {**CONTEXT, "expires_at": EXPIRES}),
            ]
        )
        db.session.commit()
        assert path == "/es/products/reading-coach"
        assert "22 de enero de 2026, 9:30 EST" in spanish.body_text
        assert "Privacidad de los datos estudiantiles" in spanish.body_text
        assert "¿Tiene preguntas? Escriba a" in spanish.body_text
        assert "http://localhost/es/products/reading-coach" in spanish.body_text
        assert '<html lang="es">' in spanish.body_html
        assert "¿Tiene preguntas? Escriba a <a href=" in spanish.body_html
        assert "January 22, 2026 at 9:30 AM EST" in english.body_text
        assert "Questions? Write to" in english.body_text
        assert '<html lang="en">' in english.body_html
        db.session.remove()

"""The layout's addresses and strings kept per worker (`urls.kept_url_for`, `i18n.kept_catalogue`)
are what Flask's `url_for` and Flask-Babel's `gettext` give, in each language and under a script root."""

from flask import Flask, render_template_string, url_for
from flask_babel import gettext

from clearinghouse.i18n import language

LAYOUT_ENDPOINTS = ("directory.home", "directory.directory", "directory.about", "audit.feed", "api.index")


def test_kept_addresses_are_flasks_in_each_language_and_script_root(app: Flask) -> None:
    drawn = "{% for e in endpoints %}{{ url_for(e) }} {% endfor %}{{ url_for('static', filename='css/site.css') }}"
    for path, root in (("/", ""), ("/es/", ""), ("/", "/register"), ("/es/", "/register")):
        for _ in range(2):  # built, then kept
            with app.test_request_context(path, base_url=f"http://localhost{root}"):
                app.preprocess_request()
                expected = (
                    " ".join(url_for(e) for e in LAYOUT_ENDPOINTS) + " " + url_for("static", filename="css/site.css")
                )
                assert render_template_string(drawn, endpoints=LAYOUT_ENDPOINTS) == expected
                assert expected.startswith(root + ("/es/" if path == "/es/" else "/"))


def test_kept_strings_follow_the_page_and_a_forced_language(app: Flask) -> None:
    drawn = "{{ _('Directory') }}|{{ _('%(district)s student data privacy', district='X') }}"
    with app.test_request_context("/es/"):
        app.preprocess_request()
        spanish = render_template_string(drawn)
        assert spanish == f"{gettext('Directory')}|{gettext('%(district)s student data privacy', district='X')}"
        assert spanish.startswith("Directorio|")
        with language("en"):  # an e-mail written during a Spanish request
            assert render_template_string(drawn) == "Directory|X student data privacy"
        assert render_template_string(drawn) == spanish

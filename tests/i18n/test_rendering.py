"""The language a request renders in is worked out once per request (`i18n.Rendering`, kept on `g`):
each request gets its own, a language forced for an e-mail gets its own and gives the page's back,
and only `clearinghouse.i18n` changes Flask-Babel's locale, so the kept language never goes stale.
Numbers and Markdown drawn from the worker's memos are what Babel and Markdown draw."""

import ast
from pathlib import Path

from babel.numbers import format_decimal
from flask import Flask, g, render_template_string
from flask_babel import gettext
from jinja2 import Environment

from clearinghouse.i18n import RENDERING, current_language, format_number, language, use_language
from clearinghouse.text import _rendered, render_markdown

PACKAGE = Path(__file__).resolve().parents[2] / "clearinghouse"
LOCALE_CHANGERS = {"force_locale", "refresh"}
DRAWN = "{{ current_language }}|{{ _('Directory') }}|{{ url_for('directory.about') }}"


def test_each_request_works_out_its_own_language(app: Flask) -> None:
    client = app.test_client(use_cookies=False)
    for path, code, word in (
        ("/about", "en", "Directory"),
        ("/es/about", "es", "Directorio"),
        ("/about", "en", "Directory"),
    ):
        page = client.get(path)
        assert page.headers["Content-Language"] == code
        text = page.get_data(as_text=True)
        assert f'<html lang="{code}">' in text
        assert f">{word}</a>" in text


def test_a_forced_language_has_its_own_rendering_and_gives_the_page_its_own_back(app: Flask) -> None:
    with app.test_request_context("/es/about"):
        app.preprocess_request()
        assert current_language() == "es"
        spanish = g.get(RENDERING)
        assert render_template_string(DRAWN) == "es|Directorio|/es/about"
        with language("en"):
            assert current_language() == "en"
            assert gettext("Directory") == "Directory"
            assert render_template_string(DRAWN) == "en|Directory|/about"
            with language("es"):
                assert render_template_string(DRAWN) == "es|Directorio|/es/about"
            assert render_template_string(DRAWN) == "en|Directory|/about"
        assert g.get(RENDERING) is spanish
        assert render_template_string(DRAWN) == "es|Directorio|/es/about"
        assert format_number(12345) == "12.345"


def test_serving_the_rest_of_a_request_in_another_language_is_seen_at_once(app: Flask) -> None:
    with app.test_request_context("/login/district/callback"):
        app.preprocess_request()
        assert current_language() == "en"
        use_language("es")
        assert current_language() == "es"
        assert render_template_string("{{ _('Directory') }}") == gettext("Directory") == "Directorio"
        use_language("fr")  # not a configured language: ignored
        assert current_language() == "es"


def test_only_i18n_changes_flask_babels_locale() -> None:
    """Whatever changed Flask-Babel's locale elsewhere would leave the kept `Rendering` stale."""
    changers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "i18n.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flask_babel"):
                changers += [f"{path.name}: {alias.name}" for alias in node.names if alias.name in LOCALE_CHANGERS]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in LOCALE_CHANGERS
                and getattr(node.value, "id", "") in ("flask_babel",)
            ):
                changers.append(f"{path.name}: flask_babel.{node.attr}")
    assert changers == [], "use clearinghouse.i18n.language or use_language"


def test_kept_numbers_are_babels_in_each_language(app: Flask) -> None:
    values = (1234, 12345, 1234.5, 1, 1.0, 0.25)
    with app.app_context():
        for code in ("en", "es", "en"):
            with language(code):
                expected = [format_decimal(value, locale=code) for value in values]
                assert [format_number(value) for value in values] == expected  # formatted, then kept
                assert [format_number(value) for value in values] == expected
        assert format_number(None) == ""
        assert format_number(12345) == "12,345"
        with language("es"):
            assert format_number(12345) == "12.345"


def test_kept_markdown_is_what_markdown_draws() -> None:
    source = "Read **this** and [that](https://example.org).\n\n<script>alert(1)</script>"
    _rendered.cache_clear()
    drawn = render_markdown(source)
    assert render_markdown(source) == drawn
    assert _rendered.cache_info().hits == 1
    assert "<strong>this</strong>" in drawn
    assert "<script>" not in drawn
    assert render_markdown("Other *text*") == "<p>Other <em>text</em></p>"
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_templates_translate_as_jinjas_newstyle_gettext(app: Flask) -> None:
    """`i18n.template_gettext` (the app's `_()` and `{% trans %}`) gives what Jinja's own gives, escaped
    or not, with and without values, `%%` included."""
    jinjas = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    jinjas.install_gettext_callables(gettext=gettext, ngettext=lambda s, p, n: s, newstyle=True)
    drawn = (
        "{{ _('Directory') }}|{{ _('%(district)s student data privacy', district='<A & B>') }}|"
        "{% trans district='<b>' %}{{ district }} student data privacy{% endtrans %}|{{ _('100%% sure') }}|"
        "{% autoescape false %}{{ _('%(district)s student data privacy', district='<A>') }}{% endautoescape %}|"
        "{{ gettext('Directory') }}"
    )
    for path in ("/", "/es/"):
        with app.test_request_context(path):
            app.preprocess_request()
            theirs = jinjas.from_string(drawn).render()
            assert render_template_string(drawn) == theirs
            assert ("Directorio|" if path == "/es/" else "Directory|") in theirs
            assert "&lt;A &amp; B&gt;" in theirs
            assert "<A>" in theirs  # not escaped where the template does not escape

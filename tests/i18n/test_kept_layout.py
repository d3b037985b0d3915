"""The layout's addresses and strings kept per worker (`urls.kept_url_for`, `i18n.kept_catalogue`)
are what Flask's `url_for` and Flask-Babel's `gettext` give, in each language and under a script root;
templates' imports see every global (`app.TemplateGlobals`)."""

from collections import ChainMap

from flask import Flask, render_template_string, request, url_for
from flask_babel import gettext
from markupsafe import escape

from clearinghouse.i18n import LANG_ARG, alternates, language
from clearinghouse.urls import kept_url

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


def test_kept_addresses_with_values_are_flasks(app: Flask) -> None:
    """Addresses with values are kept per endpoint and values in their order; True is not 1, a long
    value and Flask's own options are built each time, and every one is what Flask's `url_for` builds."""
    calls = [
        ("directory.school", {"slug": "adams-elementary"}),
        ("directory.directory", {"q": "reading", "page": 2}),
        ("directory.directory", {"page": 2, "q": "reading"}),
        ("directory.directory", {"page": 1}),
        ("directory.directory", {"page": True}),
        ("directory.directory", {"page": "1"}),
        ("directory.directory", {"q": None}),
        ("accounts.login", {"next": "/directory?q=" + "x" * 200}),
        ("directory.about", {"_anchor": "privacy"}),
        ("directory.directory", {"element": ["a", "b"]}),
    ]
    drawn = (
        "{% autoescape false %}{% for endpoint, values in calls %}{{ url_for(endpoint, **values) }} {% endfor %}"
        "{% endautoescape %}"
    )
    for path, root in (("/", ""), ("/es/", ""), ("/es/", "/register")):
        for _ in range(2):  # built, then kept
            with app.test_request_context(path, base_url=f"http://localhost{root}"):
                app.preprocess_request()
                expected = " ".join(url_for(endpoint, **values) for endpoint, values in calls) + " "
                assert render_template_string(drawn, calls=calls) == expected
    assert "page=2&q=reading" in expected
    assert "page=True" in expected
    assert "#privacy" in expected


def test_python_asks_the_templates_kept_addresses(app: Flask) -> None:
    """`urls.kept_url` (the directory's download line) is the templates' `url_for`: what Flask's builds,
    kept with theirs."""
    values = {"q": "reading", "element": "email"}
    for path in ("/", "/es/"):
        with app.test_request_context(path):
            app.preprocess_request()
            built = kept_url("api.products", **values)
            assert built == url_for("api.products", **values)
            assert render_template_string("{{ url_for('api.products', q='reading', element='email') }}") == escape(
                built
            )
            assert kept_url("api.products", **values) is built  # kept: the same string again


def test_imported_macros_see_every_global_even_one_added_later(app: Flask) -> None:
    """Templates' globals are `clearinghouse.app.TemplateGlobals`: their keys are the ChainMap's, read
    when asked."""
    template = app.jinja_env.from_string("x", globals={"own": 1})
    assert set(template.globals.keys()) == set(ChainMap(*template.globals.maps).keys())
    assert {"own", "url_for"} <= set(template.globals.keys())
    app.jinja_env.globals["added_later"] = "late"
    try:
        assert "added_later" in set(template.globals.keys())
        drawn = "{% from '_macros/ui.html' import badge %}{{ badge(added_later) }}"
        with app.test_request_context("/"):
            app.preprocess_request()
            assert render_template_string(drawn) == '<span class="badge badge--neutral">late</span>'
    finally:
        del app.jinja_env.globals["added_later"]


def test_the_language_alternates_are_flasks_addresses_in_each_script_root(app: Flask) -> None:
    """Each page's address in every language (the switch and hreflang) is kept per script root,
    endpoint and values; a long slug is built each time; every one is what Flask's `url_for` builds
    (an unknown address offers each language's home page)."""
    routes = app.url_map.bind("")
    pages = ("/directory?q=a&page=2", "/es/directory", f"/es/products/{'s' * 150}", "/schools/adams", "/nowhere")
    for page in pages:
        path, _, query = page.partition("?")
        if path == "/nowhere":
            endpoint, values = "directory.home", {}
        else:
            endpoint, values = routes.match(path)
            values.pop(LANG_ARG, None)
        for root in ("", "/register", ""):  # built, then kept, under each root
            with app.test_request_context(page, base_url=f"http://localhost{root}"):
                app.preprocess_request()
                for alternate in alternates():
                    expected = url_for(endpoint, **values, **{LANG_ARG: alternate.code})
                    assert alternate.url == (f"{expected}?{query}" if query else expected)
                    assert alternate.url.startswith(root + ("/es/" if alternate.code == "es" else "/"))


def test_the_pages_own_address_is_its_routes_from_base_url(app: Flask) -> None:
    """og:url and the printed page's header: BASE_URL, the route's address in the page's language and
    the query string as it came (bytes that are not UTF-8 replaced), on a localized page (from its
    kept language version), an unknown address (its path) and a page of a plain blueprint."""
    routes = app.url_map.bind("")
    pages = ("/directory?q=a&page=2", "/es/directory?q=caf%C3%A9%ff", "/es/", "/nowhere?x=1", "/login?next=/staff")
    for page in pages:
        path, _, _query = page.partition("?")
        with app.test_request_context(page):
            app.preprocess_request()
            if path == "/nowhere":
                expected = path
            else:
                endpoint, values = routes.match(path)
                expected = url_for(endpoint, **values)
            asked = request.query_string.decode("utf-8", "replace")
            expected = "http://localhost" + expected + (f"?{asked}" if asked else "")
        html = app.test_client().get(page).get_data(as_text=True)
        assert f'<meta property="og:url" content="{escape(expected)}">' in html, page
        assert f'<p class="print-header__url">{escape(expected)}</p>' in html, page

"""Public pages in every configured language: English at /, Spanish under /es/, chosen by the URL alone."""

import re

import flask_migrate
import pytest
from lxml import html as lxml_html

from clearinghouse.app import create_app
from clearinghouse.config import ConfigError
from clearinghouse.i18n import LANG_ARG, is_localized_rule
from tests.conftest import client_as
from tests.i18n.pages import PUBLIC_ENDPOINTS, public_paths

SWITCH = "//nav[@class='language-switch']"
SWITCH_LINKS = SWITCH + "//a"


def _page(response) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(response.get_data(as_text=True))


def test_every_public_page_has_a_rule_in_each_language_and_staff_pages_have_none(app):
    rules: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, []).append(rule)
    for endpoint in PUBLIC_ENDPOINTS:
        (english,) = [rule for rule in rules[endpoint] if (rule.defaults or {}).get(LANG_ARG) == "en"]
        others = [rule.rule for rule in rules[endpoint] if rule is not english]
        assert others == [f"/<lang:{LANG_ARG}>{english.rule}"], endpoint
    for endpoint, endpoint_rules in rules.items():
        if endpoint.split(".")[0] in ("agreements", "directory_staff", "settings", "portal", "destruction", "notices"):
            assert all(LANG_ARG not in rule.arguments for rule in endpoint_rules), endpoint


def test_the_list_of_public_routes_names_every_route_with_a_language(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules() if is_localized_rule(rule)} == set(PUBLIC_ENDPOINTS)


def test_each_public_page_answers_in_english_at_its_path_and_in_spanish_under_es(client, directory):
    for path in public_paths(directory):
        english = client.get(path)
        spanish = client.get("/es" + path)
        assert (english.status_code, spanish.status_code) == (200, 200), path
        assert _page(english).get("lang") == "en", path
        assert _page(spanish).get("lang") == "es", path
        assert english.headers["Content-Language"] == "en", path
        assert spanish.headers["Content-Language"] == "es", path


def test_the_feed_has_a_spanish_version_whose_links_stay_spanish(client, directory):
    feed = client.get("/es/changes.atom")
    assert feed.status_code == 200
    assert feed.headers["Content-Language"] == "es"
    body = feed.get_data(as_text=True)
    assert 'xml:lang="es"' in body
    assert "/es/products/reading-coach" in body
    assert "cambios en el directorio" in body


def test_the_language_comes_from_the_url_only(client, directory):
    client.set_cookie("lang", "es")
    response = client.get("/directory", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert _page(response).get("lang") == "en"
    assert "Directory of education software" in response.get_data(as_text=True)
    response = client.get("/es/directory", headers={"Accept-Language": "en-US"})
    assert "Directorio de programas educativos" in response.get_data(as_text=True)
    for response in (client.get("/"), client.get("/es/")):
        assert "Accept-Language" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("path", ["/fr/", "/fr/directory", "/xx/products/reading-coach", "/es-mx/directory"])
def test_an_unknown_language_prefix_is_not_found(client, directory, path):
    assert client.get(path).status_code == 404


def test_the_default_language_has_one_address_without_a_prefix(client, directory):
    response = client.get("/en/directory?q=reading")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/directory?q=reading")


def test_the_switch_links_to_the_same_page_in_the_other_language_keeping_the_query(client, directory):
    spanish = _page(client.get("/es/directory?q=reading&sort=name"))
    (link,) = spanish.xpath(SWITCH_LINKS)
    assert (link.get("href"), link.get("lang"), link.get("hreflang"), link.text) == (
        "/directory?q=reading&sort=name",
        "en",
        "en",
        "English",
    )
    english = _page(client.get("/products/reading-coach"))
    (link,) = english.xpath(SWITCH_LINKS)
    assert (link.get("href"), link.get("lang"), link.text) == ("/es/products/reading-coach", "es", "Español")
    assert english.xpath(SWITCH)[0].get("aria-label") == "Language"
    assert spanish.xpath(SWITCH)[0].get("aria-label") == "Idioma"


def test_every_public_page_names_its_alternates_with_absolute_addresses(client, directory):
    for path in public_paths(directory):
        page = _page(client.get("/es" + path))
        alternates = {
            link.get("hreflang"): link.get("href") for link in page.xpath("//link[@rel='alternate'][@hreflang]")
        }
        english = "http://localhost" + path
        assert alternates == {"en": english, "es": "http://localhost/es" + path, "x-default": english}, path


def test_every_public_page_has_the_switch_to_the_same_page_in_the_other_language(client, directory):
    for path in public_paths(directory):
        for shown, other, lang in ((path, "/es" + path, "es"), ("/es" + path, path, "en")):
            (link,) = _page(client.get(shown)).xpath(SWITCH_LINKS)
            assert (link.get("href"), link.get("lang")) == (other, lang), shown


def test_links_on_a_spanish_page_stay_in_spanish(client, directory):
    page = _page(client.get("/es/products/reading-coach"))
    hrefs = [a.get("href") for a in page.xpath("//main//a[@href] | //nav[@class='site-nav']//a | //a[@class='brand']")]
    internal = [href for href in hrefs if href.startswith("/") and not href.startswith("/agreements/")]
    assert internal, hrefs
    assert all(href.startswith("/es/") for href in internal), internal


def test_an_error_page_under_a_language_prefix_speaks_that_language(client, directory):
    # An address no route knows offers the other language's home page; a known page, its own address there.
    for path, english in (("/es/no-such-page", "/"), ("/es/products/no-such-product", "/products/no-such-product")):
        response = client.get(path)
        assert response.status_code == 404
        page = _page(response)
        assert page.get("lang") == "es"
        assert "Página no encontrada" in page.text_content()
        (link,) = page.xpath(SWITCH_LINKS)
        assert link.get("href") == english
    english = _page(client.get("/no-such-page"))
    assert "Page not found" in english.text_content()


def test_staff_pages_stay_english_without_a_switch_and_have_no_spanish_address(app, client, officer_id):
    staff = client_as(app, officer_id)
    page = _page(staff.get("/staff/products"))
    assert page.get("lang") == "en"
    assert page.xpath(SWITCH) == []
    assert staff.get("/es/staff/products").status_code == 404


def test_the_open_data_json_is_not_duplicated_per_language(client, directory):
    assert client.get("/api/v1/products").status_code == 200
    assert client.get("/es/api/v1/products").status_code == 404
    assert client.get("/es/api/v1/").status_code == 200


def test_a_language_without_a_catalogue_or_an_unknown_code_stops_start_up(tmp_path):
    base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    with pytest.raises(ConfigError, match=re.escape("make translations-init NEW_LANGUAGE=fr")):
        create_app({**base, "LANGUAGES": "en,fr"})
    with pytest.raises(ConfigError, match="not a language"):
        create_app({**base, "LANGUAGES": "en,klingon"})


def test_a_site_in_english_alone_offers_no_switch(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'one.sqlite'}", "LANGUAGES": "en"}
    )
    with app.app_context():
        flask_migrate.upgrade()
    response = app.test_client().get("/directory")
    assert response.status_code == 200
    assert _page(response).xpath(SWITCH) == []
    assert app.test_client().get("/es/directory").status_code == 404

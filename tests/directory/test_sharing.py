"""Shared links, the favicon and the printed page: Open Graph tags from BASE_URL on every public page in
every language, icons served from static and linked from the layout, and a print header naming the district."""

import struct
from pathlib import Path

import pytest
from lxml import html as lxml_html

from clearinghouse.settings.services import ensure_settings
from tests.conftest import in_app
from tests.i18n.conftest import directory  # noqa: F401 - the fixture of a small directory
from tests.i18n.pages import public_paths

BASE_URL = "http://localhost"  # the test app's BASE_URL (tests/conftest.py)


def _og(page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for meta in page.xpath("//head/meta[starts-with(@property, 'og:')]"):
        found.setdefault(meta.get("property"), []).append(meta.get("content"))
    return found


@pytest.mark.parametrize(("prefix", "locale", "other"), [("", "en_US", "es_US"), ("/es", "es_US", "en_US")])
def test_every_public_page_has_open_graph_tags_from_base_url(app, client, directory, prefix, locale, other):  # noqa: F811
    for path in public_paths(directory):
        if path == "/login":
            continue  # the sign-in page is for staff and vendors; it is shared by nobody
        response = client.get(prefix + path, headers={"Host": "evil.example"})
        assert response.status_code == 200, (path, response.status_code)
        page = lxml_html.fromstring(response.get_data(as_text=True))
        og = _og(page)
        title = page.findtext(".//title")
        assert og["og:title"][0], path
        assert og["og:title"][0] in title, (path, og["og:title"], title)
        assert og["og:description"] == [page.xpath("//meta[@name='description']/@content")[0]], path
        assert og["og:description"][0].strip(), path
        expected = BASE_URL + (prefix + path if prefix or path != "/" else "/")
        if prefix and path == "/":
            expected = BASE_URL + "/es/"
        assert og["og:url"] == [expected], (path, og["og:url"])
        assert og["og:locale"] == [locale], path
        assert og["og:locale:alternate"] == [other], path
        assert og["og:image"] == [BASE_URL + "/static/og-image.png"], path
        assert (og["og:image:width"], og["og:image:height"], og["og:image:type"]) == (["1200"], ["630"], ["image/png"])
        assert og["og:image:alt"][0].strip(), path
        assert page.xpath("//meta[@name='twitter:card']/@content") == ["summary_large_image"], path
        assert "evil.example" not in response.get_data(as_text=True), path


def test_open_graph_text_is_in_the_page_language(client, directory):  # noqa: F811
    page = lxml_html.fromstring(client.get("/es/your-rights").get_data(as_text=True))
    assert page.get("lang") == "es"
    description = _og(page)["og:description"][0]
    assert description == page.xpath("//meta[@name='description']/@content")[0]
    english = lxml_html.fromstring(client.get("/your-rights").get_data(as_text=True))
    assert description != _og(english)["og:description"][0]


def test_the_favicon_is_linked_and_served_from_static(client, directory):  # noqa: F811
    page = lxml_html.fromstring(client.get("/").get_data(as_text=True))
    icons = {
        link.get("type") or link.get("href").rsplit(".", 1)[-1]: link.get("href")
        for link in page.xpath("//link[@rel='icon']")
    }
    assert set(icons) == {"image/svg+xml", "image/png", "ico"}
    expected = {
        "image/svg+xml": (b"<svg", "image/svg+xml"),
        "image/png": (b"\x89PNG", "image/png"),
        "ico": (b"\x00\x00\x01\x00", None),
    }
    for kind, href in icons.items():
        assert href.startswith("/static/"), href
        response = client.get(href)
        assert response.status_code == 200, href
        magic, mimetype = expected[kind]
        assert response.data.startswith(magic), href
        if mimetype:
            assert response.mimetype == mimetype, href
    touch = page.xpath("//link[@rel='apple-touch-icon']/@href")[0]
    assert client.get(touch).data.startswith(b"\x89PNG")


def test_the_print_header_names_the_district_and_the_page(app, client, directory):  # noqa: F811
    with in_app(app):
        district = ensure_settings().district_name
    page = lxml_html.fromstring(client.get(f"/es/products/{directory['product']}?from=search").get_data(as_text=True))
    header = page.xpath("//div[contains(@class, 'print-header')]")[0]
    assert district in header.text_content()
    assert f"{BASE_URL}/es/products/{directory['product']}?from=search" in header.text_content()


def test_the_shared_picture_is_a_1200_by_630_png_with_its_words_in_the_page_language(client, directory):  # noqa: F811
    english = _og(lxml_html.fromstring(client.get("/").get_data(as_text=True)))
    spanish = _og(lxml_html.fromstring(client.get("/es/").get_data(as_text=True)))
    assert english["og:image"] == spanish["og:image"]
    assert english["og:image:alt"] != spanish["og:image:alt"]
    response = client.get(english["og:image"][0].removeprefix(BASE_URL))
    assert (response.status_code, response.mimetype) == (200, "image/png")
    png = response.data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 630)
    assert len(png) < 300_000  # link previews fetch it on slow connections too


def test_the_root_favicon_is_the_sites_icon_and_browsers_may_keep_it(app, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data == (Path(app.static_folder) / "favicon.ico").read_bytes()
    assert response.data.startswith(b"\x00\x00\x01\x00")
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.cache_control.public
    assert response.cache_control.max_age == 86_400
    assert "default-src" in response.headers["Content-Security-Policy"]  # the site's headers, as every answer
    etag = response.get_etag()[0]
    assert etag
    again = client.get("/favicon.ico", headers={"If-None-Match": f'"{etag}"'})
    assert (again.status_code, again.data) == (304, b"")
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code in (400, 405)

"""The layout's fixed pieces kept per worker (`page_cache.kept_part`: head links, brand, navigation,
footer) give every answer byte for byte as drawing the whole layout does: in English and Spanish,
under a script root, on every kind of page; and a signed-in reader never gets a piece kept for
anonymous readers (nor they one of a signed-in page)."""

import pytest
from sqlalchemy.exc import OperationalError

from clearinghouse import page_cache
from clearinghouse.app import create_app
from clearinghouse.extensions import unit_of_work
from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.page_cache import page_cache_of
from clearinghouse.settings.services import ensure_settings
from tests.conftest import client_as, in_app

outage = LocalizedBlueprint("outage_probe", __name__, url_prefix="/outage-probe")


@outage.get("/down")
def down():
    raise OperationalError("SELECT 1", {}, Exception("the database went away"))


PAGES = ["/", "/es/", "/directory?q=zzqx", "/es/directory?q=zzqx", "/about", "/es/about", "/changes", "/nope"]
SAME_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Vary",
    "Cache-Control",
)


def _answer(client, path: str, root: str, query: str) -> tuple[int, dict, str]:
    response = client.get(f"{path}{'&' if '?' in path else '?'}n={query}", base_url=f"http://localhost{root}")
    headers = {name: response.headers.get(name) for name in SAME_HEADERS}
    return response.status_code, headers, response.get_data(as_text=True)


@pytest.mark.parametrize("root", ["", "/register"])
def test_kept_pieces_draw_what_the_whole_layout_draws(app, monkeypatch, root):
    client = app.test_client(use_cookies=False)  # anonymous, every time
    cache = page_cache_of(app)
    for path in PAGES:
        _answer(client, path, root, "first")  # a miss: draws the pieces, and keeps them
    assert cache.parts, "the anonymous misses kept the layout's pieces"
    assert cache.misses
    # Another miss (the page cache has not seen this query), drawn with the kept pieces.
    kept = {path: _answer(client, path, root, "same") for path in PAGES}
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)  # every piece drawn afresh
    for path in PAGES:
        assert _answer(client, path, root, "same") == kept[path], path
    assert 'lang="es"' in kept["/es/about"][2]
    assert "Directorio" in kept["/es/about"][2]
    assert f'href="{root}/es/directory"' in kept["/es/about"][2]
    assert f'<a href="{root}/about" aria-current="page">About</a>' in kept["/about"][2]
    assert f'<a href="{root}/about">About</a>' in kept["/directory?q=zzqx"][2]


def test_a_signed_in_reader_never_gets_an_anonymous_layout(app, officer_id):
    anonymous = app.test_client(use_cookies=False)
    signed_in = client_as(app, officer_id)
    for _ in range(2):
        page = anonymous.get("/directory?q=first").get_data(as_text=True)
        assert "Sign in" in page
        assert "Sign out" not in page
        assert "Signed in as" not in page
        page = signed_in.get("/directory?q=second").get_data(as_text=True)
        assert "Sign out" in page
        assert ">Staff</a>" in page
        assert "Sign in<" not in page
        page = anonymous.get("/directory?q=third").get_data(as_text=True)
        assert "Sign out" not in page
        assert ">Staff</a>" not in page


def test_a_page_drawn_while_the_database_is_down_leaves_no_piece_behind(app, database_url, tmp_path):
    """errors.py draws its 503 page with the default settings: its pieces must not be kept for
    the next readers, who would see the default district's name."""
    probed = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "files"),
            "BASE_URL": "http://localhost",
        }
    )
    probed.register_blueprint(outage)
    try:
        with in_app(probed), unit_of_work():
            ensure_settings().district_name = "Lakeside Public Schools"
        client = probed.test_client(use_cookies=False)
        outage_page = client.get("/outage-probe/down")
        assert outage_page.status_code == 503
        assert "Lakeside Public Schools" not in outage_page.get_data(as_text=True)
        page = client.get("/about?after=outage").get_data(as_text=True)
        assert '<span class="brand__district">Lakeside Public Schools</span>' in page
        assert "Lakeside Public Schools · Questions about student data?" in page
    finally:
        page_cache.page_cache_of(probed).reader.dispose()

"""The directory page: search, filters that combine, sort, pagination, empty state, and bad input."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import Agreement
from clearinghouse.directory.models import DataElement, DataUse, Product
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


def _page(client, query: str = "") -> str:
    response = client.get(f"/directory{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _listed(html: str) -> list[str]:
    """Product names in the result cards, in order."""
    names = []
    for chunk in html.split('<h3 class="listing__name"><a href="/products/')[1:]:
        names.append(chunk.split(">", 1)[1].split("</a>", 1)[0])
    return names


def test_directory_lists_current_products_by_name_with_a_count(client, catalog):
    html = _page(client)
    assert "<h1>Directory of education software</h1>" in html
    assert _listed(html) == ["MathWorld", "Quiz Builder", "Élan Reader"]
    assert "3 products" in html
    assert "Agreement: Signed, expiring on " in html
    assert "Agreement: Signed, in effect until " in html


def test_each_card_names_the_sensitive_data_its_product_receives(client, app, catalog):
    with in_app(app):
        math = db.session.scalar(select(Product).where(Product.slug == "mathworld"))
        alerts = db.session.scalar(select(DataElement).where(DataElement.slug == "medical-alerts"))
        alerts.translations = {"es": {"name": "Alertas médicas"}}
        math.data_uses.append(DataUse(data_element_id=alerts.id, purpose="Nurse alerts."))
        db.session.commit()
    html = _page(client)
    card = html[html.index('href="/products/mathworld"') :]
    card = card[: card.index("</li>")]
    assert (
        "Receives 3 kinds of student data, including 2 sensitive: "
        "<strong>Student Disability Information</strong>, <strong>Medical Alerts</strong>." in card
    )
    reader = html[html.index('href="/products/elan-reader"') :]
    assert "Receives 2 kinds of student data.</p>" in reader[: reader.index("</li>")]
    spanish = client.get("/es/directory").get_data(as_text=True)
    card = spanish[spanish.index('href="/es/products/mathworld"') :]
    card = card[: card.index("</li>")]
    assert "<strong>Alertas médicas</strong>" in card
    assert '<strong><span lang="en">Student Disability Information</span></strong>' in card


def test_retired_products_show_only_when_the_status_filter_asks(client, catalog):
    assert "Old Phonics" not in _page(client)
    retired = _page(client, "?status=retired")
    assert _listed(retired) == ["Legacy Gradebook", "Old Phonics"]
    assert retired.count('<span class="badge badge--neutral">Retired</span>') == 2
    assert len(_listed(_page(client, "?status=all"))) == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?element=disability", ["MathWorld"]),
        ("?element=language-information", ["Élan Reader"]),
        ("?category=special-indicators", ["MathWorld"]),
        ("?school=roosevelt", ["Quiz Builder", "Élan Reader"]),
        ("?status=under_review", ["Quiz Builder"]),
        ("?status=approved", ["MathWorld", "Élan Reader"]),
        ("?agreement=active", ["MathWorld", "Quiz Builder"]),
        ("?agreement=expiring", ["Élan Reader"]),
        ("?agreement=expired&status=all", ["Old Phonics"]),
        ("?agreement=none&status=all", ["Legacy Gradebook"]),
        ("?agreement=none", []),
        ("?school=lincoln&element=date-of-birth", ["MathWorld", "Élan Reader"]),
        ("?school=lincoln&status=approved&agreement=expiring", ["Élan Reader"]),
        ("?school=roosevelt&category=special-indicators", []),
        ("?q=acme&school=roosevelt", ["Quiz Builder"]),
        ("?q=reading&element=date-of-birth&sort=name", ["Élan Reader"]),
    ],
)
def test_filters_combine(client, catalog, query, expected):
    assert _listed(_page(client, query)) == expected


def test_filters_stay_selected_and_in_pagination_links(client, app, catalog):
    with in_app(app):
        element = factories.make_element(name="Photo", slug="photo")
        vendor = factories.make_vendor(name="Snap Co")
        for n in range(30):
            factories.make_product(vendor, name=f"Camera {n:02d}", elements=[element], purpose_md="Takes photos.")
    html = _page(client, "?q=photos&element=photo&sort=name")
    assert '<option selected value="photo">Photo</option>' in html
    assert 'value="photos"' in html
    assert "30 products matching “photos”, page 1 of 2" in html
    assert 'href="/directory?page=2&amp;q=photos&amp;element=photo&amp;sort=name"' in html
    second = _page(client, "?q=photos&element=photo&sort=name&page=2")
    assert _listed(second) == [f"Camera {n:02d}" for n in range(25, 30)]


def test_sort_by_vendor_and_by_recent_update(client, app, catalog):
    assert _listed(_page(client, "?sort=vendor")) == ["MathWorld", "Quiz Builder", "Élan Reader"]
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.slug == "quiz-builder"))
        product.purpose_md = "Teachers write short quizzes and polls."
        db.session.commit()
    assert _listed(_page(client, "?sort=updated"))[0] == "Quiz Builder"


def test_search_sorts_by_best_match_by_default(client, catalog):
    html = _page(client, "?q=reading")
    assert _listed(html) == ["Élan Reader"]
    assert '<option selected value="">Best match, else name</option>' in html


def test_an_agreement_in_force_speaks_for_the_product_before_ended_ones(client, app, catalog):
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.slug == "quiz-builder"))
        today = district_today()
        old = factories.make_agreement(
            product.vendor,
            [product],
            signed_on=today - timedelta(days=2000),
            effective_on=today - timedelta(days=2000),
            expires_on=today - timedelta(days=1000),
        )
        assert old.id > 0
    assert "Quiz Builder" in _listed(_page(client, "?agreement=active"))
    assert "Quiz Builder" not in _listed(_page(client, "?agreement=expired"))
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.slug == "quiz-builder"))
        today = district_today()
        factories.make_agreement(
            product.vendor,
            [product],
            signed_on=today - timedelta(days=1),
            effective_on=today - timedelta(days=1),
            expires_on=None,
            terminated_on=today,
        )
    # A later agreement that was terminated does not hide the one still in force (agreements.status).
    assert "Quiz Builder" not in _listed(_page(client, "?agreement=terminated"))
    assert "Quiz Builder" in _listed(_page(client, "?agreement=active"))


def test_open_ended_and_renewed_filters(client, app, catalog):
    with in_app(app):
        today = district_today()
        vendor = factories.make_vendor(name="Forever Ltd")
        forever = factories.make_product(vendor, name="Forever App")
        factories.make_agreement(vendor, [forever], expires_on=None)
        renewed_product = factories.make_product(vendor, name="Renewed App")
        successor = factories.make_agreement(vendor, [], signed_on=today, effective_on=None, expires_on=None)
        factories.make_agreement(
            vendor, [renewed_product], expires_on=today - timedelta(days=1), renewed_by_id=successor.id
        )
    assert _listed(_page(client, "?agreement=open_ended")) == ["Forever App"]
    assert _listed(_page(client, "?agreement=renewed")) == ["Renewed App"]
    assert "Forever App" in _listed(_page(client, "?agreement=active"))


def test_no_results_has_a_clear_empty_state(client, catalog):
    html = _page(client, "?q=zzzzqqq")
    assert "0 products" in html
    assert "No products match." in html
    assert '<a href="/directory">Clear search and filters</a>' in html


def test_empty_directory_has_an_empty_state(client):
    html = _page(client)
    assert "No products match." in html
    assert "0 products" in html


def test_page_past_the_end_explains_and_links_to_page_one(client, catalog):
    html = _page(client, "?page=9&q=acme")
    assert "There is no page 9 of these results." in html
    assert '<a href="/directory?q=acme">Go to the first page</a>' in html


@pytest.mark.parametrize(
    "query",
    [
        "?page=-1",
        "?page=abc",
        "?page=0",
        "?page=99999999999999999999999999",
        "?page=1e9",
        "?page=%00",
        "?page=%D9%A3",  # an Arabic-Indic digit three
        "?per_page=100000",
        "?sort=drop+table",
        "?status=bogus",
        "?agreement=%00",
        "?element=no-such",
        "?category=" + "x" * 3000,
        "?school[]=1",
        "?element=disability&element=../../etc",
    ],
)
def test_bad_parameters_never_break_the_page(client, catalog, query):
    html = _page(client, query)
    assert "<h1>Directory of education software</h1>" in html


def test_unknown_filter_values_are_ignored_with_a_message(client, catalog):
    html = _page(client, "?status=bogus&element=nope&school=lincoln")
    assert "We ignored some filters whose value is not one of the choices: Data element, Approval for use." in html
    assert _listed(html) == ["MathWorld", "Élan Reader"]  # the valid filter still applies


@pytest.mark.parametrize(
    "text",
    [
        "🎉🎉🎉",
        "\u202eevil\u202c",
        "مدرسة",
        "\x00",
        "a\x00b",
        '"unbalanced',
        "AND OR NOT",
        "NEAR(",
        "*",
        "a:*|!b",
        "'; DROP TABLE product; --",
        "%ED%A0%80",
        "ｍａｔｈ",
    ],
)
def test_odd_search_text_never_gives_an_error(client, catalog, text):
    _page(client, "?q=" + quote(text, safe="%"))


def test_raw_lone_surrogate_and_nul_bytes_in_the_query_string(client, catalog):
    for raw in ("?q=%ED%A0%80%00x", "?q=%FF%FE", "?q=%00%00&element=%00", "?q=%C0%AF"):
        _page(client, raw)


def test_ten_kilobyte_query_is_cut_and_explained(client, catalog):
    html = _page(client, "?q=" + "math" + "x" * 10_240)
    assert "only its first 200 characters were used" in html
    assert "0 products" in html


def test_fullwidth_letters_find_their_plain_form(client, catalog):
    assert _listed(_page(client, "?q=" + quote("ＭａｔｈＷｏｒｌｄ"))) == ["MathWorld"]


def test_search_without_letters_lists_everything_and_says_why(client, catalog):
    html = _page(client, "?q=" + quote("🎉 !!"))
    assert "Your search has no letters or numbers to look for" in html
    assert len(_listed(html)) == 3


def test_agreement_filter_lists_every_choice(client, catalog):
    html = _page(client)
    for value in ("active", "open_ended", "expiring", "expired", "terminated", "renewed", "none"):
        assert f'value="{value}"' in html


def test_directory_form_works_without_javascript(client, catalog):
    html = _page(client)
    form = html[html.index('<form method="get" action="/directory"') :]
    form = form[: form.index("</form>")]
    assert 'type="submit"' in form
    assert "csrf_token" not in form
    for name in ("q", "element", "category", "school", "status", "agreement", "sort"):
        assert f'<label class="field__label" for="{name}">' in form


def test_agreement_used_by_filters_is_unchanged_by_reading(client, app, catalog):
    with in_app(app):
        before = [a.version for a in db.session.scalars(select(Agreement).order_by(Agreement.id))]
    _page(client, "?agreement=expiring")
    with in_app(app):
        after = [a.version for a in db.session.scalars(select(Agreement).order_by(Agreement.id))]
    assert before == after


def _part(html: str, start: str, end: str) -> str | None:
    """The markup from `start` to the first `end` after it, or None."""
    at = html.find(start)
    return html[at : html.index(end, at) + len(end)] if at >= 0 else None


@pytest.mark.parametrize(
    ("path", "heading", "said"),
    [
        (
            "/directory",
            "3 products, page 1 of 2",
            'Download these 3 results as <a href="/directory.csv">a spreadsheet (CSV)</a> or '
            '<a href="/api/v1/products">JSON</a>.',
        ),
        (
            "/es/directory?page=2",
            "3 productos, página 2 de 2",
            'Descargue estos 3 resultados como <a href="/directory.csv">hoja de cálculo (CSV)</a> o en '
            '<a href="/api/v1/products">JSON</a>.',
        ),
        (
            "/directory?q=math",
            "1 product matching “math”",
            'Download this result as <a href="/directory.csv?q=math">a spreadsheet (CSV)</a> or '
            '<a href="/api/v1/products?q=math">JSON</a>.',
        ),
        (
            "/es/directory?q=%3Cb%3E+%26",
            "0 productos que coinciden con «&lt;b&gt; &amp;»",
            '<p class="empty-state__title">Ningún producto coincide.</p>\n    <p>Pruebe con otras palabras o con '
            "menos filtros. Los productos retirados solo aparecen si el filtro de estado los pide.</p>",
        ),
        (
            "/directory?page=7",
            "3 products",
            '<p class="empty-state__title">There is no page 7 of these results.</p>\n    '
            "<p>The results fill 2 pages.</p>",
        ),
        (
            "/es/directory?q=math&page=3",
            "1 producto que coincide con «math»",
            '<p class="empty-state__title">Estos resultados no tienen página 3.</p>\n    '
            "<p>Los resultados ocupan 1 página.</p>",
        ),
    ],
)
def test_the_result_heading_download_line_and_empty_state_are_worded_in_the_readers_language(
    client, catalog, app, monkeypatch, path, heading, said
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _part(html, '<h2 id="results-heading"', "</h2>") == (
        f'<h2 id="results-heading" class="result-count">\n      {heading}\n    </h2>'
    )
    if said.startswith("<p"):
        assert _part(html, '<p class="no-print">', "</p>") is None
        assert f'<div class="empty-state">\n    {said}\n  </div>' in html
    else:
        assert f'<p class="no-print">{said}</p>' in html
        assert '<div class="empty-state">' not in html


def test_a_chosen_school_links_to_its_own_page(client, catalog):
    """The directory filtered by a school names it and links to its page (`DirectoryForm.chosen_school`);
    a school that does not exist is ignored, and nothing is linked."""
    html = _page(client, "?school=roosevelt")
    assert "Everything used at Roosevelt Middle," in html
    assert '<a href="/schools/roosevelt">the page for Roosevelt Middle</a>.</p>' in html
    assert "Everything used at " not in _page(client, "?school=no-such-school")
    assert "Everything used at " not in _page(client, "?element=disability")

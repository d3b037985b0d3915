"""Linking a request to a product on its page: the officer finds the product by words of its name
(the request's name at first), never picks from a list of the whole catalogue; a refused form offers
the same products again and keeps what was typed."""

import re

from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db
from clearinghouse.intake.models import ToolRequest
from clearinghouse.intake.queries import LINK_CANDIDATES
from tests import factories
from tests.conftest import client_as, count_queries, in_app
from tests.intake.test_pages import form


def _request(app, district, name="Story Maker") -> str:
    client_as(app, district.teacher_id).post("/tools/new", data={**form(district, name=name), "send": "1"})
    with in_app(app):
        return f"/staff/tool-requests/{db.session.scalar(select(ToolRequest.id).where(ToolRequest.name == name))}"


def _offered(html: str) -> list[str]:
    """The labels of the product choices the page offers, in order."""
    return re.findall(r'<input[^>]*name="link-product_id"[^>]*>\s*<label[^>]*>([^<]*)</label>', html)


def _products(app, names: list[str], vendor_name="Pen &amp; Paper") -> dict[str, int]:
    with in_app(app):
        vendor = factories.make_vendor(name=vendor_name.replace("&amp;", "&"))
        return {name: factories.make_product(vendor, name=name).id for name in names}


def test_the_page_offers_products_named_like_the_request_not_the_whole_catalogue(app, district):
    _products(app, ["Story Maker", "Story Maker Pro", "Math Quest"] + [f"Story Maker {i}" for i in range(20)])
    page = _request(app, district)
    html = client_as(app, district.officer_id).get(page).get_data(as_text=True)
    offered = _offered(html)
    assert offered[0] == "Pen &amp; Paper: Story Maker (Approved)"  # the exact name first
    assert len(offered) == LINK_CANDIDATES + 1  # the first ten, then a new product
    assert offered[-1] == "None of these: a new product, named below"
    assert not any("Math Quest" in label for label in offered)
    assert 'value="Story Maker"' in html  # the search box starts with the request's name


def test_other_words_find_another_product_and_linking_it_is_audited(app, district):
    ids = _products(app, ["Story Maker Deluxe", "Math Quest"])
    page = _request(app, district)
    officer = client_as(app, district.officer_id)
    html = officer.get(f"{page}?find=math").get_data(as_text=True)
    assert _offered(html) == ["Pen &amp; Paper: Math Quest (Approved)", "None of these: a new product, named below"]
    assert 'name="link-find" type="hidden" value="math"' in html
    answer = officer.post(f"{page}/link", data={"link-product_id": str(ids["Math Quest"]), "link-find": "math"})
    assert answer.status_code == 303
    with in_app(app):
        tr = db.session.scalar(select(ToolRequest).where(ToolRequest.name == "Story Maker"))
        assert tr.product_id == ids["Math Quest"]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tool_request.linked")) is not None
    relinked = officer.get(page).get_data(as_text=True)
    assert _offered(relinked)[0] == "Pen &amp; Paper: Math Quest (Approved)"  # the linked product stays offered
    assert re.search(rf'checked[^>]*value="{ids["Math Quest"]}"|value="{ids["Math Quest"]}"[^>]*checked', relinked)


def test_words_that_find_nothing_say_so_and_offer_a_new_product(app, district):
    _products(app, ["Story Maker Deluxe"])
    page = _request(app, district)
    html = client_as(app, district.officer_id).get(f"{page}?find=zebra").get_data(as_text=True)
    assert "No product in the directory has a name holding “zebra”" in html
    assert _offered(html) == ["None of these: a new product, named below"]


def test_a_refused_link_offers_the_same_products_again_and_keeps_what_was_typed(app, district):
    _products(app, ["Story Maker Deluxe", "Math Quest"])
    page = _request(app, district)
    officer = client_as(app, district.officer_id)
    cases = [
        ({"link-product_id": "0", "link-find": "math"}, "Choose the product, or name the vendor of a new one."),
        ({"link-product_id": "987654", "link-find": "math"}, "That product no longer exists."),
        ({"link-product_id": "not a number", "link-find": "math"}, "Choose one of the products offered"),
        ({"link-product_id": str(2**40), "link-find": "math"}, "Choose one of the products offered"),
        (
            {"link-product_id": "0", "link-find": "math", "link-vendor_name": "Acme\x00"},
            "Remove the invisible control character",
        ),
    ]
    for data, message in cases:
        answer = officer.post(f"{page}/link", data=data)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, data
        assert message in html, data
        assert _offered(html)[0] == "Pen &amp; Paper: Math Quest (Approved)", data
    with in_app(app):
        assert db.session.scalar(select(ToolRequest.product_id).where(ToolRequest.name == "Story Maker")) is None


def test_the_page_runs_the_same_queries_however_many_products_match(app, district):
    _products(app, ["Story Maker"])
    page = _request(app, district)
    officer = client_as(app, district.officer_id)
    officer.get(page)
    with count_queries(app) as few:
        officer.get(page)
    _products(app, [f"Story Maker {i}" for i in range(40)], vendor_name="Other")
    with count_queries(app) as many:
        html = officer.get(page).get_data(as_text=True)
    assert len(_offered(html)) == LINK_CANDIDATES + 1
    assert len(many) == len(few), "\n".join(many)


def test_a_refused_new_product_name_says_what_to_fix_and_keeps_the_words_searched_for(app, district):
    page = _request(app, district)
    answer = client_as(app, district.officer_id).post(
        f"{page}/link", data={"link-product_id": "0", "link-find": "story", "link-product_name": "Story\nMaker"}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "This must be one line" in html
    assert 'name="link-find" type="hidden" value="story"' in html


def test_words_that_cannot_be_searched_for_stay_in_the_box_with_what_to_fix(app, district):
    _products(app, ["Story Maker Deluxe"])
    page = _request(app, district)
    officer = client_as(app, district.officer_id)
    for words, message in (
        ("story\x00maker", "Remove the invisible control character"),
        ("story " * 100, "Field cannot be longer than"),
    ):
        answer = officer.get(page, query_string={"find": words})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert message in html
        assert _offered(html)[0] == "Pen &amp; Paper: Story Maker Deluxe (Approved)"  # found by the request's name
        assert "No product in the directory has a name" not in html
    refused = officer.post(  # the hidden words carried from the search, tampered with: refused, nothing written
        f"{page}/link", data={"link-product_id": "0", "link-find": "story\x00", "link-vendor_name": "StoryCo"}
    )
    assert refused.status_code == 422
    with in_app(app):
        assert db.session.scalar(select(ToolRequest.product_id).where(ToolRequest.name == "Story Maker")) is None

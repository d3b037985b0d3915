"""A vendor's Exhibit B read on a product's staff page: review the matches, add the accepted ones."""

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from clearinghouse.directory.models import DataElement, Product
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import SHARED_DIR, client_as, in_app

PACKET = SHARED_DIR / "data" / "speddy__ca-ndpa-execution-packet.md"


@pytest.fixture
def officer(app, officer_id):
    return client_as(app, officer_id)


@pytest.fixture
def product_id(app, runner):
    assert runner.invoke(args=["seed-taxonomy"]).exit_code == 0
    with in_app(app):
        vendor = factories.make_vendor(name="Speddy")
        return factories.make_product(vendor, name="Speddy").id


def test_the_packet_is_read_reviewed_and_its_data_added_without_purposes(app, officer, product_id):
    url = f"/staff/import/exhibit-b/{product_id}"
    page = officer.get(url)
    assert page.status_code == 200
    assert "Exhibit B for Speddy</h1>" in page.text
    read = officer.post(url, data={"file": (io.BytesIO(PACKET.read_bytes()), "packet.md"), "read": "1"})
    assert read.status_code == 200, read.text
    assert "What the schedule says" in read.text
    ticked = re.findall(r'name="accept" value="(\d+)"[^>]*checked', read.text)
    assert len(ticked) >= 10  # the packet's rows matched to the taxonomy are offered ticked
    text = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", read.text, re.S).group(1)
    applied = officer.post(url, data={"text": unescape(text), "accept": ticked, "version": "1", "apply": "1"})
    assert applied.status_code == 302, applied.text
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert len(product.data_uses) >= 10
        assert all(use.purpose == "" for use in product.data_uses)
    followed = officer.get(applied.headers["Location"])
    assert "Their purposes are not stated yet." in followed.text
    with in_app(app):
        slug = db.session.get(Product, product_id).slug
    public = app.test_client().get(f"/products/{slug}")
    assert public.status_code == 200
    assert "Purpose not yet stated" in public.text  # shown honestly to parents until the officer writes it


def test_an_unknown_row_is_offered_as_a_new_element_under_other(app, officer, product_id):
    url = f"/staff/import/exhibit-b/{product_id}"
    schedule = (
        "| Category | Element | Collected |\n|---|---|---|\n"
        "| Application Technology Meta Data | IP Addresses of users, Use of cookies etc. | ☑ |\n"
        "| Student Work | Quantum entanglement score | ☑ |\n"
    )
    read = officer.post(url, data={"text": schedule, "read": "1"})
    assert "New element under Other" in read.text
    assert not re.search(r'name="accept" value="1"[^>]*checked', read.text)  # a new element is not ticked for you
    officer.post(url, data={"text": schedule, "accept": ["0", "1"], "version": "1", "apply": "1"})
    with in_app(app):
        names = sorted(use.element.name for use in db.session.get(Product, product_id).data_uses)
        assert "Quantum entanglement score" in names
        other = db.session.scalar(select(DataElement).where(DataElement.name == "Quantum entanglement score"))
        assert other.category.name == "Other"


def test_a_text_with_no_schedule_is_refused_and_nothing_changes(app, officer, product_id):
    refused = officer.post(f"/staff/import/exhibit-b/{product_id}", data={"text": "Dear officer, hello.", "read": "1"})
    assert refused.status_code == 422
    assert "No table or checklist of data was found in it." in refused.text
    with in_app(app):
        assert db.session.get(Product, product_id).data_uses == []
    assert officer.get("/staff/import/exhibit-b/999999").status_code == 404

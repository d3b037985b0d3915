"""The shared input homes, each tested once where it lives: the base form every form derives from,
the date field, the page and id parsers, and the URL converters."""

import importlib
import pkgutil
from datetime import date

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, Form

import clearinghouse
from clearinghouse.agreements.models import Agreement
from clearinghouse.directory.forms import SearchForm
from clearinghouse.extensions import db
from clearinghouse.forms import BaseForm, DayField
from clearinghouse.timeutil import district_today
from clearinghouse.urls import MAX_PAGE, page_number, record_id
from tests import factories
from tests.conftest import client_as, in_app
from tests.hostile import pdfs
from tests.hostile.walker import url_for_rule
from tests.portal.helpers import upload

HUGE = "10000000000000000000"
# Forms that are not BaseForms, and why.
NOT_BASE_FORMS = {SearchForm: "the public search box: any text is reduced to searchable words (text.visible_text)"}


def _form_classes() -> set[type]:
    for module in pkgutil.walk_packages(clearinghouse.__path__, "clearinghouse."):
        importlib.import_module(module.name)
    found, todo = set(), [Form]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.startswith("clearinghouse.") and subclass.__module__ != "clearinghouse.forms":
                found.add(subclass)
    return found


def test_every_form_of_the_site_derives_from_the_base_form():
    classes = _form_classes()
    assert len(classes) > 25
    strays = {cls for cls in classes if not issubclass(cls, BaseForm)} - {
        sub for cls in NOT_BASE_FORMS for sub in classes if issubclass(sub, cls)
    }
    assert strays == set()
    assert not [cls for cls in classes if issubclass(cls, FlaskForm) and not issubclass(cls, BaseForm)]


def test_every_date_field_of_the_site_is_a_day_field():
    loose = [
        f"{cls.__name__}.{name}"
        for cls in _form_classes()
        for name, unbound in vars(cls).items()
        if getattr(unbound, "field_class", None) is not None
        and issubclass(unbound.field_class, DateField)
        and not issubclass(unbound.field_class, DayField)
    ]
    assert loose == []


@pytest.mark.parametrize(
    ("raw", "page"),
    [(None, 1), ("", 1), ("3", 3), ("0", 1), ("-2", 1), ("abc", 1), ("a\x00b", 1), ("٣", 1), (HUGE, MAX_PAGE)],
)
def test_the_page_parser_turns_anything_odd_into_a_page_that_exists(raw, page):
    assert page_number(raw) == page


@pytest.mark.parametrize(("raw", "value"), [("7", 7), (" 7 ", 7), ("0", None), (HUGE, None), ("2147483648", None)])
def test_a_record_id_fits_an_integer_column(raw, value):
    assert record_id(raw) == value


def test_a_huge_page_number_shows_a_page_on_every_list(app, walk):
    world = walk.world
    for rule in app.url_map.iter_rules():
        path = url_for_rule(rule, world)
        if path is None or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        client = walk.client_for(path, rule.endpoint)
        if client.get(path).status_code != 200:  # a route that is off here (district sign-in without OIDC)
            continue
        response = client.get(f"{path}?page={HUGE}&vendor_id={HUGE}")
        assert response.status_code in (200, 400), f"{path}: {response.status_code}"  # 400: the API says why


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/vendors/a%00b",
        "/vendors/a%00b",
        "/products/%1b%5b31m",
        f"/staff/vendors/{HUGE}/edit",
        f"/agreements/{HUGE}/document",
        "/static/a%00b.css",
        "/invitations/a%00b",
    ],
)
def test_an_address_no_record_can_have_is_a_404_in_the_sites_look(app, admin_id, path):
    response = client_as(app, admin_id).get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.json["error"]["status"] == 404
    else:
        assert 'href="/static/css/site.css"' in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_e_mail_is_a_field_error(client, officer_id):
    response = client.post("/login", data={"email": "officer@district.example\x00", "password": "whatever"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html
    assert "U+0000" in html


@pytest.mark.parametrize("field", ["signer_name", "signer_title", "method_other"])
def test_a_nul_in_the_certificate_form_is_a_field_error_and_nothing_is_stored(
    app, world, vendor_user_id, nothing_stored, field
):
    response = upload(
        client_as(app, vendor_user_id), world.request_id, pdfs.plain_pdf(), method="other", **{field: "a\x00b"}
    )
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    nothing_stored()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9999-12-31", "Enter a date between 1990-01-01 and 2199-12-31."),
        ("0001-01-01", "Enter a date between 1990-01-01 and 2199-12-31."),
        ("2026-02-30", "Enter a date like 2026-07-01 (year-month-day)."),
    ],
)
def test_far_and_impossible_dates_get_a_clear_message(app, officer_id, world, vendor_user_id, value, message):
    with in_app(app):
        agreements = db.session.scalar(select(func.count()).select_from(Agreement))
    agreement = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={world.vendor_id}",
        data={"kind": "ndpa", "signed_on": "2026-01-05", "effective_on": "2026-01-05", "expires_on": value},
    )
    assert agreement.status_code == 422
    assert message in agreement.get_data(as_text=True)
    certificate = upload(client_as(app, vendor_user_id), world.request_id, None, disposed_on=value)
    assert message in certificate.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(Agreement)) == agreements


def test_an_agreement_saved_with_a_far_expiry_can_still_be_renewed(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Forever Co")
        agreement = factories.make_agreement(vendor, expires_on=date(2025, 1, 1))
        db.session.execute(sa.update(Agreement).values(expires_on=date(9999, 12, 31)))  # from before the range
        db.session.commit()
        agreement_id = agreement.id
        today = district_today()
    client = client_as(app, officer_id)
    for path in (f"/staff/agreements/{agreement_id}", f"/staff/agreements/{agreement_id}/renew", "/staff/"):
        assert client.get(path).status_code == 200, path
    renewal = client.get(f"/staff/agreements/{agreement_id}/renew").get_data(as_text=True)
    assert 'name="effective_on" type="date" value="10000' not in renewal
    assert f'name="effective_on" type="date" value="{today.isoformat()}"' in renewal

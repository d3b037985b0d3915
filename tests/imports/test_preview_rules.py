"""The import preview asks the services' own rules, so it refuses a row exactly when applying it would fail."""

from datetime import date, timedelta

import pytest

from clearinghouse.directory import services as directory_services
from clearinghouse.directory.models import NAME_MAX
from clearinghouse.extensions import db
from clearinghouse.imports import files, services
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.timeutil import district_today
from tests.conftest import in_app


def _problems(app, text: str) -> dict[int, list[str]]:
    with in_app(app):
        table = files.read_table(text.encode())
        plan = services.plan_import(table, guess_mapping(table.headers))
    problems: dict[int, list[str]] = {}
    for error in plan.errors:
        problems.setdefault(error.row, []).append(error.message)
    return problems


def test_the_preview_refuses_what_the_services_would(app):
    tomorrow = (district_today() + timedelta(days=1)).isoformat()
    long_name = "R" * (NAME_MAX + 1)
    problems = _problems(
        app,
        "vendor,product,status,signed_on,effective_on,expires_on\r\n"
        f"Acme,{long_name},Approved,,,\r\n"
        f"Acme,Signed Later,Approved,{tomorrow},,\r\n"
        "Acme,Backwards,Approved,2024-03-01,2024-03-01,2024-02-01\r\n"
        "Ac\x1bme,Escaped,Approved,,,\r\n",
    )
    assert problems == {
        2: [f"The product's name can be at most {NAME_MAX} characters."],
        3: [
            "The signing date can't be in the future. Enter the day it was signed, "
            "or leave it blank while the agreement is a draft."
        ],
        4: ["The expiry date must be after the day the agreement takes effect (March 1, 2024)."],
        5: ["Vendor (company): Remove the invisible control character U+001B and try again; it cannot be saved."],
    }


def test_an_agreement_without_its_own_dates_takes_effect_when_signed_and_is_open_ended(app):
    problems = _problems(app, "vendor,product,status,signed_on\r\nAcme,Reader,Approved,2024-03-01\r\n")
    assert problems == {}
    with in_app(app):
        table = files.read_table(b"vendor,product,status,signed_on\r\nAcme,Reader,Approved,2024-03-01\r\n")
        plan = services.plan_import(table, guess_mapping(table.headers))
    (row,) = plan.rows
    signed = date(2024, 3, 1)
    assert (row.agreement.signed_on, row.agreement.effective_on, row.agreement.expires_on) == (signed, signed, None)
    assert row.changes == ["New agreement (Custom agreement): signed on 2024-03-01, open-ended"]


@pytest.mark.parametrize("added_first", ["Acme Learning LLC", "Acme Learning Inc"])
def test_spellings_of_a_vendor_join_the_same_district_vendor_whichever_was_added_first(app, added_first):
    added_second = ({"Acme Learning LLC", "Acme Learning Inc"} - {added_first}).pop()
    with in_app(app):
        for name in (added_first, added_second):
            directory_services.create_vendor(None, name=name)
        db.session.commit()
        table = files.read_table(b"vendor,product\r\nAcme Learning,Reader\r\nAcme Learning Co.,Writer\r\n")
        plan = services.plan_import(table, guess_mapping(table.headers))
    (group,) = plan.prepared.vendor_groups
    assert (group.existing, group.spellings) == ("Acme Learning LLC", ("Acme Learning", "Acme Learning Co."))

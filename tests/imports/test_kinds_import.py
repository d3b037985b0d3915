"""A file's kind of product that matches none of the district's: the officer adds it as a new kind (through
the directory's kind service), keeps it as the product's text for staff, or maps it to a kind; on the values
step or with --value; the choice is remembered for the next file (issue 11, item 9)."""

import re

import pytest
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import Product, ProductKind
from clearinghouse.extensions import db
from clearinghouse.imports.models import ImportValueChoice
from clearinghouse.imports.values import check_meaning, describe
from tests.conftest import client_as, in_app
from tests.imports.conftest import form_values, plan_token, upload

CSV = (
    "Vendor,Product,Product type,Website\n"
    "Path Co,Path Finder,Career Readiness,https://path.example\n"
    "Path Co,Odd Tool,Odds and ends,https://odd.example\n"
    "Path Co,Fraction Fox,Math,https://fox.example\n"
    "Path Co,Job Shadow,career readiness,https://shadow.example\n"
)


def _kinds_of_products() -> dict[str, tuple[str, str]]:
    return {p.name: (p.kind.slug, p.category_text) for p in db.session.scalars(select(Product))}


def test_the_meaning_of_a_kind_value_is_a_kind_a_new_kind_or_text():
    kinds = {"math": "Math", "career-readiness": "Career readiness"}
    assert check_meaning("kind", "Math", kinds=kinds) == "math"
    assert check_meaning("kind", "new", raw="Robotics Club", kinds=kinds) == "new:Robotics Club"
    assert check_meaning("kind", "new:Robotics", raw="Robo", kinds=kinds) == "new:Robotics"
    assert check_meaning("kind", "new", raw="CAREER readiness", kinds=kinds) == "career-readiness"
    assert check_meaning("kind", "text", kinds=kinds) == "text:"
    assert describe("kind", "new:Robotics", kinds) == "A new kind: Robotics"
    assert describe("kind", "career-readiness", kinds) == "Career readiness"


@pytest.mark.parametrize(
    ("bad", "message"), [("new:" + "x" * 81, "at most 80"), ("new:Bad\x00", "A new kind's name"), ("Gizmos", "new:")]
)
def test_a_bad_kind_meaning_says_what_to_write(bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_meaning("kind", bad, kinds={"math": "Math"})


def test_the_command_line_adds_a_kind_and_keeps_text(app, runner, tmp_path):
    path = tmp_path / "kinds.csv"
    path.write_text(CSV, encoding="utf-8")
    refused = runner.invoke(args=["import-inventory", str(path), "--yes"])
    assert refused.exit_code != 0
    assert "Nobody has said what “Career Readiness” in Product type means" in refused.output
    with in_app(app):
        assert db.session.scalar(select(db.func.count(Product.id))) == 0
    values = ["--value", "Product type:Career Readiness=new", "--value", "Product type:Odds and ends=text"]
    result = runner.invoke(args=["import-inventory", str(path), *values, "--yes"])
    assert result.exit_code == 0, result.output
    assert "New kinds of product: Career Readiness" in result.output
    assert "1 new kinds of product" in result.output
    with in_app(app):
        assert _kinds_of_products() == {
            "Path Finder": ("career-readiness", ""),
            "Job Shadow": ("career-readiness", ""),
            "Odd Tool": ("other", "Odds and ends"),
            "Fraction Fox": ("math", ""),
        }
        kind = db.session.scalar(select(ProductKind).where(ProductKind.slug == "career-readiness"))
        assert (kind.name, kind.position) == ("Career Readiness", 15)
        assert db.session.scalar(select(db.func.count()).where(AuditEvent.action == "product_kind.created")) == 1
    again = runner.invoke(args=["import-inventory", str(path), *values, "--yes"])
    assert "Nothing to import: the directory already says all of this." in again.output, again.output
    bad = runner.invoke(args=["import-inventory", str(path), "--value", "Product type:Odds and ends=gizmo", "--yes"])
    assert bad.exit_code != 0
    assert "new:NAME to add a kind" in bad.output


def test_the_values_step_offers_a_new_kind_or_text_and_remembers_the_choice(app, officer_id, import_dir):
    officer = client_as(app, officer_id)
    uploaded = upload(officer, CSV.encode(), "kinds.csv")
    columns_url = uploaded.headers["Location"]
    base = columns_url.removesuffix("/columns")
    page = officer.get(columns_url)
    saved = officer.post(columns_url, data=form_values(page.text))
    assert saved.status_code == 302
    step = saved.headers["Location"]
    assert step.endswith("/values"), step
    page = officer.get(step).get_data(as_text=True)
    assert "Add “Career Readiness” as a new kind" in page
    assert "Keep the words as text for staff" in page
    data = form_values(page)
    new_field = next(name for name, value in data.items() if value == "?" and "kind" in name)
    fields = [name for name in data if name.startswith("kind_")]
    assert len(fields) == 3  # Career Readiness (and its other spelling), Odds and ends, Math
    data[fields[0]] = "new:Career Readiness"
    data[fields[1]] = "text:"
    assert new_field in fields
    posted = officer.post(step, data=data)
    assert posted.status_code == 302, posted.text
    step = posted.headers["Location"]
    while not step.endswith("/preview"):
        posted = officer.post(step, data=form_values(officer.get(step).get_data(as_text=True)))
        assert posted.status_code == 302, posted.text
        step = posted.headers["Location"]
    shown = officer.get(step).get_data(as_text=True)
    assert "New kinds of product, added through the kinds page" in shown
    done = officer.post(f"{base}/confirm", data={"plan": plan_token(shown)})
    assert done.status_code == 302, done.text
    with in_app(app):
        assert _kinds_of_products()["Path Finder"] == ("career-readiness", "")
        assert _kinds_of_products()["Odd Tool"] == ("other", "Odds and ends")
        remembered = dict(db.session.execute(select(ImportValueChoice.value_key, ImportValueChoice.meaning)).all())
        assert remembered["career readiness"] == "new:Career Readiness"
        assert remembered["odds and ends"] == "text:"
        odd_id = db.session.scalar(select(Product.id).where(Product.name == "Odd Tool"))
    # The next file is read with the district's choices: the kind added last time is a kind now.
    again = upload(officer, CSV.replace("Path Co", "Other Co").encode(), "again.csv")
    columns_url = again.headers["Location"]
    saved = officer.post(columns_url, data=form_values(officer.get(columns_url).text))
    page = officer.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Your earlier choice" in page
    assert '<option selected value="career-readiness">Career Readiness</option>' in page
    assert '<option selected value="text:">' in page
    # Staff read the kept text on the product's page; the public does not.
    staff_page = officer.get(f"/staff/products/{odd_id}/edit").get_data(as_text=True)
    assert "Odds and ends" in staff_page
    with in_app(app):
        slug = db.session.get(Product, odd_id).slug
    assert "Odds and ends" not in app.test_client().get(f"/products/{slug}").get_data(as_text=True)

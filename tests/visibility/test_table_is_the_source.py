"""The visibility table is the one place that says who sees a field: staff forms and README follow it.

Staff form hints about a field's audience come from `visibility_hint(table, column)`; no template or
form writes its own ("Staff only", "never shown to the public"…), so they cannot disagree with the
table. README's "Who sees what" is generated from the table; after changing the table, refresh it
with `UPDATE_README=1 .venv/bin/python -m pytest tests/visibility/test_table_is_the_source.py`.
"""

import os
import re
from pathlib import Path

import pytest

from clearinghouse.visibility import BOOKKEEPING, FIELDS, HINTS, Audience, hint
from tests import factories
from tests.conftest import client_as, in_app

ROOT = Path(__file__).resolve().parents[2]
AUDIENCE_WORDS = re.compile(r"staff only|never shown|shown to the (public|vendor)|not shown to", re.IGNORECASE)
README_START = "<!-- who-sees-what: generated from clearinghouse/visibility.py -->"
README_END = "<!-- who-sees-what: end -->"


def test_no_template_or_form_states_an_audience_of_its_own():
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "clearinghouse").rglob("*forms.py")]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if AUDIENCE_WORDS.search(line)
    ]
    assert offenders == [], "say who sees a field with visibility_hint(table, column)"


@pytest.mark.parametrize(
    ("page", "field_id", "table", "column"),
    [
        ("agreement_form", "reference", "agreement", "reference"),
        ("agreement_form", "internal_notes", "agreement", "internal_notes"),
        ("agreement_form", "destruction_window_days", "agreement", "destruction_window_days"),
        ("terminate", "reason", "agreement", "termination_reason"),
        ("vendor_form", "contact_email", "vendor", "contact_email"),
        ("vendor_form", "description_md", "vendor", "description_md"),
        ("vendor_form", "internal_notes", "vendor", "internal_notes"),
        ("product_form", "purpose_md", "product", "purpose_md"),
        ("product_form", "internal_notes", "product", "internal_notes"),
        ("new_request", "reason", "destruction_request", "reason"),
        ("new_request", "instructions", "destruction_request", "instructions"),
    ],
)
def test_staff_forms_tell_who_will_see_each_field(app, officer_id, page, field_id, table, column):
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        agreement = factories.make_agreement(vendor, [product])
        urls = {
            "agreement_form": f"/staff/agreements/new?vendor_id={vendor.id}",
            "terminate": f"/staff/agreements/{agreement.id}/terminate",
            "vendor_form": f"/staff/vendors/{vendor.id}/edit",
            "product_form": f"/staff/products/{product.id}/edit",
            "new_request": "/staff/requests/new",
        }
    text = client_as(app, officer_id).get(urls[page]).get_data(as_text=True)
    found = re.search(rf'<p class="field__hint" id="{field_id}-hint">([^<]*)</p>', text)
    assert found, f"no hint for {field_id} on {urls[page]}"
    assert found.group(1).endswith(hint(table, column))


def who_sees_what() -> str:
    """README's summary of the table: the fields each table keeps from the public, by audience."""
    headings = {Audience.VENDOR: "the vendor also sees", Audience.STAFF: "staff only", None: "never shown"}
    lines = [
        "| table | " + " | ".join(headings.values()) + " |",
        "| --- | --- | --- | --- |",
    ]
    for table, columns in sorted(FIELDS.items()):
        groups = {
            audience: [name for name, rule in columns.items() if rule.audience == audience and rule != BOOKKEEPING]
            for audience in headings
        }
        if not any(groups.values()):
            continue
        cells = []
        for names in groups.values():
            everything = len(names) == len(columns)
            cells.append("every field" if everything else ", ".join(f"`{name}`" for name in names) or "—")
        lines.append(f"| `{table}` | " + " | ".join(cells) + " |")
    public = sorted(
        table for table, columns in FIELDS.items() if all(r.audience == Audience.PUBLIC for r in columns.values())
    )
    lines.append("")
    lines.append(
        "Every other field is public, except bookkeeping (`created_at`, `version`, and `updated_at` where it is "
        "not shown as “last updated”), which is staff only. Public throughout: "
        + ", ".join(f"`{t}`" for t in public)
        + "."
    )
    return "\n".join(lines)


def test_readme_who_sees_what_is_generated_from_the_table():
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert README_START in text, "README needs its 'Who sees what' section"
    assert README_END in text, "README needs its 'Who sees what' section"
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    expected = f"{before}{README_START}\n{who_sees_what()}\n{README_END}{after}"
    if os.environ.get("UPDATE_README") == "1":
        readme.write_text(expected, encoding="utf-8")
        return
    assert text == expected, "README's 'Who sees what' is out of date: run this test with UPDATE_README=1"


def test_each_audience_has_its_hint():
    assert set(HINTS) == {*Audience, None}

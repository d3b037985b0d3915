"""Migration 20261125_name_keys gives existing rows their key, keeps look-alikes apart until renamed,
and stores names in NFC."""

import unicodedata
from datetime import UTC, datetime

import flask_migrate
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.directory.models import School, Vendor
from clearinghouse.extensions import db
from tests.conftest import in_app

BEFORE = "6a1f0c3e9b27"  # the revision before the name keys


def _vendor(name: str, slug: str) -> dict:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return {
        "name": name,
        "slug": slug,
        "website": "",
        "privacy_policy_url": "",
        "contact_email": "",
        "description_md": "",
        "internal_notes": "",
        "is_retired": False,
        "created_at": now.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else now,
        "updated_at": now.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else now,
    }


def test_existing_names_get_keys_and_look_alikes_stay_apart_until_renamed(app):
    decomposed = unicodedata.normalize("NFD", "Émile")
    with in_app(app):
        flask_migrate.downgrade(revision=BEFORE)
        vendor = sa.table("vendor", *(sa.column(name) for name in _vendor("", "")))
        school = sa.table(
            "school", sa.column("name"), sa.column("slug"), sa.column("grade_band"), sa.column("is_retired")
        )
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(vendor),
                [_vendor("Émile", "emile"), _vendor("ÉMILE", "emile-2"), _vendor(decomposed, "emile-3")],
            )
            conn.execute(
                sa.insert(school), [{"name": "Ｎｏｒｔｈ", "slug": "north", "grade_band": "", "is_retired": False}]
            )
        flask_migrate.upgrade()
        rows = db.session.execute(select(Vendor.id, Vendor.name, Vendor.name_key).order_by(Vendor.id)).all()
        first_id = rows[0].id
        assert [(row.name, row.name_key) for row in rows] == [
            ("Émile", "émile"),
            ("ÉMILE", f"émile#{first_id + 1}"),
            (decomposed, f"émile#{first_id + 2}"),  # its NFC spelling is the first row's name
        ]
        assert db.session.scalar(select(School.name_key)) == "north"


def test_a_decomposed_name_is_stored_in_nfc(app):
    with in_app(app):
        flask_migrate.downgrade(revision=BEFORE)
        vendor = sa.table("vendor", *(sa.column(name) for name in _vendor("", "")))
        with db.engine.begin() as conn:
            conn.execute(sa.insert(vendor), _vendor(unicodedata.normalize("NFD", "Zoë"), "zoe"))
        flask_migrate.upgrade()
        assert db.session.execute(select(Vendor.name, Vendor.name_key)).one() == ("Zoë", "zoë")

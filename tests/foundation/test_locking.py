"""The optimistic-locking kit: one mixin, one check, one claim, one stale error, one form field."""

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.extensions import db
from clearinghouse.locking import (
    StaleVersion,
    VersionedMixin,
    VersionField,
    check_version,
    claim_version,
    stale_message,
)
from clearinghouse.settings.models import DistrictSettings
from tests import factories
from tests.conftest import in_app


def test_every_versioned_record_uses_the_kit_and_names_itself():
    phrases = {
        model: stale_message(model) for model in (Vendor, Product, Agreement, DestructionRequest, DistrictSettings)
    }
    assert all(issubclass(model, VersionedMixin) for model in phrases)
    assert phrases[Vendor] == (
        "Someone else changed this vendor while you were editing. Review their changes and try again."
    )
    assert phrases[DistrictSettings].startswith("Someone else changed the district settings while")
    assert len(set(phrases.values())) == len(phrases)


def test_check_refuses_any_other_version(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Checked")
        check_version(vendor, 1)
        for other in (None, 0, 2):
            with pytest.raises(StaleVersion, match="this vendor"):
                check_version(vendor, other)


def test_the_claim_bumps_once_and_a_second_claim_from_the_same_version_is_stale(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Claimed")
        claim_version(vendor, 1)
        assert vendor.version == 2
        db.session.commit()
        with pytest.raises(StaleVersion):
            claim_version(vendor, 1)
        db.session.rollback()
        assert db.session.scalar(sa.select(Vendor.version).where(Vendor.id == vendor.id)) == 2


def test_the_claim_honours_extra_conditions_and_writes_values(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Conditional")
        with pytest.raises(StaleVersion):
            claim_version(vendor, 1, Vendor.is_retired.is_(True), is_retired=True)
        claim_version(vendor, 1, Vendor.is_retired.is_(False), is_retired=True)
        db.session.commit()
        db.session.refresh(vendor)
        assert (vendor.version, vendor.is_retired) == (2, True)


class _VersionForm(FlaskForm):
    class Meta:
        csrf = False

    version = VersionField()


@pytest.mark.parametrize(
    ("sent", "read"),
    [("3", 3), ("", None), ("abc", None), ("-1", None), ("٣", None), ("1" * 40, None), ("1e3", None)],
)
def test_the_form_field_reads_only_plain_numbers(app, sent, read):
    with app.test_request_context(method="POST"):
        form = _VersionForm(formdata=MultiDict({"version": sent}))
        assert form.validate()
        assert form.version.data == read


def test_the_form_field_renders_hidden_and_can_be_refreshed(app):
    with app.test_request_context(method="POST"):
        form = _VersionForm(formdata=MultiDict({"version": "1"}))
        form.version.refresh(4)
        html = form.version()
        assert 'type="hidden"' in html
        assert 'value="4"' in html

"""Directives the sweep opened before the reference and termination reason were kept internal are reworded."""

import flask_migrate
import sqlalchemy as sa

from clearinghouse.destruction.models import DestructionRequest, RequestOrigin
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app

# The revision before migrations/versions/20261123_directive_reasons_without_internal_fields.py.
BEFORE = "2f6a9d41c8b3"


def test_old_sweep_reasons_lose_the_reference_and_the_termination_reason(app):
    with in_app(app):
        vendor = factories.make_vendor()
        terminated = factories.make_agreement(vendor, reference="NDPA 2024 (legal hold)")
        expired = factories.make_agreement(vendor, reference="Old terms")
        old = {
            "terminated": f"The agreement {terminated.reference} was terminated on March 3, 2027 "
            "(Breach: the vendor sold data (twice)).",
            "expired": f"The agreement {expired.reference} expired on June 30, 2027 and was not renewed.",
        }
        ids = {
            "terminated": factories.make_destruction_request(
                vendor, terminated, origin=RequestOrigin.AGREEMENT_ENDED, origin_key="agreement:1:ended"
            ).id,
            "expired": factories.make_destruction_request(
                vendor, expired, origin=RequestOrigin.AGREEMENT_ENDED, origin_key="agreement:2:ended"
            ).id,
            "officer": factories.make_destruction_request(  # its own agreement: an agreement has one request
                vendor, factories.make_agreement(vendor), reason="The agreement NDPA 2024 (legal hold) was reviewed."
            ).id,
        }
        agreement_ids = {"terminated": terminated.id, "expired": expired.id}
        db.session.close()  # ends our read transaction, which a later step's DROP INDEX would wait for
        flask_migrate.downgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            for name, reason in old.items():
                conn.execute(
                    sa.text("UPDATE destruction_request SET reason = :reason WHERE id = :id"),
                    {"reason": reason, "id": ids[name]},
                )
        flask_migrate.upgrade()
        db.session.expire_all()
        reasons = {name: db.session.get(DestructionRequest, request_id).reason for name, request_id in ids.items()}
    assert reasons == {
        "terminated": f"The agreement no. {agreement_ids['terminated']} was terminated on March 3, 2027.",
        "expired": f"The agreement no. {agreement_ids['expired']} expired on June 30, 2027 and was not renewed.",
        "officer": "The agreement NDPA 2024 (legal hold) was reviewed.",  # written by an officer: left alone
    }

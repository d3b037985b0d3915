"""Fixtures of the cache's tests: the loopback SMTP server (tests/smtp.py) and the marked district."""

import pytest

from clearinghouse.accounts.models import User
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app
from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture
from tests.visibility.world import build

OFFICER_NAME = "Quentin Signedin-Officer"
OFFICER_EMAIL = "quentin.signedin@district.example"


@pytest.fixture
def world(app, smtp_server):  # noqa: F811 - the fixture above, as a parameter
    """The district of tests/visibility/world.py (every text field marked) and a signed-in officer:
    (world, the officer's id, the names and addresses of the signed-in readers)."""
    with in_app(app):
        world = build()
        officer = factories.make_user(role="officer", name=OFFICER_NAME, email=OFFICER_EMAIL)
        vendor_user = db.session.get(User, world.vendor_user_id)
        return world, officer.id, [OFFICER_NAME, OFFICER_EMAIL, vendor_user.name, vendor_user.email]

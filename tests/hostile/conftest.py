"""Fixtures of the hostile-input suite: the loopback SMTP server, the portal's vendor world, and the walk."""

from collections.abc import Iterator

import pytest

from clearinghouse.imports.files import import_dir
from tests.conftest import in_app
from tests.hostile.walker import Walk
from tests.hostile.world import seed
from tests.portal.helpers import nothing_stored, world  # noqa: F401 - fixtures
from tests.smtp import smtp_server  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _import_folder_as_found(app) -> Iterator[None]:
    """Remove the inventories these tests upload: other tests expect the import folder as they left it."""
    with in_app(app):
        folder = import_dir()
    before = set(folder.glob("*")) if folder.exists() else set()
    yield
    for path in set(folder.glob("*")) - before if folder.exists() else ():
        path.unlink()


@pytest.fixture
def walk(app, smtp_server) -> Walk:  # noqa: F811 - the fixture imported above
    """A seeded district to walk."""
    smtp_server.refuse("new@acme.example")  # the invitation stays in the outbox, with its retry button
    return Walk(app, seed(app))

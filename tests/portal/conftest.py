"""The portal tests' fixtures live in helpers.py so that tests/storage can use them too."""

from tests.portal.helpers import nothing_stored, signed_certificate_pdf, world  # noqa: F401 - fixtures

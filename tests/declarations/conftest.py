"""The intake district (tests/intake/conftest.py), and the loopback SMTP server."""

from tests.intake.conftest import district  # noqa: F401 - re-exported fixture
from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture

"""The loopback SMTP server fixture for these tests (defined in tests/smtp.py for every directory)."""

from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture

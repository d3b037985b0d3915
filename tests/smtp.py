"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for any test directory.

Use it from a test module or a conftest.py:

    from tests.smtp import smtp_server  # noqa: F401 - the fixture

    def test_it_sends(app, smtp_server):
        ...  # the app's SMTP_HOST/SMTP_PORT point at the server while the test runs
        deliver_queued()
        assert smtp_server.messages[0]["Subject"] == "…"

`smtp_server.messages` are parsed `email.message.EmailMessage`s (with `.envelope_to`, a list);
`smtp_server.refuse("a@b.example")` makes the server answer 550 for that recipient;
`smtp_server.stop()` / `.start()` take it down and bring it back on the same port;
`smtp_server.hold_recipient(n)` makes the n-th recipient command of the server's life wait, without
an answer, until `release()` (`.holding` is set once it waits): a sender caught mid-message.
"""

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: "SMTPServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.server.recipients_seen += 1
        if self.server.recipients_seen == self.server.hold_at:
            self.server.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.server.released.wait)
        if address.lower() in self.server.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 that stores every message it accepts."""

    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.recipients_seen = 0
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.released = threading.Event()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def hold_recipient(self, n: int) -> None:
        """Hold the n-th recipient command (counted from the server's start) until `release()`."""
        self.hold_at = n
        self.holding.clear()
        self.released.clear()

    def release(self) -> None:
        self.hold_at = None
        self.released.set()

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, *addresses: str) -> None:
        self.refused.update(address.lower() for address in addresses)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope included this address."""
        return [m for m in self.messages if address.lower() in (a.lower() for a in m.envelope_to)]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SMTPServer]:
    """A running loopback SMTP server; the app sends to it for the length of the test."""
    server = SMTPServer()
    server.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USERNAME")}
    app.config.update(SMTP_HOST=server.host, SMTP_PORT=server.port, SMTP_STARTTLS=False, SMTP_USERNAME="")
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)

"""Issue 14 item 3: two app servers sharing PostgreSQL, Redis and S3-compatible storage.

Each "host" is `python -m clearinghouse.serve` (gunicorn with its own workers, and a scheduler) on
its own loopback port, with the same DATABASE_URL, REDIS_URL and STORAGE_URL (moto's S3 server on
loopback). Nothing is mocked: real HTTP, real processes, the SMTP server of tests/smtp.py.

- An officer's change made through one host is on the other's next public answer, and a file
  uploaded through one downloads from the other.
- Both schedulers run; the one holding the PostgreSQL advisory lock delivers the outbox. Stopped
  (SIGSTOP, a hung holder), it loses the lock and the other takes over; killed (SIGKILL) in the
  middle of a delivery, the other takes over within a minute and no notice is sent twice.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import requests
import sqlalchemy as sa
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from clearinghouse.destruction.models import DisposalCertificate, DisposalMethod
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.scheduler import LEADER_LOCK_KEY
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import in_app
from tests.deploy.test_many_workers import HTTP_TIMEOUT, browser, form_on, signed_in, text_of
from tests.deploy.test_serve import children, command_line, is_running
from tests.smtp import SMTPServer

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: several hosts share one database, and the scheduler's lock is PostgreSQL's",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
APP_PORTS = range(5800, 5850)
S3_PORTS = range(5850, 5900)
REDIS_URL = "redis://127.0.0.1:6379/12"
LEADER_SECONDS = 1  # a scheduler not in charge checks every second; a hung one loses the lock after 4 s
OUTBOX_SECONDS = 1
NOTICES = 12
HELD = 6  # the SMTP server holds the 6th recipient: the scheduler in charge is caught mid-message
TAKEOVER = 60  # seconds: the "within a minute"


def port_in(ports: range) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port_in(S3_PORTS), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = "ch-several-hosts"
    client.create_bucket(Bucket=name)
    yield name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def host_env(database_url, s3_endpoint, bucket, smtp) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("SCHEDULER_IN_PROCESS", "WEB_CONCURRENCY")}
    return {
        **env,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "several-hosts-test-secret",  # the same on every host
        "STORAGE_URL": f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "REDIS_URL": REDIS_URL,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SCHEDULER_LEADER_SECONDS": str(LEADER_SECONDS),
        "SCHEDULER_OUTBOX_SECONDS": str(OUTBOX_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Host:
    name: str
    process: subprocess.Popen
    base: str
    log: Path

    def scheduler_pid(self) -> int:
        return next(pid for pid in children(self.process.pid) if command_line(pid).endswith(" scheduler "))


class Hosts:
    """Starts hosts; stops each (and whatever it started) at the end, however the test went."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env, self.tmp_path, self.started = env, tmp_path, []

    def start(self, name: str, workers: int = 2) -> Host:
        port = port_in(APP_PORTS)
        base = f"http://127.0.0.1:{port}"
        log = self.tmp_path / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "clearinghouse.serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT, env={**self.env, "BASE_URL": base}, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: nothing it started outlives the test
        )  # fmt: skip
        host = Host(name, process, base, log)
        self.started.append(host)
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"{name} stopped early:\n{log.read_text()}"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return host
            assert time.monotonic() < deadline, f"{name} did not answer:\n{log.read_text()}"
            time.sleep(0.2)

    def stop_all(self) -> None:
        for host in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(host.process.pid, signal.SIGCONT)  # one may have been stopped by the test
            if host.process.poll() is None:
                host.process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    host.process.wait(timeout=40)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(host.process.pid, signal.SIGKILL)
            host.process.wait()


@pytest.fixture
def hosts(app, host_env, tmp_path) -> Iterator[Hosts]:
    started = Hosts(host_env, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def monitor(database_url) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def lock_holder(monitor: sa.Engine) -> int | None:
    """The client port of the PostgreSQL session holding the scheduler's lock, or None."""
    with monitor.connect() as conn:
        return conn.scalar(
            sa.text(
                "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :key"
            ),
            {"key": LEADER_LOCK_KEY},
        )


def holder_pid(monitor: sa.Engine) -> int | None:
    """The process (on this machine) whose connection holds the lock."""
    port = lock_holder(monitor)
    if port is None:
        return None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, inode = line.split()[1], line.split()[9]
        if int(local.split(":")[1], 16) == port:
            for fd in Path("/proc").glob("[0-9]*/fd/*"):
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return int(fd.parts[2])
    return None


def scheduler_lines(host: Host) -> str:
    """The scheduler's own lines of a host's log (for a failure's message)."""
    return "\n".join(line for line in host.log.read_text().splitlines() if "scheduler" in line.lower())


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(interval)


def test_a_change_and_an_upload_through_one_host_are_on_the_other(app, hosts, s3_endpoint, bucket):
    today = district_today()
    with in_app(app):
        officer = factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="Shared Reading Co.", contact_email="privacy@shared.example")
        contact = factories.make_user(role="vendor", email="dpo@shared.example", vendor=vendor)
        product = factories.make_product(vendor, name="Story Builder", purpose_md="Writes stories with pupils.")
        dr = factories.make_destruction_request(vendor, issued_on=today - timedelta(days=10))
        product_id, slug, request_id = product.id, product.slug, dr.id
        officer_email, contact_email = officer.email, contact.email
    one, two = hosts.start("one"), hosts.start("two")

    # The public page, read through host two (so a cache there, if any, holds the old answer).
    anonymous = browser()
    before = anonymous.get(f"{two.base}/products/{slug}", timeout=HTTP_TIMEOUT)
    assert before.status_code == 200
    assert "Writes stories with pupils." in text_of(before)
    listing = anonymous.get(f"{two.base}/directory?q=quilting", timeout=HTTP_TIMEOUT)
    assert "Story Builder" not in text_of(listing)

    # An officer changes the product through host one.
    officer_session = signed_in(one.base, officer_email)
    edit_url = f"{one.base}/staff/products/{product_id}/edit"
    form = form_on(officer_session, edit_url, "version")
    form["purpose_md"] = ["Teaches quilting patterns to pupils."]
    saved = officer_session.post(edit_url, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert saved.status_code == 302, saved.text

    # Host two's next public answers have it: the page, the search, the API.
    after = anonymous.get(f"{two.base}/products/{slug}", timeout=HTTP_TIMEOUT)
    assert "Teaches quilting patterns to pupils." in text_of(after)
    assert "Writes stories with pupils." not in text_of(after)
    listing = anonymous.get(f"{two.base}/directory?q=quilting", timeout=HTTP_TIMEOUT)
    assert "Story Builder" in text_of(listing)
    api = anonymous.get(f"{two.base}/api/v1/products/{slug}", timeout=HTTP_TIMEOUT).json()
    assert "quilting" in str(api)

    # A vendor's contact uploads a certificate through host one; the officer downloads it from host two.
    contact_session = signed_in(one.base, contact_email)
    upload_url = f"{one.base}/vendor/requests/{request_id}/certificate"
    upload = form_on(contact_session, upload_url, "signer_name")
    upload.update(
        signer_name=["Dana Lee"],
        signer_title=["Data Protection Officer"],
        disposed_on=[(today - timedelta(days=1)).isoformat()],
        method=[DisposalMethod.OVERWRITE.value],
        attests_all_copies=["y"],
    )
    pdf = factories.make_pdf_bytes()
    sent = contact_session.post(
        upload_url,
        data=upload,
        files={"document": ("certificate.pdf", pdf, "application/pdf")},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert sent.status_code == 303, sent.text
    with in_app(app):
        certificate = db.session.scalar(select(DisposalCertificate).where(DisposalCertificate.request_id == request_id))
        certificate_id, key = certificate.id, certificate.file.storage_key
    keys = [item["Key"] for item in boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
            .list_objects_v2(Bucket=bucket).get("Contents", [])]  # fmt: skip
    assert [k for k in keys if k.endswith(key)], keys  # in the shared bucket, not on host one's disk
    officer_on_two = signed_in(two.base, officer_email)
    download = officer_on_two.get(f"{two.base}/staff/requests/certificates/{certificate_id}/file", timeout=HTTP_TIMEOUT)
    assert download.status_code == 200
    assert download.content == pdf


def queue(app, count: int) -> list[str]:
    """`count` notices, each to its own address, due now; committed. Returns the addresses."""
    addresses = [f"contact{n:02d}@vendor.example" for n in range(count)]
    with in_app(app), unit_of_work():
        vendor = factories.make_vendor(name="Outbox Vendor")
        agreement = factories.make_agreement(vendor, reference="NDPA 2027")
        for n, address in enumerate(addresses):
            notices.queue_notice(
                f"test:hand-over:{n:02d}",
                [address],
                "agreement_expiring",
                {"agreement": agreement, "days_left": 30, "ends_on": district_today(), "path": "/staff/"},
                subject_type="agreement",
                subject_id=agreement.id,
            )
    return addresses


def deliveries(smtp: SMTPServer) -> Counter:
    return Counter(address for message in smtp.messages for address in message.envelope_to)


def test_one_scheduler_runs_the_outbox_and_another_takes_over_without_sending_twice(app, hosts, monitor, smtp):
    one = hosts.start("one")
    wait_until(lambda: holder_pid(monitor), TAKEOVER, "host one's scheduler takes the lock")
    assert holder_pid(monitor) == one.scheduler_pid()
    two = hosts.start("two")
    time.sleep(3 * LEADER_SECONDS)  # two's scheduler has checked, and left the lock to one
    assert holder_pid(monitor) == one.scheduler_pid()

    # A hung scheduler in charge (stopped: it answers nothing) loses the lock; the other takes over.
    os.kill(one.scheduler_pid(), signal.SIGSTOP)
    wait_until(lambda: holder_pid(monitor) == two.scheduler_pid(), TAKEOVER, "two takes over from a hung one")
    os.kill(one.scheduler_pid(), signal.SIGCONT)
    time.sleep(3 * LEADER_SECONDS)  # one has found its lock gone and left it to two
    assert holder_pid(monitor) == two.scheduler_pid()
    assert "lost the lock" in one.log.read_text(), scheduler_lines(one)

    # Two delivers; the mail server holds its 6th message; two is killed in the middle of it.
    smtp.hold_recipient(HELD)
    addresses = queue(app, NOTICES)
    assert smtp.holding.wait(TAKEOVER), two.log.read_text()
    # Read while two waits on the held message, before it dies: once it is gone, one may take over within
    # a second and send more before the test looks again (seen on a loaded machine).
    assert sorted(deliveries(smtp)) == addresses[: HELD - 1]
    killed_at = time.monotonic()
    two_scheduler = two.scheduler_pid()
    os.kill(two_scheduler, signal.SIGKILL)
    wait_until(lambda: not is_running(two_scheduler), 10, "the killed scheduler is gone")
    smtp.release()

    # One takes over within a minute and sends the rest, none of them twice.
    wait_until(lambda: holder_pid(monitor) == one.scheduler_pid(), TAKEOVER, "one takes over from a killed one")
    wait_until(lambda: len(deliveries(smtp)) == NOTICES - 1, TAKEOVER, "one delivers the rest", interval=0.2)
    assert time.monotonic() - killed_at < TAKEOVER
    sent = deliveries(smtp)
    assert set(sent.values()) == {1}, sent
    assert addresses[HELD - 1] not in sent

    # The notice two was sending when it died keeps its claim until the lease ends, then goes once.
    with in_app(app):
        caught = db.session.scalar(select(Notice).where(Notice.recipients == addresses[HELD - 1]))
        assert (caught.status, caught.attempts) == (NoticeStatus.QUEUED, 1)
        assert caught.next_attempt_at > utcnow() + notices.CLAIM_LEASE - timedelta(minutes=2)
        caught.next_attempt_at = utcnow()  # as if the lease had run out
        db.session.commit()
    wait_until(lambda: len(deliveries(smtp)) == NOTICES, TAKEOVER, "the caught notice is sent", interval=0.2)
    time.sleep(3 * OUTBOX_SECONDS)  # more outbox rounds: nothing is sent again
    assert deliveries(smtp) == Counter(addresses)
    with in_app(app):
        statuses = db.session.scalars(select(Notice.status).where(Notice.purpose_key.like("test:hand-over:%")))
        assert set(statuses) == {NoticeStatus.SENT}
    assert "now runs the sweep and the outbox" in one.log.read_text()

"""Issue 7 item 2: the production launcher (gunicorn with 4 workers plus the scheduler) on PostgreSQL.

Real HTTP with CSRF on, several sessions at once against one shared database: failed sign-ins for
one account spread over the workers, two vendor contacts uploading a certificate for the same
request at the same instant, and two officers saving one agreement while `flask sweep` runs.
Nothing is mocked. To make "while the sweep runs" certain rather than likely, the test holds a
SHARE lock on the `notice` table (reads go on, inserts wait): the sweep stops at its first notice,
having read the agreement, and the officers save while it waits; then the lock is released.

The burst (the sign-ins, the uploads, the saves) starts only once the sweep is waiting at that
lock. The winning upload queues a notice too, so it waits at the lock, and the losing one waits
for the winner's row: two sync workers held until the lock goes. Started together with the sweep,
they were held while `flask sweep` started up as well, which on a loaded 2-core machine passed
gunicorn's 30 s worker timeout: both workers were killed (an upload's connection closed with no
answer) and their fresh replacements held no database connection ("2 of 4 workers").
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from clearinghouse.accounts import throttle
from clearinghouse.accounts.models import LoginAttempt
from clearinghouse.agreements.models import Agreement
from clearinghouse.audit.models import AuditEvent
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, DisposalMethod, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.locking import stale_message
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.storage import StoredFile
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.deploy.test_serve import children, command_line, free_port, is_running
from tests.deploy.webforms import FormData, holds_connection_to_port, post_form
from tests.smtp import SMTPServer

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.timeout(600),  # a hang still ends in a failure, and the fixtures still stop every process
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: several processes writing one database at once",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
FAILED_SIGN_INS = 10  # over the per-account limit (5), under the per-address one (20): all come from 127.0.0.1
HTTP_TIMEOUT = (5, 60)  # connect, read (seconds)
SWEEP_APP_NAME = "clearinghouse-sweep"  # PostgreSQL application_name of the sweep's connection
SWEEP_START_TIMEOUT = 120  # seconds for `flask sweep` to start and reach its first notice on a loaded machine
# The sign-ins and uploads wait at the barrier while the sweep starts; then the burst itself.
BURST_TIMEOUT = SWEEP_START_TIMEOUT + 60


@dataclass
class Seeded:
    today: date
    target_email: str  # the account whose sign-ins fail
    officer_emails: tuple[str, str]
    vendor_emails: tuple[str, str]  # two contacts of one vendor
    request_id: int  # the vendor's open destruction request
    agreement_id: int  # the agreement both officers edit; it expires in 20 days
    version: int


@pytest.fixture
def seeded(app) -> Seeded:
    """Rows committed before any server starts."""
    with in_app(app):
        today = district_today()
        officers = [factories.make_user(role="officer", email=f"officer.{n}@district.example") for n in "ab"]
        target = factories.make_user(role="officer", email="target@district.example")
        vendor = factories.make_vendor(name="Racing Reading Co.", contact_email="privacy@racing.example")
        contacts = [
            factories.make_user(role="vendor", email=f"{n}@racing.example", vendor=vendor) for n in ("cto", "dpo")
        ]
        dr = factories.make_destruction_request(vendor, issued_on=today - timedelta(days=10))
        product = factories.make_product(vendor, name="Reading Quest")
        agreement = factories.make_agreement(
            vendor, [product], reference="NDPA 2026-R", expires_on=today + timedelta(days=20)
        )
        ended = factories.make_vendor(name="Gone Maths Ltd", contact_email="privacy@gone.example")
        factories.make_agreement(ended, [factories.make_product(ended)], expires_on=today - timedelta(days=5))
        return Seeded(
            today=today,
            target_email=target.email,
            officer_emails=(officers[0].email, officers[1].email),
            vendor_emails=(contacts[0].email, contacts[1].email),
            request_id=dr.id,
            agreement_id=agreement.id,
            version=agreement.version,
        )


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_env(database_url, tmp_path, smtp) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("SCHEDULER_IN_PROCESS", "WEB_CONCURRENCY")}
    return {
        **env,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "many-workers-test-secret",
        "STORAGE_URL": f"file://{tmp_path / 'files'}",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Launcher:
    process: subprocess.Popen
    base: str
    gunicorn_pid: int
    scheduler_pid: int
    log: Path

    def workers(self) -> list[int]:
        return children(self.gunicorn_pid)


def _wait_until_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the launcher stopped early:\n{log.read_text()}"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still starting
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base}/healthz did not answer 200 within {timeout} s:\n{log.read_text()}")


@pytest.fixture
def launcher(seeded, server_env, tmp_path):
    """`python -m clearinghouse.serve --workers 4` (gunicorn + scheduler); every process stopped at the end."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    log = log_path.open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "clearinghouse.serve", "--port", str(port), "--workers", str(WORKERS)],
        cwd=ROOT, env={**server_env, "BASE_URL": base}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so nothing it started can outlive the test
    )  # fmt: skip
    try:
        _wait_until_healthy(base, process, log_path)
        commands = {pid: command_line(pid) for pid in children(process.pid)}
        gunicorn_pid = next(pid for pid, c in commands.items() if "gunicorn" in c)
        scheduler_pid = next(pid for pid, c in commands.items() if c.endswith(" scheduler "))
        started = [*commands, *children(gunicorn_pid)]
        yield Launcher(process, base, gunicorn_pid, scheduler_pid, log_path)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0, log_path.read_text()
        assert not any(is_running(pid) for pid in started), "a server process outlived the launcher"
    finally:
        if process.poll() is None:  # the test failed first: stop it the way a service manager would
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=40)
        with contextlib.suppress(ProcessLookupError):  # only what is left of the launcher's group
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


@pytest.fixture
def monitor(database_url):
    """A connection pool of the test's own, for the table lock and for watching the sweep wait."""
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy from the environment
    session.headers["Accept"] = "text/html"
    return session


def form_on(session: requests.Session, url: str, having: str) -> FormData:
    page = session.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text
    return post_form(page.text, having)


def signed_in(base: str, email: str) -> requests.Session:
    session = browser()
    form = form_on(session, f"{base}/login", "password")
    assert form["csrf_token"][0]
    form.update(email=[email], password=[factories.TEST_PASSWORD])
    response = session.post(f"{base}/login", data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert response.status_code == 302, response.text
    return session


def text_of(response: requests.Response) -> str:
    return unescape(response.text)


def sweep_is_waiting_for_a_lock(monitor: sa.Engine) -> bool:
    with monitor.connect() as conn:
        return bool(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = :name AND wait_event_type = 'Lock'"
                ),
                {"name": SWEEP_APP_NAME},
            )
        )


def run_sweep_while_officers_save(
    barrier: threading.Barrier,
    monitor: sa.Engine,
    sweep_command: list[str],
    sweep_env: dict[str, str],
    save: Callable[[], object],
) -> tuple[subprocess.CompletedProcess, bool, object]:
    """Start `flask sweep`, let it stop at its first notice, call `save()` meanwhile, then let it finish.

    Returns the sweep's result, whether it was still waiting when the saves were done, and `save()`'s result.
    """
    with monitor.connect() as lock:
        lock.begin()
        lock.execute(sa.text("LOCK TABLE notice IN SHARE MODE"))  # reads go on; inserts wait
        sweep = subprocess.Popen(
            sweep_command, cwd=ROOT, env=sweep_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + SWEEP_START_TIMEOUT
            while not sweep_is_waiting_for_a_lock(monitor):
                assert sweep.poll() is None, sweep.communicate()[0].decode()
                assert time.monotonic() < deadline, "the sweep never reached its first notice"
                time.sleep(0.05)
            # Only now the burst: what waits at the lock with the sweep waits for two saves, not
            # for a process to start (see the module's docstring).
            barrier.wait(timeout=BURST_TIMEOUT)
            saved = save()
            still_waiting = sweep.poll() is None and sweep_is_waiting_for_a_lock(monitor)
        finally:
            lock.commit()  # releases the lock: the sweep (and anything else queueing a notice) goes on
            try:
                output = sweep.communicate(timeout=90)[0].decode()
            except subprocess.TimeoutExpired:
                sweep.kill()
                output = sweep.communicate()[0].decode()
    return subprocess.CompletedProcess(sweep_command, sweep.returncode, output), still_waiting, saved


def test_four_workers_and_the_scheduler_keep_lockout_uploads_and_edits_right_under_concurrency(
    app, seeded, launcher, monitor, server_env, database_url, smtp, tmp_path
):
    base = launcher.base
    assert len(launcher.workers()) == WORKERS
    assert is_running(launcher.scheduler_pid)

    # Everyone draws their form first (CSRF on: each session posts the token it was given).
    edit_url = f"{base}/staff/agreements/{seeded.agreement_id}/edit"
    officers = [signed_in(base, email) for email in seeded.officer_emails]
    edit_forms = [form_on(officer, edit_url, "version") for officer in officers]
    assert [f["version"] for f in edit_forms] == [[str(seeded.version)]] * 2

    upload_url = f"{base}/vendor/requests/{seeded.request_id}/certificate"
    contacts = [signed_in(base, email) for email in seeded.vendor_emails]
    upload_forms = [form_on(contact, upload_url, "signer_name") for contact in contacts]
    pdf = factories.make_pdf_bytes()

    guessers = [browser() for _ in range(FAILED_SIGN_INS)]
    login_forms = [form_on(guesser, f"{base}/login", "password") for guesser in guessers]

    barrier = threading.Barrier(FAILED_SIGN_INS + len(contacts) + 1)

    def guess(session: requests.Session, form: FormData) -> int:
        form.update(email=[seeded.target_email], password=["not the password at all"])
        barrier.wait(timeout=BURST_TIMEOUT)
        return session.post(f"{base}/login", data=form, allow_redirects=False, timeout=HTTP_TIMEOUT).status_code

    def upload(n: int) -> requests.Response:
        form = {
            **upload_forms[n],
            "signer_name": [f"Signer {n}"],
            "signer_title": ["Chief Privacy Officer"],
            "disposed_on": [(seeded.today - timedelta(days=1)).isoformat()],
            "method": [DisposalMethod.OVERWRITE.value],
            "attests_all_copies": ["y"],
        }
        files = {"document": (f"certificate-{n}.pdf", pdf, "application/pdf")}
        barrier.wait(timeout=BURST_TIMEOUT)
        return contacts[n].post(upload_url, data=form, files=files, allow_redirects=False, timeout=HTTP_TIMEOUT)

    a_values = {"reference": ["NDPA 2026-R (countersigned)"], "internal_notes": ["Countersigned copy filed by A."]}
    b_notes = "Officer B typed this on a stale form."

    def save_a_then_b() -> tuple[requests.Response, requests.Response]:
        saved_a = officers[0].post(edit_url, data={**edit_forms[0], **a_values}, allow_redirects=False,
                                   timeout=HTTP_TIMEOUT)  # fmt: skip
        saved_b = officers[1].post(edit_url, data={**edit_forms[1], "internal_notes": [b_notes]},
                                   allow_redirects=False, timeout=HTTP_TIMEOUT)  # fmt: skip
        return saved_a, saved_b

    sweep_url = make_url(database_url).update_query_dict({"application_name": SWEEP_APP_NAME})
    sweep_env = {**server_env, "DATABASE_URL": sweep_url.render_as_string(hide_password=False)}
    sweep_command = [sys.executable, "-m", "flask", "--app", "wsgi.py", "sweep", "--today", seeded.today.isoformat()]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=FAILED_SIGN_INS + len(contacts) + 1) as pool:
        guesses = [pool.submit(guess, s, f) for s, f in zip(guessers, login_forms, strict=True)]
        uploads = [pool.submit(upload, n) for n in range(len(contacts))]
        editing = pool.submit(run_sweep_while_officers_save, barrier, monitor, sweep_command, sweep_env, save_a_then_b)
        statuses = [g.result(timeout=BURST_TIMEOUT + 60) for g in guesses]
        uploaded = [u.result(timeout=BURST_TIMEOUT + 60) for u in uploads]
        swept, sweep_was_waiting, (saved_a, saved_b) = editing.result(timeout=BURST_TIMEOUT + 60)
    elapsed = time.monotonic() - started

    # Every worker served requests that used the database: each holds a pooled PostgreSQL connection.
    pg_port = make_url(database_url).port or 5432
    workers = launcher.workers()
    served = launcher.log.read_text()
    assert "WORKER TIMEOUT" not in served, served  # gunicorn kills a worker held past its timeout
    assert len(workers) == WORKERS
    holding = [pid for pid in workers if holds_connection_to_port(pid, pg_port)]
    assert holding == workers, (holding, workers, served[-3000:])
    assert launcher.process.poll() is None
    assert is_running(launcher.scheduler_pid)

    # (1) The lockout holds across workers: each attempt is recorded before its password is
    # checked, so exactly the limit's worth of guesses is judged however the burst interleaves;
    # every judged failure is counted once, and then even the right password is refused.
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    judged = statuses.count(422)
    assert sorted(set(statuses)) == [422, 429], statuses
    assert judged == limit, statuses
    right = browser()
    form = form_on(right, f"{base}/login", "password")
    form.update(email=[seeded.target_email], password=[factories.TEST_PASSWORD])
    refused = right.post(f"{base}/login", data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 429
    assert "Too many failed sign-ins. Try again in" in text_of(refused)
    with in_app(app):
        counted = select(func.count()).where(LoginAttempt.key == throttle.account_key(seeded.target_email))
        assert db.session.scalar(counted) == judged

    # (2) One certificate wins; the other contact is told why, and the file they sent is not kept.
    assert sorted(r.status_code for r in uploaded) == [303, 422], [r.text for r in uploaded]
    winner = next(n for n, r in enumerate(uploaded) if r.status_code == 303)
    loser_page = text_of(uploaded[1 - winner])
    clear_refusals = (
        stale_message(DestructionRequest),
        "A certificate for this request is already waiting for review.",
    )
    assert any(message in loser_page for message in clear_refusals), loser_page
    with in_app(app):
        dr = db.session.get(DestructionRequest, seeded.request_id)
        assert dr.status == RequestStatus.SUBMITTED
        certificates = db.session.scalars(select(DisposalCertificate)).all()
        assert [(c.request_id, c.submitted_by.email, c.signer_name) for c in certificates] == [
            (dr.id, seeded.vendor_emails[winner], f"Signer {winner}")
        ]
        stored = db.session.scalars(select(StoredFile)).all()
        assert [f.id for f in stored] == [certificates[0].file_id]
        assert stored[0].original_name == f"certificate-{winner}.pdf"
    on_disk = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert [p.name for p in on_disk] == [stored[0].storage_key]
    assert on_disk[0].read_bytes() == pdf

    # (3) The sweep was mid-run (it had read the agreement and waited at its first notice) while A
    # saved and B saved his stale form: B is refused with the form kept, A's values stay, one version step.
    assert sweep_was_waiting
    assert saved_a.status_code == 302, saved_a.text
    assert saved_b.status_code == 422, saved_b.text
    b_page = text_of(saved_b)
    assert stale_message(Agreement) in b_page
    assert b_notes in b_page  # what B typed is still in the form
    assert swept.returncode == 0, swept.stdout
    assert "1 request(s) opened, 1 expiry warning(s)" in swept.stdout, swept.stdout
    with in_app(app):
        agreement = db.session.get(Agreement, seeded.agreement_id)
        assert agreement.reference == a_values["reference"][0]
        assert agreement.internal_notes == a_values["internal_notes"][0]
        assert agreement.version == seeded.version + 1
        updates = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agreement.updated", AuditEvent.record_id == agreement.id)
        ).all()
        assert [u.actor.email for u in updates] == [seeded.officer_emails[0]]
        warning = db.session.scalars(select(Notice).where(Notice.purpose_key.like(f"agreement:{agreement.id}:%"))).all()
        assert [(n.purpose_key, n.status) for n in warning] == [
            (f"agreement:{agreement.id}:expires-in-30", NoticeStatus.SENT)
        ]
    assert smtp.to(seeded.officer_emails[0]), "the sweep's warning reached the officers over SMTP"
    refusal = "stale update" if stale_message(DestructionRequest) in loser_page else "already submitted"
    print(f"concurrent phase {elapsed:.1f} s; sign-ins judged {judged}/{FAILED_SIGN_INS}; upload refused: {refusal}")

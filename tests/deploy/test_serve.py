"""`make serve`'s launcher: gunicorn plus one scheduler process over real HTTP, stopped together."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from clearinghouse import serve

ROOT = Path(__file__).resolve().parents[2]
ACCESS_LINE = re.compile(r'"GET /healthz" 200 \d+ \d+ms')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL built here
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def launcher(app, database_url, tmp_path):
    """The launcher on a free port, against the session's migrated database; stopped at the end."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "serve-test-secret",
        "STORAGE_URL": f"file://{tmp_path / 'files'}",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "clearinghouse.serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process, f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> int:
    """The first answer's status, once the server listens. The timeout only bounds a hang: on a machine
    shared with other work, gunicorn's first worker took more than 30 s to import the app."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher stopped early"
        try:
            return get(url)[0]
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_serve_answers_healthz_over_http_with_a_scheduler_and_stops_cleanly(launcher):
    process, base, log_path = launcher
    assert wait_for(f"{base}/healthz", process) == 200
    status, body = get(f"{base}/healthz")
    assert (status, body) == (200, b'{"checks":{"database":"ok","storage":"ok"},"status":"ok"}\n')

    started = children(process.pid)
    commands = {pid: command_line(pid) for pid in started}
    assert len(started) == 2, commands
    assert any("gunicorn" in c and "wsgi:app" in c for c in commands.values()), commands
    assert any(c.endswith("flask --app wsgi.py scheduler ") for c in commands.values()), commands
    gunicorn_pid = next(pid for pid, c in commands.items() if "gunicorn" in c)
    assert len(children(gunicorn_pid)) == 2  # the workers asked for

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not any(is_running(pid) for pid in started)
    log = log_path.read_text()
    assert ACCESS_LINE.search(log), log  # gunicorn's access log: one line per request, status and duration
    assert "serve: stopped." in log


def test_if_the_scheduler_dies_the_web_stops_too_and_the_exit_status_says_so(launcher):
    process, base, _ = launcher
    assert wait_for(f"{base}/healthz", process) == 200
    scheduler_pid = next(pid for pid in children(process.pid) if "scheduler" in command_line(pid))
    os.kill(scheduler_pid, signal.SIGKILL)
    assert process.wait(timeout=30) == 1
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        get(f"{base}/healthz")


def test_workers_default_to_web_concurrency_or_twice_the_cores_plus_one(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert serve.default_workers() == 3
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert serve.default_workers() == 2 * (os.cpu_count() or 1) + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        serve.default_workers()


def test_the_web_command_runs_gunicorn_with_an_access_log_of_status_and_duration():
    command = serve.gunicorn_command("127.0.0.1", 8123, 4)
    assert command[1:3] == ["-m", "gunicorn"]
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123"
    assert command[command.index("--workers") + 1] == "4"
    fmt = command[command.index("--access-logformat") + 1]
    assert "%(s)s" in fmt
    assert "%(M)s" in fmt
    assert "%(q)s" not in fmt
    assert command[-1] == "wsgi:app"


def test_a_worker_leaves_what_start_up_made_out_of_the_garbage_collectors_walks(database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "serve-test-secret",
        "STORAGE_URL": f"file://{tmp_path}",
    }
    probe = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    frozen, still_walked = map(int, result.stdout.split())
    assert frozen > 100_000
    assert still_walked < frozen / 10

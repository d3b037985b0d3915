"""The same over real HTTP, as `make serve` runs it (gunicorn behind the launcher): the database down
is the site's 503 page, never the server's bare error page, and without BASE_URL absolute links
follow the port served."""

import json
import os
import subprocess
import sys

import pytest

from tests import factories
from tests.conftest import in_app
from tests.deploy.test_serve import ROOT, free_port, get, wait_for


@pytest.fixture
def serve(tmp_path):
    """Start `python -m clearinghouse.serve --port N --without-scheduler` with a DATABASE_URL; stopped at the end."""
    started: list[subprocess.Popen] = []

    def start(database_url: str) -> tuple[str, int]:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if key not in ("BASE_URL", "PORT")}
        env.update(DATABASE_URL=database_url, SECRET_KEY="serve-test", STORAGE_URL=f"file://{tmp_path / 'files'}")
        log = (tmp_path / f"serve-{port}.log").open("w")
        command = [sys.executable, "-m", "clearinghouse.serve", "--port", str(port), "--workers", "1"]
        process = subprocess.Popen([*command, "--without-scheduler"], cwd=ROOT, env=env, stdout=log, stderr=log)
        started.append(process)
        return f"http://127.0.0.1:{port}", process

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_serves_the_sites_503_page_while_the_database_is_down(serve):
    base, process = serve("postgresql://clearinghouse@127.0.0.1:1/clearinghouse")
    assert wait_for(f"{base}/healthz", process) == 503
    for path in ("/", "/directory", "/login"):
        status, body = get(base + path)
        assert status == 503, path
        page = body.decode()
        assert "Temporarily unavailable" in page
        assert '<link rel="stylesheet" href="/static/css/site.css">' in page
        assert "Internal Server Error" not in page


def test_without_base_url_links_follow_the_served_port(app, database_url, serve):
    with in_app(app):
        factories.make_vendor(name="Acme")
    base, process = serve(database_url)
    assert wait_for(f"{base}/healthz", process) == 200
    status, body = get(f"{base}/api/v1/vendors")
    assert status == 200
    assert json.loads(body)["links"]["self"].startswith(f"{base}/api/v1/vendors")

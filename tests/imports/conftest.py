"""Helpers for driving the import pages the way an officer does."""

import io
import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import SHARED_DIR, in_app

SB29 = SHARED_DIR / "data" / "SB29-guard-chrome__example.csv"
TOOLKIT = SHARED_DIR / "data" / "digital-toolkit__expected-data-template.csv"


def upload(client: FlaskClient, data: bytes, name: str = "inventory.csv"):
    return client.post("/staff/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def selected_mapping(html: str) -> dict[str, str]:
    """What each column's select shows as chosen on the mapping page."""
    chosen = {}
    for name, options in re.findall(r'<select[^>]*name="(column_\d+)"[^>]*>(.*?)</select>', html, re.S):
        match = re.search(r'<option selected value="([^"]*)"', options)
        chosen[name] = match.group(1) if match else ""
    return chosen


def plan_token(html: str) -> str | None:
    match = re.search(r'name="plan" type="hidden" value="([^"]*)"', html)
    return match.group(1) if match else None


def preview(client: FlaskClient, data: bytes, changes: dict[str, str] | None = None):
    """Upload, accept the suggested mapping (with changes), and return (preview response, columns URL)."""
    uploaded = upload(client, data)
    assert uploaded.status_code == 302, uploaded.text
    columns_url = uploaded.headers["Location"]
    page = client.get(columns_url)
    assert page.status_code == 200
    mapping = selected_mapping(page.text)
    mapping.update(changes or {})
    return client.post(columns_url, data=mapping), columns_url


def web_import(client: FlaskClient, data: bytes, changes: dict[str, str] | None = None):
    """The whole flow: upload → mapping → preview → confirm; returns the confirmation's response."""
    shown, columns_url = preview(client, data, changes)
    assert shown.status_code == 200, shown.text
    token = plan_token(shown.text)
    assert token, "the preview offers no confirmation"
    return client.post(columns_url.replace("/columns", "/confirm"), data={"plan": token})


@pytest.fixture
def import_dir(app):
    with in_app(app):
        from clearinghouse.imports.files import import_dir as directory

        return directory()

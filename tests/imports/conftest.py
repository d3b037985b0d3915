"""Helpers for driving the import pages the way an officer does."""

import io
import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from clearinghouse.imports import files
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
    """The confirmation's digest on a preview page (None when the preview offers no confirmation)."""
    match = re.search(r'name="plan" type="hidden" value="([^"]*)"', html)
    return match.group(1) if match else None


def form_values(html: str) -> dict[str, str]:
    """What a page's form would send as it stands: each select's chosen option, each text input's value."""
    html = unescape_attrs(html)
    data: dict[str, str] = {}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        match = re.search(r'<option selected value="([^"]*)"', options)
        first = re.search(r'<option[^>]*value="([^"]*)"', options)
        data[name] = match.group(1) if match else (first.group(1) if first else "")
    for tag in re.findall(r"<input[^>]*>", html):
        kind = re.search(r'type="([^"]+)"', tag)
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and (not kind or kind.group(1) in ("text", "hidden")) and name.group(1) != "csrf_token":
            data[name.group(1)] = value.group(1) if value else ""
        elif name and kind and kind.group(1) == "checkbox" and " checked" in tag:
            data[name.group(1)] = value.group(1) if value else "y"
    return data


def unescape_attrs(html: str) -> str:
    return re.sub(r'value="([^"]*)"', lambda m: 'value="' + unescape(m.group(1)).replace('"', "&quot;") + '"', html)


def through_values(client: FlaskClient, values_url: str, changes: dict[str, str] | None = None):
    """Accept a step's page as proposed (with changes); returns the response to the POST."""
    page = client.get(values_url)
    assert page.status_code == 200, page.text
    data = form_values(page.text)
    data.update(changes or {})
    return client.post(values_url, data=data)


def to_preview(client: FlaskClient, step: str) -> str:
    """From a step's URL, accept each step as proposed up to the preview; returns the preview's URL."""
    while not step.endswith("/preview"):
        posted = through_values(client, step)
        assert posted.status_code == 302, posted.text
        step = posted.headers["Location"]
    return step


def preview(
    client: FlaskClient,
    data: bytes,
    changes: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    name: str = "inventory.csv",
):
    """Upload, accept the suggested mapping (with changes) and the proposed values (with changes); return
    (the preview's response, the import's base URL)."""
    uploaded = upload(client, data, name)
    assert uploaded.status_code == 302, uploaded.text
    columns_url = uploaded.headers["Location"]
    base = columns_url.removesuffix("/columns")
    page = client.get(columns_url)
    assert page.status_code == 200
    mapping = selected_mapping(page.text)
    mapping.update(changes or {})
    saved = client.post(columns_url, data=mapping)
    assert saved.status_code == 302, saved.text
    step = saved.headers["Location"]
    while not step.endswith("/preview"):
        posted = through_values(client, step, values if step.endswith("/values") else None)
        assert posted.status_code == 302, posted.text
        step = posted.headers["Location"]
    return client.get(step), base


def web_import(
    client: FlaskClient,
    data: bytes,
    changes: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    name: str = "inventory.csv",
):
    """The whole flow: upload → columns → values → preview → confirm; returns the confirmation's response."""
    shown, base = preview(client, data, changes, values, name)
    assert shown.status_code == 200, shown.text
    token = plan_token(shown.text)
    assert token, "the preview offers no confirmation"
    return client.post(f"{base}/confirm", data={"plan": token})


@pytest.fixture
def import_dir(app):
    with in_app(app):
        return files.import_dir()

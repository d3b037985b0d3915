"""Signing in and out through the real form in Chromium, with CSRF protection on."""

import pytest

from tests import factories
from tests.conftest import in_app

pytestmark = pytest.mark.browser


def test_officer_signs_in_sees_the_staff_area_and_signs_out(app, page, csrf):
    with in_app(app):
        factories.make_user(role="officer", email="browser.officer@district.example", name="Bea Browser")
    page.goto("/staff/users/")
    assert "/login" in page.url  # the staff area sends an anonymous visitor to sign in
    page.get_by_label("E-mail address").fill("browser.officer@district.example")
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/users/")
    assert page.locator("h1").inner_text() == "Users"
    assert page.get_by_role("navigation", name="Staff").is_visible()
    assert page.get_by_text("browser.officer@district.example").is_visible()
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("status").inner_text() == "You have signed out."
    assert page.get_by_role("link", name="Sign in").is_visible()
    page.goto("/staff/users/")
    assert "/login" in page.url


def test_a_wrong_password_shows_the_message_in_the_browser(app, page, csrf):
    with in_app(app):
        factories.make_user(role="officer", email="typo@district.example")
    page.goto("/login")
    page.get_by_label("E-mail address").fill("typo@district.example")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match an active account" in page.get_by_role("alert").first.inner_text()
    assert page.get_by_label("E-mail address").input_value() == "typo@district.example"

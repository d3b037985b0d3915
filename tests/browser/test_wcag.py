"""The accessibility check itself finds what it must: a page with a known violation fails it."""

import pytest
from playwright.sync_api import Browser

from tests.browser.wcag import wcag_violations

pytestmark = pytest.mark.browser


def test_the_check_names_each_violation_and_passes_a_clean_page(browser: Browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="a.png"></main></body></html>')
    found = wcag_violations(page, "broken")
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><p>Fine.</p></main></body></html>')
    clean = wcag_violations(page)
    context.close()
    assert len(found) == 1
    assert found[0].startswith("broken: image-alt (critical): ")
    assert clean == []

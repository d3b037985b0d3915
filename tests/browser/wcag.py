"""axe-core's WCAG 2.1 A and AA rules, run in Chromium on the page as it is now: the one place every
browser test asks them."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Only the violations are gathered: otherwise axe also builds and returns every passing, incomplete
# and inapplicable check with each of its nodes, which no test reads and which costs most of a check.
OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
AXE = Axe()


def wcag_violations(page: Page, where: str = "") -> list[str]:
    """Each violation on the page, one line each (the rule, its impact, its help and three of its
    nodes), prefixed with `where` when given."""
    found = AXE.run(page, options=OPTIONS).response["violations"]
    prefix = f"{where}: " if where else ""
    return [f"{prefix}{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in found]

"""The dark scheme keeps the light scheme's contrast: every colour role of static/css/site.css is set again
under `prefers-color-scheme: dark`, and each pair of text and surface reaches the same WCAG level there
(AA 4.5:1 or AAA 7:1 for text, 3:1 for form borders and the focus ring). axe-core checks the pages
themselves in both schemes (tests/browser/test_accessibility.py); this checks the pairs axe cannot see,
such as a status colour on a surface no demo page happens to show, and the borders and focus ring."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static/css/site.css").read_text()
DARK = "@media screen and (prefers-color-scheme: dark)"
COLOUR = re.compile(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b")

SURFACES = ("paper", "wash", "field")
TEXT_ROLES = ("ink", "muted", "link", "link-hover", "ok", "warn", "bad")
TEXT_PAIRS = [
    *((text, surface) for text in TEXT_ROLES for surface in SURFACES),
    ("ok", "ok-wash"),
    ("warn", "warn-wash"),
    ("bad", "bad-wash"),
    ("ink", "ok-wash"),
    ("ink", "warn-wash"),
    ("ink", "bad-wash"),
    ("#ffffff", "brand"),  # the header's and buttons' white text
    ("#ffffff", "danger"),
]
BORDER_PAIRS = [("field-border", surface) for surface in SURFACES]


def _block(start: int) -> str:
    opening = CSS.index(":root {", start)
    return CSS[opening : CSS.index("}", opening)]


def _schemes() -> dict[str, dict[str, str]]:
    light = dict(COLOUR.findall(_block(0)))
    return {"light": light, "dark": {**light, **dict(COLOUR.findall(_block(CSS.index(DARK))))}}


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _ratio(scheme: dict[str, str], first: str, second: str) -> float:
    def colour(name: str) -> str:
        return name if name.startswith("#") else scheme[name]

    return contrast(colour(first), colour(second))


def _text_level(ratio: float) -> int:
    """0: fails; 1: AA (4.5:1); 2: AAA (7:1)."""
    return (ratio >= 4.5) + (ratio >= 7)


def test_the_contrast_ratio_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes AA


def test_the_dark_scheme_sets_every_colour_role_again():
    light_roles = set(dict(COLOUR.findall(_block(0))))
    dark_roles = set(dict(COLOUR.findall(_block(CSS.index(DARK)))))
    # The focus colour is an amber ring inside an --ink ring: visible on either ground as it is.
    assert light_roles - dark_roles == {"focus"}


@pytest.mark.parametrize(("text", "surface"), TEXT_PAIRS, ids=lambda name: name)
def test_text_reaches_the_same_level_in_the_dark_scheme(text, surface):
    light, dark = (_ratio(scheme, text, surface) for scheme in _schemes().values())
    assert _text_level(light) >= 1, f"{text} on {surface}: {light:.2f}:1 in the light scheme"
    assert _text_level(dark) >= _text_level(light), f"{text} on {surface}: {dark:.2f}:1 dark, {light:.2f}:1 light"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_borders_and_the_focus_ring_stand_out_in_both_schemes(scheme):
    colours = _schemes()[scheme]
    for border, surface in BORDER_PAIRS:
        assert _ratio(colours, border, surface) >= 3, f"{border} on {surface}"
    assert "box-shadow: 0 0 0 5px var(--ink)" in CSS  # the focus ring: --focus, then --ink around it
    for surface in SURFACES:
        ring = max(_ratio(colours, "focus", surface), _ratio(colours, "ink", surface))
        assert ring >= 3, f"the focus ring on {surface}"

"""The reports' long tables and charts' bars drawn in Python (`reports.rows`) are what the templates
drew, byte for byte.

`drawn_before/` holds the templates' loops and the chart's macro as they were; both draw the same figures and overlap
products (names that need escaping, a school slug a prefix cannot make, a name shown in another
language, numbers in the reader's language) and must agree in English and in Spanish.
"""

from pathlib import Path

import pytest
from flask import render_template_string
from markupsafe import escape

from clearinghouse.directory.cards import Addresses
from clearinghouse.i18n import LocalizedText
from clearinghouse.reports import charts, rows
from clearinghouse.reports.queries import Bar, Figure, Overlap, OverlapKind, OverlapProduct

BEFORE = Path(__file__).parent / "drawn_before"  # the template's loops as they were, copied here
FIGURE_ROWS = (BEFORE / "figure_rows.html").read_text()
OVERLAP_ROWS = (BEFORE / "overlap_rows.html").read_text()
OVERLAP_KINDS = (BEFORE / "overlap_kinds.html").read_text()  # the reports page's loop over the kinds, as it was
CHART_BEFORE = (BEFORE / "bar_chart.html").read_text() + "{{ bar_chart(chart) }}"
CHART_NOW = '{% from "reports/_bar_chart.html" import bar_chart %}{{ bar_chart(chart, bars) }}'

FIGURES = [
    Figure(
        "schools",
        "Products by school",
        "How many products each school uses.",
        "Products",
        "School",
        [
            Bar("North <Elementary> & Annex", 12345, slug="north-elementary"),
            Bar('South "Middle"', 0, slug="south middle/é"),  # quoted by url_for
            Bar("No page", 7),
        ],
        link_endpoint="directory.school",
    ),
    Figure(
        "categories",
        "Products per data category",
        "What is counted.",
        "Products",
        "Data category",
        [
            Bar(LocalizedText("Salud & bienestar", "es"), 3),
            Bar(LocalizedText("Health <records>", "en", is_fallback=True), 1234567, tone="bad"),
        ],
    ),
]
SCHOOLS = [["North <Elementary>", "South & Annex"], [], ["Lincoln"]]  # the template joined each list
PRODUCTS = [
    OverlapProduct("Reader <Pro> & Co", "reader-pro", 'Acme "Learning"', "North <Elementary>, South & Annex"),
    OverlapProduct("Maths", "maths é/1", "Globex", ""),  # a slug the prefix cannot make
    OverlapProduct("Planner", "planner", "Initech", "Lincoln"),
]
TEMPLATE_PRODUCTS = [product._replace(schools=schools) for product, schools in zip(PRODUCTS, SCHOOLS, strict=True)]


@pytest.mark.parametrize("path", ["/reports/", "/es/reports/"])
def test_rows_are_what_the_template_drew(app, path):
    with app.test_request_context(path):
        app.preprocess_request()  # the path's language, as a request sets it
        for figure in FIGURES:
            drawn = render_template_string(FIGURE_ROWS, figure=figure)
            assert drawn == "\n          " + rows.figure_rows(figure)
        urls = Addresses()
        drawn = render_template_string(OVERLAP_ROWS, overlap={"products": TEMPLATE_PRODUCTS}, urls=urls)
        assert drawn == "          " + rows.overlap_rows(PRODUCTS, urls)
        assert "Reader &lt;Pro&gt; &amp; Co" in drawn
        assert ("1.234.567" if path.startswith("/es/") else "1,234,567") in rows.figure_rows(FIGURES[1])


@pytest.mark.parametrize("path", ["/reports/", "/es/reports/"])
def test_chart_bars_are_what_the_macro_drew(app, path):
    with app.test_request_context(path):
        app.preprocess_request()
        for figure in FIGURES:
            chart = charts.bar_chart(figure)
            drawn = render_template_string(CHART_NOW, chart=chart, bars=rows.chart_bars(chart))
            assert drawn == render_template_string(CHART_BEFORE, chart=chart).lstrip("\n")
            assert drawn.count("<g>") == len(figure.bars)
        assert 'lang="en">Health &lt;records&gt;</text>' in drawn  # a name shown in its own language


@pytest.mark.parametrize("text", ["", "Plain words é", "a & b", "<b>", "x > y", "it's", 'say "hi"', "&amp; <&>'\""])
def test_escaped_text_is_what_escape_gives(text):
    assert rows.escaped_text(text) == str(escape(text))


OVERLAPS = [
    # Names to escape, 12,342 more products than listed.
    Overlap(OverlapKind("reading", "Reading", 1), LocalizedText("Lectura & <escritura>", "es"), PRODUCTS, 12345, 7),
    # Shown in its own language, every product listed.
    Overlap(OverlapKind("math", "Math", 2), LocalizedText("Math", "en", is_fallback=True), PRODUCTS[:2], 2, 3),
    Overlap(OverlapKind("one_more", "One", 3), LocalizedText("One", "es"), PRODUCTS[:1], 2, 2),  # one more
]


@pytest.mark.parametrize("path", ["/reports/", "/es/reports/"])
def test_overlap_kinds_are_what_the_page_drew(app, path):
    with app.test_request_context(path):
        app.preprocess_request()
        urls = Addresses()
        listed = [(overlap, rows.overlap_rows(overlap.products, urls)) for overlap in OVERLAPS]
        drawn = render_template_string(OVERLAP_KINDS, overlaps=listed)
        assert drawn == rows.overlap_kinds(OVERLAPS, urls)
        assert 'lang="en">Math</span>' in drawn  # a kind's name shown in its own language
        assert "12342" in drawn
        assert "/overlap/one_more" in drawn
        assert "/overlap/math" not in drawn

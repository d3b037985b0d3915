"""The public reports page, and the overlap's list of each kind. Public: no login is needed."""

from flask import abort, current_app, render_template

from clearinghouse.directory.cards import Addresses
from clearinghouse.reports import charts, queries, rows
from clearinghouse.reports.blueprint import bp
from clearinghouse.urls import page_arg


@bp.get("/")
def index():
    report = queries.build_report()
    figures = []
    for figure in report.figures:
        chart = charts.bar_chart(figure)
        figures.append((figure, chart, rows.chart_bars(chart), rows.figure_rows(figure)))
    return render_template(
        "reports/index.html",
        figures=figures,
        has_overlaps=bool(report.overlaps),
        overlaps=rows.overlap_kinds(report.overlaps, Addresses()),
    )


@bp.get("/overlap/<slug>")
def overlap(slug: str):
    page = queries.overlap_page(slug, page_arg(), current_app.config["PAGE_SIZE"])
    if page is None:
        abort(404)
    return render_template("reports/overlap.html", page=page, rows=rows.overlap_rows(page.results.items, Addresses()))

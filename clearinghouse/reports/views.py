"""The public reports page. Public: no login is needed."""

from flask import render_template

from clearinghouse.directory.cards import Addresses
from clearinghouse.reports import charts, queries, rows
from clearinghouse.reports.blueprint import bp


@bp.get("/")
def index():
    report = queries.build_report()
    figures = []
    for figure in report.figures:
        chart = charts.bar_chart(figure)
        figures.append((figure, chart, rows.chart_bars(chart), rows.figure_rows(figure)))
    # Up to 50 products a kind are linked: their addresses from one prefix, not a url_for each.
    urls = Addresses()
    overlaps = [(overlap, rows.overlap_rows(overlap.products, urls)) for overlap in report.overlaps]
    return render_template("reports/index.html", figures=figures, overlaps=overlaps)

"""The public reports page. Public: no login is needed."""

from flask import render_template

from clearinghouse.directory.cards import Addresses
from clearinghouse.reports import charts, queries
from clearinghouse.reports.blueprint import bp


@bp.get("/")
def index():
    report = queries.build_report()
    figures = [(figure, charts.bar_chart(figure)) for figure in report.figures]
    # Up to 50 products a kind are linked: their addresses from one prefix, not a url_for each.
    return render_template("reports/index.html", figures=figures, overlaps=report.overlaps, urls=Addresses())

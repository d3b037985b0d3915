"""The public reports page. Public: no login is needed."""

from flask import render_template

from clearinghouse.reports import charts, queries
from clearinghouse.reports.blueprint import bp


@bp.get("/")
def index():
    report = queries.build_report()
    figures = [(figure, charts.bar_chart(figure)) for figure in report.figures]
    return render_template("reports/index.html", figures=figures, overlaps=report.overlaps)

"""The reports page's long tables and its charts' bars, drawn in Python: the overlap section lists up
to OVERLAP_LISTED products a kind (140 on the bench's page) and a kind's own pages a page of them,
"Products by school" a row per school, and each chart a bar per row of its table (96 on the bench's page).

Drawn by the template, each row cost its expressions, a macro or a `join` filter and an address,
through Jinja's runtime: about half of the page's Python. Here each row is one string formatted from
escaped values, and the template puts a table's rows in at once. The markup is the template's own,
byte for byte, its indentation included (tests/reports/test_rows.py draws both and compares them).
"""

from flask import url_for
from markupsafe import Markup, escape

from clearinghouse.directory.cards import Addresses, Wording
from clearinghouse.i18n import LocalizedText, format_number
from clearinghouse.reports.charts import BarChart
from clearinghouse.reports.queries import Figure, Overlap, OverlapProduct
from clearinghouse.slugs import PLAIN_SLUG
from clearinghouse.urls import kept_url

# One product of the overlap, as the template's loop drew it (its lines and their indentation).
OVERLAP_ROW = (
    '\n          <tr>\n            <th scope="row"><a href="%(url)s">%(name)s</a></th>\n'
    "            <td>%(vendor)s</td>\n            <td>%(schools)s</td>\n          </tr>\n          "
)
FIGURE_ROW = '\n          <tr><th scope="row">%(label)s</th><td class="number">%(value)s</td></tr>\n          '
# One bar of a chart, as `reports/_bar_chart.html`'s loop drew it.
CHART_BAR = (
    '\n  <g>\n    <text x="%(x)s" y="%(label_y)s" fill="%(text)s"%(lang)s>%(label)s</text>\n'
    '    <rect x="%(x)s" y="%(y)s" width="%(width)s" height="%(height)s" fill="%(fill)s"/>\n'
    '    <line x1="%(x)s" y1="%(y)s" x2="%(x)s" y2="%(bottom)s" stroke="%(axis)s" stroke-width="2"/>\n'
    '    <text x="%(value_x)s" y="%(text_y)s" fill="%(text)s" font-weight="bold">%(value)s</text>\n  </g>\n  '
)
LINKED = '<a href="%(url)s">%(name)s</a>'
# One kind of the overlap section, as the reports page's loop drew it with `reports/_overlap_table.html`'s macro.
OVERLAP_KIND = (
    "\n    <h3>%(heading)s</h3>\n    \n"
    '<div class="table-scroll">\n  <table>\n    <caption class="visually-hidden">%(caption)s</caption>\n'
    '    <thead><tr><th scope="col">%(product)s</th><th scope="col">%(vendor)s</th>'
    '<th scope="col">%(schools)s</th></tr></thead>\n    <tbody>\n      %(rows)s\n    </tbody>\n  </table>\n</div>\n\n'
    "    %(more)s\n    "
)
OVERLAP_MORE = '\n    <p>%(more)s <a href="%(url)s">%(all)s</a></p>\n    '


def escaped_text(text: str) -> str:
    """`escape(text)` of a plain str, as a str: the same five characters replaced as markupsafe does,
    without making a Markup of each value (about half of `escape`'s cost; the overlap escapes 2,800
    values a page). `tests/reports/test_rows.py` compares the two."""
    if "&" in text or "<" in text or ">" in text or "'" in text or '"' in text:
        return str(escape(text))
    return text


def overlap_rows(products: list[OverlapProduct], urls: Addresses) -> Markup:
    """The rows of one kind's table of products that overlap."""
    return Markup(  # noqa: S704 - every value escaped here
        "".join(
            OVERLAP_ROW
            % {
                "url": escaped_text(urls.product(product.slug)),
                "name": escaped_text(product.name),
                "vendor": escaped_text(product.vendor),
                "schools": escaped_text(product.schools),
            }
            for product in products
        )
    )


def name_in_language(text: str | LocalizedText) -> Markup:
    """`_macros/ui.html`'s `name_in_language`: a name shown in another language says which."""
    if isinstance(text, LocalizedText) and text.is_fallback:
        return Markup('<span lang="%s">%s</span>') % (text.language, text)
    return escape(text)


def figure_rows(figure: Figure) -> Markup:
    """The rows of a figure's table: each bar's label (linked to its page when the figure links) and value."""
    prefix = url_for(figure.link_endpoint, slug="x")[:-1] if figure.link_endpoint else ""
    rows = []
    for bar in figure.bars:
        label = name_in_language(bar.label)
        if figure.link_endpoint and bar.slug:
            url = prefix + bar.slug if PLAIN_SLUG.match(bar.slug) else url_for(figure.link_endpoint, slug=bar.slug)
            label = LINKED % {"url": escape(url), "name": label}
        rows.append(FIGURE_ROW % {"label": label, "value": escaped_text(format_number(bar.value))})
    return Markup("".join(rows))  # noqa: S704 - every value escaped here


def chart_bars(chart: BarChart) -> Markup:
    """The bars of a chart: its label above, the bar, the axis beside it, the value at its end."""
    text, axis = escape(chart.text_colour), escape(chart.axis_colour)
    return Markup(  # noqa: S704 - every value escaped here
        "".join(
            CHART_BAR
            % {
                "x": chart.bar_x,
                "label_y": bar.label_y,
                "text": text,
                "lang": f' lang="{escape(bar.language)}"' if bar.language else "",
                "label": escaped_text(bar.label),
                "y": bar.y,
                "width": bar.width,
                "height": chart.bar_height,
                "fill": escape(bar.fill),
                "bottom": bar.y + chart.bar_height,
                "axis": axis,
                "value_x": chart.bar_x + bar.width + 6,
                "text_y": bar.text_y,
                "value": escaped_text(format_number(bar.value)),
            }
            for bar in chart.bars
        )
    )


def overlap_kinds(overlaps: list[Overlap], urls: Addresses) -> Markup:
    """The overlap section's kinds, each with its heading, its table of products (`overlap_rows`) and the link
    to its whole list when it has more: drawn by the template, each kind cost about ten calls through Jinja's
    runtime (its macros, `_()` and `url_for`), about a tenth of the page's Python."""
    words = Wording()
    headings = {
        "product": words.gettext("Product"),
        "vendor": words.gettext("Vendor"),
        "schools": words.gettext("Schools"),
    }
    drawn = []
    for overlap in overlaps:
        name = name_in_language(overlap.name)
        more = ""
        if overlap.more:
            more = OVERLAP_MORE % {
                "more": words.ngettext(
                    "And %(num)s more product of this kind.", "And %(num)s more products of this kind.", overlap.more
                ),
                "url": escape(kept_url("reports.overlap", slug=overlap.kind.slug)),
                "all": words.gettext("All %(num)s, with the schools that use them", num=overlap.product_count),
            }
        drawn.append(
            OVERLAP_KIND
            % {
                "heading": words.gettext(
                    "%(kind)s: %(products)s products at %(schools)s schools",
                    kind=name,
                    products=overlap.product_count,
                    schools=overlap.school_count,
                ),
                "caption": words.gettext("%(kind)s products and the schools that use them", kind=name),
                **headings,
                "rows": overlap_rows(overlap.products, urls),
                "more": more,
            }
        )
    return Markup("".join(drawn))  # noqa: S704 - every value escaped here

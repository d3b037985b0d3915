"""The reports page's long tables, their rows drawn in Python: the overlap section lists up to
OVERLAP_LISTED products a kind (about 700 on the bench's page), and "Products by school" a row per school.

Drawn by the template, each row cost its expressions, a macro or a `join` filter and an address,
through Jinja's runtime: about half of the page's Python. Here each row is one string formatted from
escaped values, and the template puts a table's rows in at once. The markup is the template's own,
byte for byte, its indentation included (tests/reports/test_rows.py draws both and compares them).
"""

from flask import url_for
from markupsafe import Markup, escape

from clearinghouse.directory.cards import Addresses
from clearinghouse.i18n import LocalizedText, format_number
from clearinghouse.reports.queries import Figure, OverlapProduct
from clearinghouse.slugs import PLAIN_SLUG

# One product of the overlap, as the template's loop drew it (its lines and their indentation).
OVERLAP_ROW = (
    '\n          <tr>\n            <th scope="row"><a href="%(url)s">%(name)s</a></th>\n'
    "            <td>%(vendor)s</td>\n            <td>%(schools)s</td>\n          </tr>\n          "
)
FIGURE_ROW = '\n          <tr><th scope="row">%(label)s</th><td class="number">%(value)s</td></tr>\n          '
LINKED = '<a href="%(url)s">%(name)s</a>'


def overlap_rows(products: list[OverlapProduct], urls: Addresses) -> Markup:
    """The rows of one kind's table of products that overlap."""
    return Markup(  # noqa: S704 - every value escaped here
        "".join(
            OVERLAP_ROW
            % {
                "url": escape(urls.product(product.slug)),
                "name": escape(product.name),
                "vendor": escape(product.vendor),
                "schools": escape(", ".join(product.schools)),
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
        rows.append(FIGURE_ROW % {"label": label, "value": escape(format_number(bar.value))})
    return Markup("".join(rows))  # noqa: S704 - every value escaped here

"""The product page's tables of the student data it receives, one per data category, drawn from
view models as the cards are (`directory.cards`): each row's address, name and purpose made here,
in the reader's language and escaped, with every string looked up once (`cards.Wording`) and every
address from a prefix (`cards.Addresses`). Drawn by the template's macros, a row cost about 400
Python calls (`url_for`, `localized()`, two macros), and a product receives dozens of kinds of data.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from clearinghouse.directory.cards import Addresses, Wording
from clearinghouse.directory.queries import ProductUse, UseCategory
from clearinghouse.i18n import translated


@dataclass(frozen=True, slots=True)
class UseRow:
    """One kind of data the product receives: the data element, linked, and why it receives it."""

    element_url: str
    name: Markup  # `name_in_language` of the element's name
    is_sensitive: bool
    purpose: Markup | None  # `in_language` of the use's purpose; None when not yet stated


@dataclass(frozen=True, slots=True)
class UseTable:
    """The data of one category that the product receives (the table's caption and rows)."""

    caption: Markup  # `name_in_language` of the category's name
    rows: list[UseRow]


def use_tables(uses_by_category: Sequence[tuple[UseCategory, list[ProductUse]]]) -> list[UseTable]:
    """The tables of `ProductPage.uses_by_category`, in its order."""
    words = Wording()
    urls = Addresses()
    return [
        UseTable(words.localized_name(category), [_row(use, words, urls) for use in uses])
        for category, uses in uses_by_category
    ]


def _row(use: ProductUse, words: Wording, urls: Addresses) -> UseRow:
    element = use.element
    purpose = translated(use, "purpose")
    return UseRow(
        element_url=urls.element(element.slug),
        name=words.localized_name(element),
        is_sensitive=element.is_sensitive,
        purpose=words.in_language(purpose) if purpose else None,
    )

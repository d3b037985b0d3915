"""The product cards of the public lists (directory, vendor page, data element page), made once.

A card shows only its product's public facts and states derived from the district's date, so for
anonymous readers it is kept per product (per data use on a data element's page, which adds the
use's purpose), data version, date and language in the page cache's store
(`page_cache.fragments_on_version`): a results page fetches its 25 cards at once and draws only
the missing ones. A signed-in reader's page draws them all afresh.
"""

import re
import secrets

from flask import render_template, url_for
from markupsafe import Markup

from clearinghouse import page_cache
from clearinghouse.directory.models import DataUse
from clearinghouse.directory.queries import Listing

CARDS_TEMPLATE = "directory/_listing_cards.html"
PLAIN_SLUG = re.compile(r"[a-z0-9-]+\Z")  # what slugs.slugify makes: url_for leaves it as it is


class Addresses:
    """A product's and a vendor's address, as `url_for` makes them, from prefixes made once (with the
    language's /es/): `url_for` costs ~50 µs, two a card. A slug `url_for` would quote goes through it."""

    def __init__(self) -> None:
        self.product_prefix = url_for("directory.product", slug="x")[:-1]
        self.vendor_prefix = url_for("directory.vendor", slug="x")[:-1]

    def product(self, slug: str) -> str:
        return self.product_prefix + slug if PLAIN_SLUG.match(slug) else url_for("directory.product", slug=slug)

    def vendor(self, slug: str) -> str:
        return self.vendor_prefix + slug if PLAIN_SLUG.match(slug) else url_for("directory.vendor", slug=slug)


def listing_cards(listings: list[Listing], heading: str = "h3") -> list[Markup]:
    """Each listing's card, as `_listing.html`'s `listing_card(l, heading)` draws it."""
    return _cards(f"listing-{heading}", [listing.product.id for listing in listings], listings, None, heading)


def use_cards(uses: list[DataUse], listings: dict[int, Listing], heading: str = "h3") -> list[Markup]:
    """Each data use's card: its product's listing with the use's purpose (a data element's page)."""
    return _cards(f"use-{heading}", [use.id for use in uses], [listings[use.product_id] for use in uses], uses, heading)


def _cards(
    kind: str, ids: list[int], listings: list[Listing], uses: list[DataUse] | None, heading: str
) -> list[Markup]:
    if not ids:  # a search that found nothing: no template to run (7 in 10 searches of a busy evening)
        return []

    def draw(positions: list[int]) -> list[str]:
        # One template for all the missing cards, cut apart at a word no card can hold.
        separator = f"<!--{secrets.token_hex(8)}-->"
        html = render_template(
            CARDS_TEMPLATE,
            listings=[listings[position] for position in positions],
            uses=[uses[position] for position in positions] if uses is not None else None,
            heading=heading,
            urls=Addresses(),
            separator=Markup(separator),  # noqa: S704 - a comment of hex digits made here
        )
        return html.split(separator)[: len(positions)]

    # Each piece is what the autoescaping template drew (now, or when it was kept).
    return [Markup(card) for card in page_cache.fragments_on_version(kind, ids, draw)]  # noqa: S704 - escaped by Jinja

"""The product cards of the public lists (directory, vendor page, data element page, school page),
and the lines of the data elements index, drawn the same way.

What a card shows is decided here, once, in Python: `listing_card` and `school_card` build each
card's view model (every text already in the reader's language and escaped, every address made),
and a listing card's markup is one string format (`drawn_card`; a school's card, the loop of its
page), with no macro call per badge or name. Looking each string up once per batch of cards (not
once per card through Flask-Babel's context) is most of the saving: a card drawn by the macros
cost about 1,450 Python calls.

A listing card shows only its product's public facts and states derived from the district's date,
so for anonymous readers it is kept per product (per data use on a data element's page, which adds
the use's purpose), data version, date and language in the page cache's store
(`page_cache.fragments_on_version`): a results page fetches its 25 cards at once and draws only
the missing ones; the directory's product rows carry all a card needs (`product_cards`): drawn or
kept, its cards cost no query, and their words and addresses are looked up once per data version and
language (`kept_words`, `kept_addresses`). A signed-in reader's page draws them all afresh. A school's
card adds the state of data destruction and is drawn with its page.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from flask import request, url_for
from markupsafe import Markup, escape

from clearinghouse import page_cache
from clearinghouse.agreements.status import AgreementStanding
from clearinghouse.directory.models import DataCategory, ProductStatus
from clearinghouse.directory.queries import CardProduct, CardUse, ElementCount, Listing, listings
from clearinghouse.directory.school_queries import SchoolProduct, SensitiveElement
from clearinghouse.i18n import N_, LocalizedText, catalogue, format_number, locale, translated
from clearinghouse.slugs import PLAIN_SLUG
from clearinghouse.timeutil import long_date
from clearinghouse.urls import kept_url

# Badge kinds for a product's approval: words always say the state; colour only repeats it.
STATUS_BADGES = {
    ProductStatus.APPROVED: "ok",
    ProductStatus.APPROVED_WITH_CONDITIONS: "warn",
    ProductStatus.APPROVED_NO_STUDENT_DATA: "ok",
    ProductStatus.UNDER_REVIEW: "neutral",
    ProductStatus.NOT_APPROVED: "bad",
    ProductStatus.RETIRED: "neutral",
}

BY_VENDOR = N_('by <a href="%(vendor_url)s">%(vendor)s</a> · %(kind)s')


class Addresses:
    """A product's, a vendor's and a data element's address, as `url_for` makes them, from prefixes
    made once (with the language's /es/): `url_for` costs ~50 µs. A slug `url_for` would quote goes
    through it."""

    def __init__(self) -> None:
        self.product_prefix = url_for("directory.product", slug="x")[:-1]
        self.vendor_prefix = url_for("directory.vendor", slug="x")[:-1]
        self.element_prefix = url_for("directory.data_element", slug="x")[:-1]

    def product(self, slug: str) -> str:
        return self.product_prefix + slug if PLAIN_SLUG.match(slug) else url_for("directory.product", slug=slug)

    def vendor(self, slug: str) -> str:
        return self.vendor_prefix + slug if PLAIN_SLUG.match(slug) else url_for("directory.vendor", slug=slug)

    def element(self, slug: str) -> str:
        return self.element_prefix + slug if PLAIN_SLUG.match(slug) else url_for("directory.data_element", slug=slug)


class Wording:
    """The words of a batch of cards in the language being rendered, each looked up once: the same
    catalogue the templates' `_()` reads, with the same escaping as an autoescaped template (a
    translated message is markup; the values put into it are escaped). At most WORDS_KEPT of them are
    kept (`kept_words` keeps a Wording for many pages)."""

    def __init__(self) -> None:
        self.catalogue = catalogue()
        self.locale = locale()
        self._kept: dict[Any, Markup] = {}

    def _keep(self, key: Any, make: Callable[[], Markup]) -> Markup:
        try:
            return self._kept[key]
        except KeyError:
            made = make()
            if len(self._kept) >= WORDS_KEPT:
                self._kept.clear()
            self._kept[key] = made
            return made

    def gettext(self, message: str, **values: Any) -> Markup:
        """`{{ _(message, **values) }}`."""
        return _filled(self._keep(("text", message), lambda: self.catalogue.ugettext(message)), values)

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> Markup:
        """`{% trans count=count, … %}singular{% pluralize %}plural{% endtrans %}`."""
        found = self._keep(("plural", singular, count), lambda: self.catalogue.ungettext(singular, plural, count))
        return _filled(found, {"num": count, "count": count, **values})

    def label(self, value: Any) -> Markup:
        """`{{ value.label }}` of an enum member (a lazy string, looked up once per member)."""
        return self._keep(("label", value), lambda: escape(value.label))

    def number(self, value: int) -> str:
        """`{{ value | number }}`."""
        return self._keep(("number", value), lambda: format_number(value))

    def date(self, value: date | None) -> str:
        """`format_date(value)`."""
        return self._keep(("date", value), lambda: long_date(value, self.locale) if value is not None else "")

    def agreement(self, standing: AgreementStanding) -> Markup:
        """`_("Agreement: %(state)s", state=standing.label)`, each phrase worded once (a fixed label is
        a lazy string, whose hash would translate it: it is known by its identity)."""
        phrase = standing.phrase
        key = ("agreement", phrase.text if phrase.names_day else id(phrase.text), phrase.day)
        return self._keep(
            key,
            lambda: self.gettext("Agreement: %(state)s", state=phrase.worded(self.catalogue.ugettext, self.date)),
        )

    def name(self, text: LocalizedText) -> Markup:
        """`_macros/ui.html`'s `name_in_language(text)`."""
        if text.is_fallback:
            return _markup(f'<span lang="{escape(text.language)}">{escape(text)}</span>')
        return escape(text)

    def in_language(self, text: LocalizedText) -> Markup:
        """`_macros/ui.html`'s `in_language(text)`: a fallback says which language it is in."""
        if text.is_fallback:
            note = self._keep(("note", text.language), lambda: escape(text.note))
            return _markup(f'{self.name(text)} <span class="fallback-note">({note})</span>')
        return escape(text)

    def localized_name(self, record: Any) -> Markup:
        """`name_in_language(localized(record, "name"))`, once per record (kinds and data elements repeat)."""
        return self._keep(("name", type(record), record.id), lambda: self.name(translated(record, "name")))

    def received(self, count: int, sensitive: list[LocalizedText]) -> Markup:
        """ "Receives 6 kinds of student data, including 2 sensitive: <strong>Health</strong>, …", once for
        each number and set of sensitive names (a page's cards say a few of them); a name is known by its
        language and marking too (a fallback is drawn in its own language)."""
        key = ("received", count, *((name, name.language, name.is_fallback) for name in sensitive))
        return self._keep(key, lambda: self._received(count, sensitive))

    def _received(self, count: int, sensitive: list[LocalizedText]) -> Markup:
        if not sensitive:
            return self.ngettext(
                "Receives %(count)s kind of student data.", "Receives %(count)s kinds of student data.", count
            )
        return self.ngettext(
            "Receives %(count)s kind of student data, including %(sensitive)s sensitive: %(names)s.",
            "Receives %(count)s kinds of student data, including %(sensitive)s sensitive: %(names)s.",
            count,
            sensitive=self.number(len(sensitive)),
            names=_markup(", ".join([f"<strong>{self.name(name)}</strong>" for name in sensitive])),
        )

    def byline(self, product: Any, urls: Addresses) -> Markup:
        """ "by <a href=…>Vendor</a> · Kind"."""
        vendor = product.vendor
        message = self._keep(("text", BY_VENDOR), lambda: self.catalogue.ugettext(BY_VENDOR))
        return _filled(
            message,
            {"vendor_url": urls.vendor(vendor.slug), "vendor": vendor.name, "kind": self.localized_name(product.kind)},
        )


WORDS_KEPT = 5_000  # what one Wording keeps at most (numbers, dates, names, phrases): a few hundred bytes each


def kept_words() -> Wording:
    """A Wording for the pages of this data version, date and language (anonymous readers: `page_cache.
    memoized_on_version`; any other reader gets a new one): a page then looks up only the words no page
    of the worker has used since the data changed, not every word it shows (~0.3 ms a page of cards)."""
    return _kept_wording()


def kept_addresses() -> Addresses:
    """Addresses for the pages of this language and script root, kept as `kept_words` (three `url_for`)."""
    return _kept_addresses(request.script_root)


@page_cache.memoized_on_version
def _kept_wording() -> Wording:
    return Wording()


@page_cache.memoized_on_version
def _kept_addresses(script_root: str) -> Addresses:
    """`script_root` is part of the memo's key: the addresses begin with it."""
    return Addresses()


def _markup(html: str) -> Markup:
    """Markup made here from escaped parts (each value went through `escape`, or is Markup)."""
    return Markup(html)  # noqa: S704 - every part escaped by the caller


def _filled(message: str, values: dict[str, Any]) -> Markup:
    """A translated message with its values escaped into it, as an autoescaping template's `_()`
    does (`Markup(message) % values`, without a Python call per value: markup, already escaped, and
    a count, which has nothing to escape, are put in as they are, as `escape` would return them)."""
    return _markup(
        message % {name: value if isinstance(value, Markup | int) else escape(value) for name, value in values.items()}
    )


NOTHING = Markup("")


class Badge(NamedTuple):
    kind: str  # ok | warn | bad | neutral: the colour
    text: Markup  # the words, escaped


@dataclass(frozen=True, slots=True)
class ListingCard:
    """What a product's card in a list shows (directory, vendor page, data element page)."""

    heading: str  # h2 | h3
    product_url: str
    name: str
    byline: Markup
    status: Badge
    agreement: Badge
    purpose: Markup | None  # a data element's page: why the product receives it; else None
    data: Markup  # what it receives, its sensitive data named (not on a data element's page)
    snippet: Markup  # the start of its purpose, or empty


@dataclass(frozen=True, slots=True)
class SchoolCard:
    """What a product's card on a school's page shows: a listing's facts, the state of data
    destruction, and every data element it receives there, linked, sensitive ones first."""

    product_url: str
    name: str
    byline: Markup
    badges: list[Badge]  # approval, agreement, then each destruction request's state
    sensitive: Markup | None  # the sensitive data, linked ("none" when none); None: no data recorded
    other: Markup  # the other data, linked, or empty


LISTING_CARD = """<li class="card listing">
  <%(heading)s class="listing__name"><a href="%(url)s">%(name)s</a></%(heading)s>
  <p class="listing__vendor muted">%(byline)s</p>
  <p class="listing__badges">
    <span class="badge badge--%(status_kind)s">%(status)s</span>
    <span class="badge badge--%(agreement_kind)s">%(agreement)s</span>
  </p>
  %(said)s
</li>"""


def drawn_card(card: ListingCard, why: Markup) -> str:
    """A listing card's markup, every value escaped. Written here rather than by a template: a
    results page draws about 20 cards, and a Jinja loop spent ~0.7 ms on them (an `escape` and a
    `str` per value, a `getattr` per field); the view model's texts are already escaped, so one
    `%` format a card is the same markup. `why` is the data element page's "Why it receives this:"."""
    if card.purpose is not None:
        said = f"\n  <p><strong>{why}</strong> {card.purpose}</p>\n  "
    else:
        snippet = f'<p class="listing__purpose">{card.snippet}</p>' if card.snippet else ""
        said = f"\n  <p>{card.data}</p>\n  {snippet}\n  "
    return LISTING_CARD % {
        "heading": card.heading,
        "url": escape(card.product_url),
        "name": escape(card.name),
        "byline": card.byline,
        "status_kind": card.status.kind,
        "status": card.status.text,
        "agreement_kind": card.agreement.kind,
        "agreement": card.agreement.text,
        "said": said,
    }


def _agreement(standing: AgreementStanding, words: Wording) -> Badge:
    return Badge(standing.badge, words.agreement(standing))


def listing_card(
    listing: Listing, heading: str, urls: Addresses, words: Wording, purpose: LocalizedText | None = None
) -> ListingCard:
    """A listing's card; with `purpose` (a data use's), as a data element's page shows it."""
    product = listing.product
    data = snippet = NOTHING
    if purpose is not None:
        said = words.in_language(purpose) if purpose else words.gettext("Purpose not yet stated")
    else:
        said = None
        data = words.received(listing.element_count, listing.sensitive_names)
        if listing.snippet:
            snippet = words.in_language(listing.snippet)
    return ListingCard(
        heading=heading,
        product_url=urls.product(product.slug),
        name=product.name,
        byline=words.byline(product, urls),
        status=Badge(STATUS_BADGES[listing.status], words.label(listing.status)),
        agreement=_agreement(listing.standing, words),
        purpose=said,
        data=data,
        snippet=snippet,
    )


def school_card(item: SchoolProduct, urls: Addresses, words: Wording, links: dict[int, str]) -> SchoolCard:
    """A product's card on a school's page; `links` keeps each data element's link, made once a page
    (a page of 25 cards names about 150 elements, mostly the same few)."""
    product = item.product
    badges = [Badge(STATUS_BADGES[item.status], words.label(item.status)), _agreement(item.standing, words)]
    badges += [Badge(status.badge, escape(status.label)) for status in item.destruction]
    sensitive: Markup | None = None
    other = Markup("")
    if item.elements:
        sensitive_links, other_links = [], []
        for element in item.elements:
            link = links.get(element.id)
            if link is None:
                link = links[element.id] = (
                    f'<a href="{escape(urls.element(element.slug))}">{words.localized_name(element)}</a>'
                )
            (sensitive_links if element.is_sensitive else other_links).append(link)
        sensitive = _markup(", ".join(sensitive_links)) if sensitive_links else words.gettext("none")
        other = _markup(", ".join(other_links))
    return SchoolCard(
        product_url=urls.product(product.slug),
        name=product.name,
        byline=words.byline(product, urls),
        badges=badges,
        sensitive=sensitive,
        other=other,
    )


# The loop's blank line (its `{% set %}`) kept: the same markup, byte for byte.
SCHOOL_CARD = (
    "\n    "
    + """
    <li class="card listing">
      <h3 class="listing__name"><a href="%(url)s">%(name)s</a></h3>
      <p class="listing__vendor muted">%(byline)s</p>
      <p class="listing__badges">
        %(first)s
        %(second)s
        %(more)s
      </p>
      %(data)s
    </li>
    """
)
BADGE = '<span class="badge badge--%s">%s</span>'


def drawn_school_card(card: SchoolCard, headings: tuple[Markup, Markup], no_data: Markup) -> str:
    """A school card's markup, every value escaped, as the school page's loop drew it (whitespace
    included): one `%` format a card rather than a Jinja loop (~2 ms a page). `headings`: "Sensitive
    data:" and "Other data:"; `no_data`: what a card without recorded data says."""
    first, second, *more = (BADGE % (escape(badge.kind), badge.text) for badge in card.badges)
    if card.sensitive is not None:
        other = f"<p><strong>{headings[1]}</strong> {card.other}</p>" if card.other else ""
        data = f"\n      <p><strong>{headings[0]}</strong> {card.sensitive}</p>\n      {other}\n      "
    else:
        data = f"\n      <p>{no_data}</p>\n      "
    return SCHOOL_CARD % {
        "url": escape(card.product_url),
        "name": escape(card.name),
        "byline": card.byline,
        "first": first,
        "second": second,
        "more": "".join(more),
        "data": data,
    }


@dataclass(frozen=True, slots=True)
class ResultWords:
    """What the directory says about a page of results, worded in the view as its cards are: each
    sentence was a `{% trans %}` block or an `_()` of directory.html, and costs a Jinja call through
    the catalogue there. Every text is escaped markup."""

    heading: Markup  # "12 products matching “reading”, page 2 of 3"
    download: Markup | None  # the page lists products: where to download them all
    empty_title: Markup | None  # the page lists none: why, and what to do
    empty_body: Markup | None


def result_words(search: str | None, has_terms: bool, results: Any, params: dict[str, str]) -> ResultWords:
    """The heading, the download line and the empty state of the directory's `results` (a page of a
    search for `search`; `has_terms` when it had words to look for; `params` the page's filters)."""
    words = kept_words()
    total = results.total
    shown = words.number(total)
    if has_terms:
        heading = words.ngettext(
            "%(total)s product matching “%(search)s”",
            "%(total)s products matching “%(search)s”",
            total,
            total=shown,
            search=search,
        )
    else:
        heading = words.ngettext("%(total)s product", "%(total)s products", total, total=shown)
    if results.pages > 1 and results.items:
        heading += words.gettext(
            ", page %(page)s of %(pages)s", page=words.number(results.page), pages=words.number(results.pages)
        )
    download = empty_title = empty_body = None
    if results.items:
        download = words.ngettext(
            'Download this result as <a href="%(csv)s">a spreadsheet (CSV)</a> or <a href="%(json)s">JSON</a>.',
            'Download these %(total)s results as <a href="%(csv)s">a spreadsheet (CSV)</a> or '
            '<a href="%(json)s">JSON</a>.',
            total,
            total=shown,
            csv=kept_url("imports_public.export_csv", **params),
            json=kept_url("api.products", **params),
        )
    elif total:
        empty_title = words.gettext("There is no page %(page)s of these results.", page=words.number(results.page))
        empty_body = words.ngettext("The results fill %(num)s page.", "The results fill %(num)s pages.", results.pages)
    else:
        empty_title = words.gettext("No products match.")
        empty_body = words.gettext(
            "Try other words, or fewer filters. Retired products are shown only when the status filter asks for them."
        )
    return ResultWords(heading, download, empty_title, empty_body)


@dataclass(frozen=True, slots=True)
class SensitiveLine:
    """A line of a school's summary: a sensitive data element and how many products receive it there."""

    url: str
    name: Markup
    products: Markup  # "3 products"


def school_cards(items: Sequence[SchoolProduct]) -> list[Markup]:
    """The cards of a school's page, drawn (`drawn_school_card`)."""
    if not items:
        return []
    urls, words, links = kept_addresses(), kept_words(), {}
    headings = (words.gettext("Sensitive data:"), words.gettext("Other data:"))
    no_data = words.gettext("The district has not recorded any student data for this product.")
    # Each piece is what `drawn_school_card` wrote from escaped parts.
    return [_markup(drawn_school_card(school_card(item, urls, words, links), headings, no_data)) for item in items]


def school_summary(sensitive: Sequence[SensitiveElement]) -> list[SensitiveLine]:
    """The sensitive data received at a school, each with its number of products, as its page says it."""
    if not sensitive:
        return []
    urls, words = kept_addresses(), kept_words()
    return [
        SensitiveLine(
            urls.element(item.element.slug),
            words.localized_name(item.element),
            words.ngettext(
                "%(num)s product", "%(num)s products", item.product_count, num=words.number(item.product_count)
            ),
        )
        for item in sensitive
    ]


@dataclass(frozen=True, slots=True)
class ElementLine:
    """A line of the data elements index: a data element and how many listed products receive it."""

    url: str
    name: Markup
    is_sensitive: bool
    products: str  # the count, as the reader's language writes numbers


@dataclass(frozen=True, slots=True)
class ElementGroup:
    """A category of the data elements index, with its lines."""

    slug: str
    name: Markup
    lines: list[ElementLine]


def element_index(groups: Sequence[tuple[DataCategory, Sequence[ElementCount]]]) -> list[ElementGroup]:
    """The data elements index as its page says it (`queries.data_element_index`): ~80 addresses and
    names made here once each cost the template ~7 ms through `url_for` and the macros."""
    urls, words = Addresses(), Wording()
    return [
        ElementGroup(
            category.slug,
            words.localized_name(category),
            [
                ElementLine(
                    urls.element(item.element.slug),
                    words.localized_name(item.element),
                    item.element.is_sensitive,
                    words.number(item.product_count),
                )
                for item in counts
            ],
        )
        for category, counts in groups
    ]


def listing_cards(listings: list[Listing], heading: str = "h3") -> list[Markup]:
    """Each listing's card (the vendor page)."""
    ids = [listing.product.id for listing in listings]
    return _cards(f"listing-{heading}", ids, lambda positions: [listings[at] for at in positions], None, heading)


def product_cards(products: Sequence[CardProduct], today: date, heading: str = "h3") -> list[Markup]:
    """Each product's card (the directory), the same card as `listing_cards`': what a card shows
    beyond the product row (`queries.listings`: the data it receives, where its agreement stands) is
    worked out only for the cards not already kept, from the rows (no query)."""
    return _cards(
        f"listing-{heading}",
        [product.id for product in products],
        lambda positions: listings([products[at] for at in positions], today),
        None,
        heading,
    )


def use_cards(uses: list[CardUse], listings: dict[int, Listing], heading: str = "h3") -> list[Markup]:
    """Each data use's card: its product's listing with the use's purpose (a data element's page)."""
    ids = [use.id for use in uses]
    return _cards(
        f"use-{heading}", ids, lambda positions: [listings[uses[at].product_id] for at in positions], uses, heading
    )


def _cards(
    kind: str,
    ids: list[int],
    listings_at: Callable[[list[int]], list[Listing]],
    uses: list[CardUse] | None,
    heading: str,
) -> list[Markup]:
    """The cards of `ids`, each kept per data version (`page_cache.fragments_on_version`); only the
    missing ones are drawn, from `listings_at(positions)`: their listings, in that order."""
    if not ids:  # a search that found nothing: nothing to draw (7 in 10 searches of a busy evening)
        return []

    def draw(positions: list[int]) -> list[str]:
        urls, words = kept_addresses(), kept_words()
        cards = [
            listing_card(
                listing,
                heading,
                urls,
                words,
                translated(uses[position], "purpose") if uses is not None else None,
            )
            for position, listing in zip(positions, listings_at(positions), strict=True)
        ]
        why = words.gettext("Why it receives this:")
        return [drawn_card(card, why) for card in cards]

    # Each piece is what `drawn_card` wrote from escaped parts (now, or when it was kept).
    return [_markup(card) for card in page_cache.fragments_on_version(kind, ids, draw)]

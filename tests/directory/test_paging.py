"""Pages are picked on narrow columns before their rows are loaded: the pages, read one after
another, must give exactly the order and the rows of one long page, for every sort."""

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.widgets import Select

from clearinghouse.directory.forms import DirectoryForm
from clearinghouse.directory.models import DataElement, Product, ProductStatus, Vendor
from clearinghouse.directory.queries import (
    Choice,
    DirectoryFilters,
    FilterOptions,
    Sort,
    StatusFilter,
    element_receivers,
    search_products,
)
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


@pytest.fixture
def crowded(app):
    """Thirteen products over three vendors with repeated names, one retired and one of a retired vendor."""
    with in_app(app):
        category = factories.make_category(name="Demographics")
        element = factories.make_element(category, name="Date of Birth", slug="date-of-birth")
        vendors = [factories.make_vendor(name=name) for name in ("Zeta Apps", "Alpha Apps", "Mid Apps")]
        gone = factories.make_vendor(name="Gone Apps", is_retired=True)
        for n in range(12):
            factories.make_product(
                vendors[n % 3],
                name=f"Reading {'ABCD'[n % 4]}",
                elements=[element],
                purpose_md="Reading practice." if n % 2 else "Phonics and reading.",
            )
        factories.make_product(
            vendors[0], name="Reading AA", elements=[element], status=ProductStatus.RETIRED, purpose_md="Reading."
        )
        factories.make_product(gone, name="Reading B", elements=[element], purpose_md="Reading.")
        db.session.commit()
        return element.id


def _walk(filters: DirectoryFilters, per_page: int) -> list[int]:
    ids, page = [], 1
    while True:
        result = search_products(filters, page, per_page, district_today())
        ids += [product.id for product in result.items]
        if not result.has_next:
            return ids
        page += 1


def _expected(sort: Sort, status) -> list[int]:
    """The order each sort promises, computed in Python from every product."""
    products = list(db.session.scalars(select(Product).join(Product.vendor)))
    if status is None:
        products = [p for p in products if p.status is not ProductStatus.RETIRED and not p.vendor.is_retired]
    key = {
        Sort.NAME: lambda p: (p.name, p.vendor.name, p.id),
        Sort.VENDOR: lambda p: (p.vendor.name, p.name, p.id),
    }[sort]
    return [p.id for p in sorted(products, key=key)]


@pytest.mark.parametrize("status", [None, StatusFilter.ALL])
@pytest.mark.parametrize("sort", [Sort.NAME, Sort.VENDOR])
def test_pages_follow_the_sort_across_page_boundaries(app, crowded, sort, status):
    with in_app(app):
        filters = DirectoryFilters(sort=sort, status=status, element_id=crowded)
        walked = _walk(filters, per_page=5)
        assert walked == _expected(sort, status)
        assert len(walked) == (12 if status is None else 14)


@pytest.mark.parametrize("sort", [None, Sort.NAME, Sort.VENDOR, Sort.UPDATED])
@pytest.mark.parametrize("text", ["reading", "phonics"])
def test_search_pages_read_in_turn_equal_one_long_page(app, crowded, sort, text):
    with in_app(app):
        filters = DirectoryFilters(text=text, sort=sort)
        one_page = [product.id for product in search_products(filters, 1, 100, district_today()).items]
        assert _walk(filters, per_page=4) == one_page
        assert len(one_page) == (12 if text == "reading" else 6)
        assert len(set(one_page)) == len(one_page)


def test_element_page_pages_follow_name_then_id(app, crowded):
    with in_app(app):
        element = db.session.get(DataElement, crowded)
        walked, page = [], 1
        while True:
            result = element_receivers(element, page, 5)
            walked += [use.product for use in result.items]
            if not result.has_next:
                break
            page += 1
        assert [p.id for p in walked] == [p.id for p in sorted(walked, key=lambda p: (p.name, p.id))]
        listed = db.session.scalars(
            select(Product.id)
            .join(Product.vendor)
            .where(Product.status != ProductStatus.RETIRED, Vendor.is_retired.is_(False))
        )
        assert sorted(p.id for p in walked) == sorted(listed)
        assert result.total == len(walked) == 12


def test_filter_selects_draw_the_same_markup_as_wtforms():
    """The directory draws its ~150 options with its own widget; it must match WTForms' markup, escaping included."""
    category = Choice(1, "health", 'Health & "care" <notes>')
    options = FilterOptions(
        elements=[
            Choice(2, "birth", "Date of <birth>", category),
            Choice(3, "allergy", "Allergies", category),
            Choice(4, "id", "Local ID", Choice(5, "ids", "Identifiers")),
        ],
        categories=[category],
        schools=[Choice(6, "lincoln", "Lincoln & Sons")],
    )
    form = DirectoryForm(MultiDict({"element": "allergy", "school": "lincoln", "sort": "vendor"}), options)
    assert form.ignored_fields() == []
    for name in ("element", "category", "school", "status", "agreement", "sort"):
        assert form[name](class_="field__input") == Select()(form[name], class_="field__input")
    assert '<option selected value="allergy">Allergies</option>' in form.element()


def test_filter_select_refuses_a_value_that_is_not_a_choice():
    options = FilterOptions(elements=[], categories=[], schools=[Choice(6, "lincoln", "Lincoln")])
    form = DirectoryForm(MultiDict({"school": "nowhere", "element": "x"}), options)
    assert form.ignored_fields() == ["Data element", "School"]
    assert form.filters().school_id is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (DirectoryFilters(text="reading"), 12),
        (DirectoryFilters(text="phonics", status=StatusFilter.ALL), 6),
        (DirectoryFilters(text="nothing-matches-this"), 0),
        (DirectoryFilters(), 12),
    ],
)
def test_total_is_exact_on_every_page_and_past_the_last(app, crowded, filters, expected):
    """A search or an element filter counts its matches in the page's own query; a page past the
    last has no rows to carry that count, and counts them with the separate statement."""
    with in_app(app):
        today = district_today()
        with_element = DirectoryFilters(text=filters.text, status=filters.status, element_id=crowded)
        for each in (filters, with_element):
            totals = [search_products(each, page, 5, today).total for page in (1, 2, 3, 9)]
            assert totals == [expected] * 4, each

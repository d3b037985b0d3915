"""Reading the public change history: a product's recent revisions, the site-wide "what changed" list."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from flask import url_for
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Integer, Select, bindparam, exists, select

from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today

FEED_SIZE = 50


@dataclass(frozen=True)
class RevisionEntry:
    """A revision with the names and slugs of the vendor and product it is about, for links."""

    revision: DisclosureRevision
    vendor_name: str
    vendor_slug: str
    product_name: str | None
    product_slug: str | None

    @property
    def path(self) -> str:
        """The public page the revision is about, in the language being rendered: the product's, else the vendor's."""
        if self.product_slug:
            return url_for("directory.product", slug=self.product_slug)
        return url_for("directory.vendor", slug=self.vendor_slug)

    @property
    def subject(self) -> str:
        return f"{self.vendor_name}: {self.product_name}" if self.product_name else self.vendor_name

    @property
    def day(self) -> date:
        """The district calendar date of the revision."""
        return district_today(self.revision.occurred_at)


class _EntryPagination(SelectPagination):
    """`db.paginate` for a select of (revision, vendor and product names and slugs) rows."""

    def _query_items(self) -> list[Any]:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return [RevisionEntry(*row) for row in self._query_args["session"].execute(stmt)]


def _entries_select(vendor_id: int | None = None) -> Select:
    stmt = (
        select(DisclosureRevision, Vendor.name, Vendor.slug, Product.name, Product.slug)
        .join(Vendor, Vendor.id == DisclosureRevision.vendor_id)
        .outerjoin(Product, Product.id == DisclosureRevision.product_id)
        .order_by(DisclosureRevision.occurred_at.desc(), DisclosureRevision.id.desc())
    )
    if vendor_id is not None:
        stmt = stmt.where(DisclosureRevision.vendor_id == vendor_id)
    return stmt


# `recent_revisions`' statement, built once (the product bound as `product_id`, the number as `limit`).
RECENT_REVISIONS = (
    select(DisclosureRevision)
    .where(DisclosureRevision.product_id == bindparam("product_id"))
    .order_by(DisclosureRevision.occurred_at.desc(), DisclosureRevision.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def recent_revisions(product_id: int, limit: int = 5) -> list[DisclosureRevision]:
    """The product's latest public revisions, newest first (one query)."""
    return list(db.session.scalars(RECENT_REVISIONS, {"product_id": product_id, "limit": limit}))


def revisions_page(page: int, per_page: int, vendor_id: int | None = None) -> SelectPagination:
    """One page of every public revision, newest first; items are `RevisionEntry` (two queries)."""
    return _EntryPagination(
        select=_entries_select(vendor_id), session=db.session, page=page, per_page=per_page, error_out=False
    )


def feed_entries(limit: int = FEED_SIZE) -> list[RevisionEntry]:
    """The latest revisions for the Atom feed, newest first (one query)."""
    return [RevisionEntry(*row) for row in db.session.execute(_entries_select().limit(limit))]


def group_by_day(entries: Iterable[RevisionEntry]) -> list[tuple[date, list[RevisionEntry]]]:
    """Consecutive entries grouped by their district date (entries come newest first)."""
    return [(day, list(group)) for day, group in groupby(entries, key=lambda entry: entry.day)]


def vendors_with_revisions() -> list[tuple[int, str, str]]:
    """(id, name, slug) of each vendor that has a revision, by name: the choices of the vendor filter."""
    has_revision = exists().where(DisclosureRevision.vendor_id == Vendor.id)
    stmt = select(Vendor.id, Vendor.name, Vendor.slug).where(has_revision).order_by(Vendor.name)
    return [tuple(row) for row in db.session.execute(stmt)]

"""The digest: each subscriber's public changes, sent within the district's number of business days.

The daily sweep (`clearinghouse.sweep`) calls `digests` for each chunk of confirmed subscribers.
A subscriber's changes are the public disclosure revisions (audit: new products, data added or
removed, agreements signed, renewed or ended, destruction certified…) recorded after the last one
reported to it, before the sweep's day began, about what it follows: every revision for the whole
district; a product's own revisions; for a school, those of the products used there. Nothing else
reaches a digest, and revisions hold public facts only (clearinghouse/visibility.py).

They wait, to make one e-mail of several changes, until the sweep of the `digest_business_days`-th
business day (Monday to Friday) after the day of the oldest one (the setting: 5 by default, the
five business days Connecticut gives a district to post a new contract). A sweep that was missed
sends them on the next one.

Never twice: the digest's purpose key names the last revision reported before it, and the
subscriber's `reported_through` moves on with a conditional UPDATE; a second sweep (even at the
same time, in another process) finds nothing new, or loses the UPDATE and queues nothing. Never
lost: `reported_through` moves only past revisions that were reported, or that concern nothing
the subscriber follows, in the same transaction as the queued e-mail.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, select, union, update

from clearinghouse import i18n
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.audit.wording import revision_text
from clearinghouse.directory.models import Product, School, Vendor, product_school
from clearinghouse.extensions import db
from clearinghouse.i18n import configured_languages, default_language, path_in
from clearinghouse.notices.services import NoticeDraft
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.subscriptions.models import Scope, Subscriber, Subscription
from clearinghouse.subscriptions.services import SUBJECT_TYPE, links
from clearinghouse.timeutil import add_business_days, district_zone
from clearinghouse.urls import base_url

TEMPLATE = "subscription_digest"


@dataclass(frozen=True)
class Entry:
    """One change in a digest, in the subscriber's language, with the address of its public page."""

    revision: DisclosureRevision
    subject: str  # "Vendor: Product", or the vendor
    path: str  # in the subscriber's language
    day: date
    text: str  # the revision's sentence (audit.wording), in the subscriber's language


def confirmed_subscribers() -> Select:
    """The subscribers a digest may go to (the sweep reads them a chunk at a time)."""
    return select(Subscriber).where(Subscriber.confirmed_at.is_not(None))


def due_on(first_day: date, settings: DistrictSettings) -> date:
    """When the digest with a change of `first_day` goes out at the latest."""
    return add_business_days(first_day, max(settings.digest_business_days, 1))


def last_revision_before(cutoff: datetime) -> int:
    """The newest revision recorded before `cutoff` (0: none); a digest reports up to it."""
    stmt = select(func.coalesce(func.max(DisclosureRevision.id), 0)).where(DisclosureRevision.occurred_at < cutoff)
    return db.session.scalar(stmt)


def _relevant(subscriber_ids: list[int], through: int) -> dict[int, set[int]]:
    """{subscriber id: ids of the unreported revisions, up to `through`, about what it follows}.

    One query: a UNION of the three scopes, each an indexed join (a product's revisions by
    `product_id`, a school's through `product_school`), never a scan of every pair.
    """
    unreported = and_(DisclosureRevision.id > Subscriber.reported_through, DisclosureRevision.id <= through)
    base = (
        select(Subscription.subscriber_id, DisclosureRevision.id)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscription.subscriber_id.in_(subscriber_ids), Subscription.confirmed_at.is_not(None))
    )
    district = base.join(DisclosureRevision, unreported).where(Subscription.scope == Scope.DISTRICT)
    product = base.join(
        DisclosureRevision, and_(unreported, DisclosureRevision.product_id == Subscription.product_id)
    ).where(Subscription.scope == Scope.PRODUCT)
    school = (
        base.join(product_school, product_school.c.school_id == Subscription.school_id)
        .join(DisclosureRevision, and_(unreported, DisclosureRevision.product_id == product_school.c.product_id))
        .where(Subscription.scope == Scope.SCHOOL)
    )
    found: dict[int, set[int]] = defaultdict(set)
    for subscriber_id, revision_id in db.session.execute(union(district, product, school)):
        found[subscriber_id].add(revision_id)
    return found


def _revisions(ids: set[int]) -> dict[int, tuple]:
    """{id: (revision, vendor name, vendor slug, product name, product slug)} (one query)."""
    if not ids:
        return {}
    stmt = (
        select(DisclosureRevision, Vendor.name, Vendor.slug, Product.name, Product.slug)
        .join(Vendor, Vendor.id == DisclosureRevision.vendor_id)
        .outerjoin(Product, Product.id == DisclosureRevision.product_id)
        .where(DisclosureRevision.id.in_(ids))
    )
    return {row[0].id: tuple(row) for row in db.session.execute(stmt)}


class _Entries:
    """Each revision's entry in each language, made once for the whole chunk of subscribers."""

    def __init__(self, rows: dict[int, tuple]):
        self.rows = rows
        self.zone = district_zone()
        self.made: dict[tuple[int, str], Entry] = {}

    def get(self, revision_id: int, language: str) -> Entry:
        key = (revision_id, language)
        if key not in self.made:
            self.made[key] = self._make(self.rows[revision_id], language)
        return self.made[key]

    def _make(self, row: tuple, language: str) -> Entry:
        revision, vendor_name, vendor_slug, product_name, product_slug = row
        if product_slug:
            path = path_in("directory.product", language, slug=product_slug)
        else:
            path = path_in("directory.vendor", language, slug=vendor_slug)
        subject = f"{vendor_name}: {product_name}" if product_name else vendor_name
        with i18n.language(language):
            text = str(revision_text(revision))
        return Entry(revision, subject, path, revision.occurred_at.astimezone(self.zone).date(), text)


def _claim(subscriber: Subscriber, through: int) -> bool:
    """Move the subscriber's `reported_through` on, unless another sweep already did."""
    result = db.session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber.id, Subscriber.reported_through == subscriber.reported_through)
        .values(reported_through=through)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _follows(subscribers: list[Subscriber]) -> dict[int, list[Subscription]]:
    """What each subscriber follows, confirmed, with the products' and schools' names (one query)."""
    stmt = (
        select(Subscription, Product.name, School.name)
        .outerjoin(Product, Product.id == Subscription.product_id)
        .outerjoin(School, School.id == Subscription.school_id)
        .where(Subscription.subscriber_id.in_([s.id for s in subscribers]), Subscription.confirmed_at.is_not(None))
        .order_by(Subscription.id)
    )
    found: dict[int, list] = defaultdict(list)
    for subscription, product_name, school_name in db.session.execute(stmt):
        found[subscription.subscriber_id].append((subscription.scope, product_name or school_name or ""))
    return found


def digests(subscribers: list[Subscriber], today: date, settings: DistrictSettings, through: int) -> list[NoticeDraft]:
    """The digests due `today` for these subscribers, their progress recorded (a core: flushes only).

    `through` is `last_revision_before(day_start(today))`: changes of `today` wait for the next sweep.
    A subscriber with nothing new about what it follows has its progress moved on too, so that its
    next look starts later.
    """
    if not subscribers:
        return []
    relevant = _relevant([s.id for s in subscribers], through)
    rows = _revisions(set().union(*relevant.values()) if relevant else set())
    made = _Entries(rows)
    follows = _follows([s for s in subscribers if s.id in relevant])
    drafts = []
    quiet = [s.id for s in subscribers if s.id not in relevant and s.reported_through < through]
    if quiet:
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(quiet), Subscriber.reported_through < through)
            .values(reported_through=through)
            .execution_options(synchronize_session=False)
        )
    for subscriber in subscribers:
        ids = relevant.get(subscriber.id)
        if not ids:
            continue
        language = subscriber.language if subscriber.language in configured_languages() else default_language()
        entries = sorted(
            (made.get(i, language) for i in ids if i in rows),
            key=lambda e: (e.revision.occurred_at, e.revision.id),
        )
        if not entries or today < due_on(entries[0].day, settings):
            continue
        start = subscriber.reported_through
        if not _claim(subscriber, through):
            continue
        days: dict[date, list[Entry]] = defaultdict(list)
        for entry in entries:
            days[entry.day].append(entry)
        subscriber_links = links(subscriber, language)
        drafts.append(
            NoticeDraft(
                f"subscriber:{subscriber.id}:digest:{start}",
                [subscriber.email],
                TEMPLATE,
                {
                    "days": sorted(days.items()),
                    "count": len(entries),
                    "follows": follows.get(subscriber.id, []),
                    "business_days": max(settings.digest_business_days, 1),
                    "path": path_in("audit.changes", language),
                    "base": base_url(),
                    **subscriber_links,
                },
                subject_type=SUBJECT_TYPE,
                subject_id=subscriber.id,
                language=language,
                headers=unsubscribe_headers(subscriber_links["unsubscribe_url"], settings),
            )
        )
    return drafts


def unsubscribe_headers(unsubscribe_url: str, settings: DistrictSettings) -> dict[str, str]:
    """RFC 2369 and RFC 8058: the one-click https address (a POST unsubscribes), and the privacy
    office's address when the district has one (it can remove an address without seeing the list)."""
    targets = [f"<{unsubscribe_url}>"]
    office = (settings.privacy_office_email or "").strip()
    if office and "@" in office and not any(ch in office for ch in "<>,\r\n?"):
        targets.append(f"<mailto:{office}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

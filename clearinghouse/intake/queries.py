"""Reading tool requests: a requester's own, the privacy office's queue and counts, a request's
timeline, and what the district already knows about a tool (the check while a requester types)."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory import search
from clearinghouse.directory.models import Product, ProductKind, ProductStatus, School, Vendor, product_school
from clearinghouse.errors import NotFound
from clearinghouse.extensions import db
from clearinghouse.intake.models import (
    OPEN_STATES,
    SUBJECT_TYPE,
    Decision,
    RequestState,
    ToolRequest,
    ToolRequester,
    tool_request_school,
)
from clearinghouse.notices.queries import TimelineEntry, notice_entries
from clearinghouse.text import name_key
from clearinghouse.timeutil import district_today, to_district

APPROVED_STATUSES = tuple(
    status
    for status in ProductStatus
    if status.value in ("approved", "approved_with_conditions", "approved_no_student_data")
)
LOOKUP_LIMIT = 5
LINK_CANDIDATES = 10  # products offered on a request's page for linking it
FILTERS = {
    "new": (RequestState.NEW,),
    "waiting_for_vendor": (RequestState.WAITING_FOR_VENDOR,),
    "ready_to_decide": (RequestState.READY_TO_DECIDE,),
    "decided": (RequestState.DECIDED, RequestState.WITHDRAWN),
}
# A tab of one state is named by the state's label.
FILTER_LABELS = {
    name: states[0].label if len(states) == 1 else "Decided or withdrawn" for name, states in FILTERS.items()
}


def _request_options():
    return (
        joinedload(ToolRequest.product).joinedload(Product.vendor),
        selectinload(ToolRequest.schools),
        selectinload(ToolRequest.requesters).joinedload(ToolRequester.user),
    )


def get_request_or_404(request_id: int) -> ToolRequest:
    """Any request, for the privacy office."""
    tr = db.session.scalar(select(ToolRequest).where(ToolRequest.id == request_id).options(*_request_options()))
    if tr is None:
        raise NotFound("That tool request does not exist.")
    return tr


def get_own_request_or_404(request_id: int, user_id: int) -> ToolRequest:
    """A request the user asked for (or joined); anyone else's is a 404, as if it did not exist."""
    tr = db.session.scalar(
        select(ToolRequest)
        .join(ToolRequester, ToolRequester.request_id == ToolRequest.id)
        .where(ToolRequest.id == request_id, ToolRequester.user_id == user_id)
        .options(*_request_options())
    )
    if tr is None:
        raise NotFound("That tool request does not exist.")
    return tr


def list_own_requests(user_id: int, *, page: int, per_page: int):
    """The user's requests, newest first, with their products and schools (three queries + count)."""
    stmt = (
        select(ToolRequest)
        .join(ToolRequester, ToolRequester.request_id == ToolRequest.id)
        .where(ToolRequester.user_id == user_id)
        .options(joinedload(ToolRequest.product), selectinload(ToolRequest.schools))
        .order_by(ToolRequest.created_at.desc(), ToolRequest.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def list_queue(filter_name: str, *, page: int, per_page: int, total: int | None = None):
    """The privacy office's queue: one state's requests, oldest first (the longest waiting on top), or
    the decided ones, the latest first; each read in its index's order (migration
    20261126_intake_queue_indexes). `total`: the tab's count from `queue_counts`, so the page does not
    count again."""
    states = FILTERS.get(filter_name, FILTERS["new"])
    stmt = (
        select(ToolRequest)
        .where(ToolRequest.state.in_(states))
        .options(
            joinedload(ToolRequest.product).joinedload(Product.vendor),
            selectinload(ToolRequest.schools),
            selectinload(ToolRequest.requesters),
        )
    )
    if filter_name == "decided":
        stmt = stmt.order_by(ToolRequest.updated_at.desc(), ToolRequest.id.desc())
    else:
        stmt = stmt.order_by(ToolRequest.created_at, ToolRequest.id)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=total is None)
    if total is not None:
        pagination.total = total
    return pagination


def queue_counts() -> dict[str, int]:
    """How many requests each filter of the queue shows (one query, read from the state's index)."""
    by_state = dict(db.session.execute(select(ToolRequest.state, func.count()).group_by(ToolRequest.state)).all())
    return {name: sum(by_state.get(state, 0) for state in states) for name, states in FILTERS.items()}


def age_in_days(tr: ToolRequest, today: date | None = None) -> int:
    """How long the request has been open (or was, until it was decided), in the district's days."""
    today = today or district_today()
    return max(0, (today - to_district(tr.created_at).date()).days)


# --- what the district already knows -------------------------------------------------------


@dataclass
class Findings:
    """What a requester sees while typing a tool's name."""

    known: list[Product] = field(default_factory=list)  # products of that name, with their status
    open_requests: list[ToolRequest] = field(default_factory=list)  # under review: join instead
    overlap: list[Product] = field(default_factory=list)  # approved tools of the kind at their schools

    @property
    def empty(self) -> bool:
        return not (self.known or self.open_requests or self.overlap)


def products_named(name: str, *, limit: int) -> list[Product]:
    """Products not retired whose name holds every word typed as the start of a word (the
    directory's name search, `search.name_hits`), the exact name first, with their vendors: at
    most `limit`, in one query. Nothing for fewer than two letters."""
    key = name_key(name or "")[:200]
    terms = search.search_terms(name)
    if len(key) < 2 or not terms:
        return []
    hits = search.name_hits(terms)
    order = ((Product.name_key == key).desc(), Product.name)
    first = (  # a short word starts thousands of names: pick the first few, then load their vendors
        select(Product.id)
        .join(hits, hits.c.product_id == Product.id)
        .where(Product.status != ProductStatus.RETIRED)
        .order_by(*order)
        .limit(limit)
    )
    return list(
        db.session.scalars(
            select(Product)
            .join(Product.vendor)
            .where(Product.id.in_(first))
            .options(contains_eager(Product.vendor))
            .order_by(*order)
        )
    )


def lookup(name: str, *, kind: str | None = None, school_ids: list[int] | None = None) -> Findings:
    """Products (`products_named`) and open requests whose name holds every word typed as the start
    of a word; approved tools of the kind at the schools. At most LOOKUP_LIMIT of each, the exact
    name first, in three queries."""
    findings = Findings()
    key = name_key(name or "")[:200]
    terms = search.search_terms(name)
    if len(key) >= 2 and terms:
        findings.known = products_named(name, limit=LOOKUP_LIMIT)
        findings.open_requests = list(
            db.session.scalars(
                select(ToolRequest)
                .where(ToolRequest.state.in_(OPEN_STATES), search.names_start_words(ToolRequest.lookup_key, terms))
                .order_by((ToolRequest.name_key == key).desc(), ToolRequest.name)
                .limit(LOOKUP_LIMIT)
            )
        )
    if kind and school_ids:
        findings.overlap = overlap(kind, school_ids)
    return findings


def _in_use() -> ColumnElement[bool]:
    """A tool the district already uses: approved, from a vendor still listed (the lookup's overlap
    and the queue's say the same)."""
    return and_(
        Product.status.in_(APPROVED_STATUSES),
        Product.vendor_id.in_(select(Vendor.id).where(Vendor.is_retired.is_(False))),
    )


def overlap(kind: str, school_ids: list[int], *, exclude_product_id: int | None = None) -> list[Product]:
    """Approved tools of this kind (its slug) already used at any of these schools (one query)."""
    stmt = (
        select(Product)
        .where(
            Product.kind_id == select(ProductKind.id).where(ProductKind.slug == kind).scalar_subquery(),
            _in_use(),
            Product.id.in_(select(product_school.c.product_id).where(product_school.c.school_id.in_(school_ids))),
        )
        .options(joinedload(Product.vendor), selectinload(Product.schools))
        .order_by(Product.name)
        .limit(LOOKUP_LIMIT * 2)
    )
    if exclude_product_id:
        stmt = stmt.where(Product.id != exclude_product_id)
    return list(db.session.scalars(stmt))


OVERLAP_NAMES = 3  # the queue names this many overlapping tools per request


NAME_SEPARATOR = "\x1f"  # a control character: never in a name (services refuse them)


def overlap_for(requests: list[ToolRequest]) -> dict[int, list[str]]:
    """{request id: up to OVERLAP_NAMES approved tools of its kind at any of its schools, other than
    its own product, by name}, for a page of the queue, in one statement whose shape does not depend
    on the page: a row per request with one correlated subquery that stops at its few names (LIMIT,
    as a LATERAL join would; SQLite has none) and joins them into one string. Numbering every
    candidate pair with row_number(), or asking for the first few by name, read them all
    (bench/intake.py: 25,000 products, 60 schools)."""
    result: dict[int, list[str]] = {tr.id: [] for tr in requests}
    if not result:
        return result
    request_school = tool_request_school.alias("request_school")
    few = (
        select(Product.name.label("name"))
        .where(
            Product.kind_id == ToolRequest.kind_id,
            _in_use(),
            Product.id != func.coalesce(ToolRequest.product_id, 0),
            select(product_school.c.product_id)
            .join(request_school, request_school.c.school_id == product_school.c.school_id)
            .where(product_school.c.product_id == Product.id, request_school.c.request_id == ToolRequest.id)
            .correlate_except(product_school, request_school)
            .exists(),
        )
        .correlate(ToolRequest)
        .limit(OVERLAP_NAMES)
        .subquery("few")
    )
    names = select(func.aggregate_strings(few.c.name, NAME_SEPARATOR)).scalar_subquery()
    rows = db.session.execute(
        select(ToolRequest.id, names).where(ToolRequest.id.in_(bindparam("request_ids", expanding=True))),
        {"request_ids": list(result)},
    )
    for request_id, joined in rows:
        result[request_id] = sorted(joined.split(NAME_SEPARATOR)) if joined else []
    return result


# --- the request's page --------------------------------------------------------------------


EVENT_TITLES = {
    "tool_request.opened": "Request sent",
    "tool_request.joined": "Another requester joined",
    "tool_request.left": "A requester withdrew",
    "tool_request.linked": "Linked to the directory's product",
    "tool_request.vendor_invited": "Vendor invited to declare its data",
    "tool_request.waiting_for_vendor": RequestState.WAITING_FOR_VENDOR.label,
    "tool_request.declaration_arrived": "The vendor's declaration arrived: ready to decide",
    "tool_request.decided": "Decided",
    "tool_request.withdrawn": "Request withdrawn",
}


def timeline(tr: ToolRequest, *, for_staff: bool = True) -> list[TimelineEntry]:
    """Everything that happened to a request, oldest first: its audit events and (for staff) notices.
    A requester's timeline names no one and carries no e-mail."""
    entries: list[TimelineEntry] = []
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == ToolRequest.__tablename__, AuditEvent.record_id == tr.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    for event in events:
        title = EVENT_TITLES.get(event.action, event.action)
        detail = ""
        if event.action == "tool_request.decided":
            decision = (event.changes.get("decision") or [None, None])[1]
            title = f"Decided: {Decision(decision).label}" if decision in set(Decision) else title
            detail = (event.changes.get("decision_note") or [None, ""])[1] or ""
        elif event.action == "tool_request.withdrawn":
            detail = (event.changes.get("state_reason") or [None, ""])[1] or ""
        if for_staff:
            detail = event.actor_label + (f": {detail}" if detail else "")
        entries.append(TimelineEntry(event.occurred_at, title, detail))
    if for_staff:
        entries += notice_entries(SUBJECT_TYPE, tr.id)
    entries.sort(key=lambda entry: entry.at)
    return entries


@dataclass
class LinkChoices:
    """What the officer may link a request to: the product linked now (if any), then the products
    whose name holds the words searched for (`products_named`), each once."""

    words: str
    products: list[Product]
    found_none: bool  # the words matched no product's name

    def choices(self) -> list[tuple[int, str]]:
        return [(p.id, f"{p.vendor.name}: {p.name} ({p.status.label})") for p in self.products]


def link_choices(tr: ToolRequest, words: str) -> LinkChoices:
    """The products offered for linking `tr`, found by `words` (at most LINK_CANDIDATES)."""
    found = products_named(words, limit=LINK_CANDIDATES)
    linked = [tr.product] if tr.product is not None else []
    return LinkChoices(words, linked + [p for p in found if p.id != tr.product_id], found_none=not found)


def kind_choices() -> list[tuple[str, str]]:
    """(slug, name) of the kinds of product offered, in the district's order."""
    return [
        (slug, name)
        for slug, name in db.session.execute(
            select(ProductKind.slug, ProductKind.name)
            .where(ProductKind.is_retired.is_(False))
            .order_by(ProductKind.position, ProductKind.name)
        )
    ]


def school_choices() -> list[tuple[int, str]]:
    return [
        (sid, name)
        for sid, name in db.session.execute(
            select(School.id, School.name).where(School.is_retired.is_(False)).order_by(School.name)
        )
    ]


def dashboard_counts() -> dict[str, int]:
    """What waits on whom: the privacy office (new, ready to decide) and vendors (waiting for them)."""
    return queue_counts()

"""Two writers of kept counts on PostgreSQL: opposite moves never deadlock, and every count stays exact.

Triggers keep counts in shared rows (a status's products, an element's receivers, a school's
products, a category's, a kind's, agreements per term; migrations 20261126_*). When each trigger
changed its rows at once, a writer held them until it committed: writer A moved a product out of
"approved" and, in a second statement, another one into "under review" while writer B did the
opposite, each waited for the other's row, and PostgreSQL aborted one with `deadlock detected`
(40P01). The triggers now only note what their rows change; the notes are applied when the writer
commits, the rows locked in one order (migration 20261126_kept_counts_at_commit,
clearinghouse/kept_counts.py).

Each round: A runs its first statement, B its first, then both their second, each needing the rows
the other's first statement changed. After each scenario every kept count equals a fresh count.
"""

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from clearinghouse import kept_counts, kept_counts_check
from clearinghouse.directory.models import ProductStatus, StatedAgreementStatus
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app
from tests.directory import test_headline_counts
from tests.reports import test_agreement_standing_counts

ROUNDS = 50
STEP_SECONDS = 10  # a writer's wait for the other's first statement; a deadlock is found after 1 s

TOGGLE_STATUS = sa.text(
    "UPDATE product SET status = CASE WHEN status = :one THEN :other ELSE :one END WHERE id = :product"
)
TOGGLE_ELEMENT = sa.text(
    "UPDATE data_use SET data_element_id = CASE WHEN data_element_id = :one THEN :other ELSE :one END "
    "WHERE product_id = :product"
)
TOGGLE_SCHOOL = sa.text(
    "UPDATE product_school SET school_id = CASE WHEN school_id = :one THEN :other ELSE :one END "
    "WHERE product_id = :product"
)
TOGGLE_EXPIRY = sa.text(
    "UPDATE agreement SET expires_on = CASE WHEN expires_on = :one THEN :other ELSE :one END WHERE id = :agreement"
)

Step = tuple[sa.TextClause, dict[str, object]]


def _status(product, one: ProductStatus, other: ProductStatus) -> Step:
    return TOGGLE_STATUS, {"product": product.id, "one": str(one), "other": str(other)}


def _element(product, one, other) -> Step:
    return TOGGLE_ELEMENT, {"product": product.id, "one": one.id, "other": other.id}


def _school(product, one, other) -> Step:
    return TOGGLE_SCHOOL, {"product": product.id, "one": one.id, "other": other.id}


def _expiry(agreement, one: date, other: date) -> Step:
    return TOGGLE_EXPIRY, {"agreement": agreement.id, "one": one, "other": other}


def _catalog() -> dict[str, tuple[list[Step], list[Step]]]:
    """Each scenario's two writers: A's two statements and B's, the second of each needing the rows
    the first of the other changed. The writers share no other row (their own vendor, stated
    agreement status and kind), so without the kept counts neither would wait for the other."""
    approved, conditions = ProductStatus.APPROVED, ProductStatus.APPROVED_WITH_CONDITIONS
    review, refused = ProductStatus.UNDER_REVIEW, ProductStatus.NOT_APPROVED
    elements = [factories.make_element(factories.make_category(name=f"Category {n}")) for n in range(4)]
    schools = [factories.make_school(name=f"School {n}") for n in range(4)]
    # Every element keeps a receiver, so that the home page's count of received elements stays put.
    factories.make_product(factories.make_vendor(name="Vendor C"), kind="other", elements=elements)

    ends = [date(2027, 6, 30 - n) for n in range(4)]

    def writer(name: str, stated: StatedAgreementStatus, kind: str) -> Callable[..., tuple[object, object]]:
        vendor = factories.make_vendor(name=f"Vendor {name}")

        def product(status: ProductStatus, element, school, end: date) -> tuple[object, object]:
            made = factories.make_product(
                vendor, status=status, agreement_status=stated, kind=kind, elements=[element], schools=[school]
            )
            signed = date(2025, 7, 1)
            # Its sole agreement: a term group moved moves its products' uses (agreement_term_element_count).
            return made, factories.make_agreement(vendor, [made], signed_on=signed, effective_on=signed, expires_on=end)

        return product

    a = writer("A", StatedAgreementStatus.REQUESTED, "learning_platform")
    b = writer("B", StatedAgreementStatus.NOT_REQUIRED, "assessment")
    (a_first, a_term), (a_second, a_later) = (
        a(approved, elements[0], schools[0], ends[0]),
        a(review, elements[2], schools[2], ends[2]),
    )
    (b_first, b_term), (b_second, b_later) = (
        b(review, elements[2], schools[2], ends[2]),
        b(approved, elements[0], schools[0], ends[0]),
    )
    db.session.commit()
    return {
        "statuses": (
            [_status(a_first, approved, conditions), _status(a_second, review, refused)],
            [_status(b_first, review, refused), _status(b_second, approved, conditions)],
        ),
        "data uses between elements": (
            [_element(a_first, elements[0], elements[1]), _element(a_second, elements[2], elements[3])],
            [_element(b_first, elements[2], elements[3]), _element(b_second, elements[0], elements[1])],
        ),
        "school links": (
            [_school(a_first, schools[0], schools[1]), _school(a_second, schools[2], schools[3])],
            [_school(b_first, schools[2], schools[3]), _school(b_second, schools[0], schools[1])],
        ),
        "agreement term groups": (
            [_expiry(a_term, ends[0], ends[1]), _expiry(a_later, ends[2], ends[3])],
            [_expiry(b_term, ends[2], ends[3]), _expiry(b_later, ends[0], ends[1])],
        ),
        "across tables": (
            [_status(a_first, approved, conditions), _element(a_second, elements[2], elements[3])],
            [_element(b_first, elements[2], elements[3]), _status(b_second, approved, conditions)],
        ),
    }


def _run_round(engine: sa.Engine, first: list[Step], second: list[Step]) -> list[BaseException]:
    """A's first statement, B's first, then both second statements at once; each commits."""
    a_done = threading.Event()
    both_done = threading.Barrier(2, timeout=STEP_SECONDS)
    errors: list[BaseException] = []

    def write(steps: list[Step], before_first: threading.Event | None, after_first: threading.Event | None):
        try:
            with engine.begin() as conn:
                if before_first is not None and not before_first.wait(STEP_SECONDS):
                    raise TimeoutError("the other writer's first statement never ran")
                conn.execute(*steps[0])
                if after_first is not None:
                    after_first.set()
                both_done.wait()
                conn.execute(*steps[1])
        except BaseException as err:  # surfaced by the caller's assertion
            errors.append(err)
            a_done.set()
            both_done.abort()

    writers = [
        threading.Thread(target=write, args=(first, None, a_done)),
        threading.Thread(target=write, args=(second, a_done, None)),
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(3 * STEP_SECONDS)
    return errors


def _check_every_kept_count() -> None:
    assert kept_counts_check.check() == []  # every kept count, the search vocabulary's words too
    test_headline_counts.check()  # and what the home page and the reports derive from them, on several days
    test_agreement_standing_counts.check()


SCENARIOS = ["statuses", "data uses between elements", "school links", "agreement term groups", "across tables"]


@pytest.mark.postgres_only
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_writers_moving_counts_in_opposite_orders_never_deadlock_and_every_count_stays_exact(app, scenario):
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL's concurrent writers")
        first, second = _catalog()[scenario]
        _check_every_kept_count()
        for round_number in range(ROUNDS):
            errors = _run_round(db.engine, first, second)
            assert errors == [], f"round {round_number + 1}: {errors!r}"
        _check_every_kept_count()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {kept_counts.TABLE}")).scalar() == 0, "notes committed"


# Kept rows of every table the writers' commits lock, made wrong before each round of the repair's test.
CORRUPT = [
    "UPDATE product_status_count SET product_count = product_count + 1",
    "UPDATE data_element SET receiver_count = receiver_count + 1",
    "UPDATE data_category SET product_count = product_count + 1",
    "UPDATE school SET product_count = product_count + 1",
    "UPDATE school_element_count SET product_count = product_count + 1",
    "UPDATE vendor SET product_count = product_count + 1",
    "UPDATE agreement_term_count SET agreement_count = agreement_count + 1",
    "UPDATE agreement_term_element_count SET product_count = product_count + 1",
    "UPDATE product SET school_names = 'Nowhere'",
    "UPDATE product SET received_element_ids = ',0,'",
]


def _repair_beside(app, engine: sa.Engine, steps: list[Step]) -> list[BaseException]:
    """The writer's first statement, then the repair in another connection while the writer runs its second
    statement and commits."""
    started = threading.Event()
    errors: list[BaseException] = []

    def repair() -> None:
        try:
            if not started.wait(STEP_SECONDS):
                raise TimeoutError("the writer's first statement never ran")
            with app.app_context():
                assert kept_counts_check.repair(), "the counts made wrong were repaired"
        except BaseException as err:  # surfaced by the caller's assertion
            errors.append(err)

    def write() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(*steps[0])
                started.set()
                time.sleep(0.02)  # the repair starts; the writer's commit then meets its locks, or it the writer's
                conn.execute(*steps[1])
        except BaseException as err:
            errors.append(err)
            started.set()

    threads = [threading.Thread(target=repair), threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(3 * STEP_SECONDS)
    return errors


@pytest.mark.postgres_only
@pytest.mark.parametrize("scenario", ["statuses", "school links", "across tables"])
def test_the_repair_beside_a_writer_never_deadlocks_and_leaves_every_count_exact(app, scenario):
    """Each round: the kept rows made wrong, then writer A's two statements with the repair running beside
    them (it locks the rows A's commit needs, in the same order); afterwards every count is exact."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL's concurrent writers")
        first, _second = _catalog()[scenario]
        for round_number in range(ROUNDS // 5):
            with db.engine.begin() as conn:
                for statement in CORRUPT:
                    conn.execute(sa.text(statement))
            errors = _repair_beside(app, db.engine, first)
            assert errors == [], f"round {round_number + 1}: {errors!r}"
            _check_every_kept_count()

"""Queueing a batch of notices at once (the sweep's path): one key check, one insert, races absorbed."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice
from clearinghouse.settings.services import ensure_settings
from tests import factories
from tests.conftest import in_app
from tests.notices.racing import competing_insert

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _drafts(*specs: tuple[str, list[str]]) -> list[notices.NoticeDraft]:
    agreement = factories.make_agreement(factories.make_vendor(), reference="NDPA 2025")
    context = {"agreement": agreement, "days_left": 30, "ends_on": date(2027, 3, 31), "path": "/staff/"}
    return [
        notices.NoticeDraft(key, recipients, "agreement_expiring", context, "agreement", agreement.id)
        for key, recipients in specs
    ]


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notice))


def test_a_batch_queues_each_new_key_once_in_order_and_skips_the_rest(app):
    with in_app(app):
        notices.queue_notices(_drafts(("k:1", ["a@example.com"])), now=NOW)
        db.session.commit()
        queued = notices.queue_notices(
            _drafts(
                ("k:2", ["b@example.com"]),
                ("k:1", ["a@example.com"]),  # already in the outbox
                ("k:3", [" ", ""]),  # nobody to write to
                ("k:2", ["other@example.com"]),  # twice in the batch: the first wins
                ("k:4", ["D@Example.com"]),
            ),
            now=NOW,
        )
        assert [(n.purpose_key, n.recipients) for n in queued] == [("k:2", "b@example.com"), ("k:4", "d@example.com")]
        assert all(n.id is not None and n.subject.startswith("Our School District") for n in queued)
        db.session.commit()
        assert _count() == 3


def test_a_batch_that_loses_a_race_for_one_key_still_queues_the_others(app):
    """Another connection commits one of the batch's keys between the check and the INSERT."""
    with in_app(app):
        ensure_settings()
        db.session.commit()
        drafts = _drafts(("race:a", ["a@example.com"]), ("race:b", ["b@example.com"]), ("race:c", ["c@example.com"]))
        with competing_insert("race:b", NOW) as raced:
            queued = notices.queue_notices(drafts, now=NOW)
        assert raced
        assert [n.purpose_key for n in queued] == ["race:a", "race:c"]
        db.session.commit()  # the caller's transaction was not aborted
        assert dict(db.session.execute(select(Notice.purpose_key, Notice.recipients)).all()) == {
            "race:a": "a@example.com",
            "race:b": "x@example.com",
            "race:c": "c@example.com",
        }

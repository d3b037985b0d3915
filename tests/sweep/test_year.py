"""A year of daily sweeps over a small fixed district, with the exact notices expected."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from clearinghouse import sweep
from clearinghouse.accounts.models import User
from clearinghouse.agreements.models import Agreement
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, DisposalMethod, RequestStatus
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice, NoticeStatus
from tests import factories
from tests.conftest import in_app

START = date(2027, 1, 1)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _build() -> dict[str, int]:
    officer = factories.make_user(role="officer", email="officer@district.example")

    def vendor(name: str):
        return factories.make_vendor(name=name, contact_email=f"privacy@{name.lower()}.example")

    v = {name: vendor(name) for name in ("Alpha", "Beta", "Gamma", "Delta", "Eps", "Zeta", "Eta", "Theta")}
    factories.make_user(role="vendor", email="pat@alpha.example", vendor=v["Alpha"])
    product = factories.make_product(v["Alpha"], name="Alpha Reader")
    ids = {
        "officer": officer.id,
        "alpha_user": db.session.scalar(select(User.id).where(User.email == "pat@alpha.example")),
        # ends Mar 31, not renewed: warned, request opened Apr 1 (due May 31); rejected once, then certified
        "expiring": factories.make_agreement(v["Alpha"], [product], reference="A", expires_on=date(2027, 3, 31)).id,
        # terminated Feb 15 with a 30-day window: request due Mar 17, never answered
        "terminated": factories.make_agreement(
            v["Beta"],
            reference="B",
            expires_on=date(2028, 6, 30),
            terminated_on=date(2027, 2, 15),
            termination_reason="Breach",
            destruction_window_days=30,
        ).id,
        # ends Jun 30, renewed on Apr 15 by its successor: one warning, no request
        "renewed": factories.make_agreement(v["Gamma"], reference="C", expires_on=date(2027, 6, 30)).id,
        "successor": factories.make_agreement(
            v["Gamma"],
            reference="C2",
            signed_on=date(2027, 4, 15),
            effective_on=date(2027, 7, 1),
            expires_on=date(2030, 6, 30),
        ).id,
        # rolls on every year: never warned, never ends
        "auto": factories.make_agreement(v["Delta"], reference="D", expires_on=date(2027, 3, 31), auto_renews=True).id,
        "open_ended": factories.make_agreement(v["Eps"], reference="E", expires_on=None).id,
        # ends Nov 15 with a 45-day window: request issued Nov 16, due Dec 31
        "late": factories.make_agreement(
            v["Zeta"], reference="F", expires_on=date(2027, 11, 15), destruction_window_days=45
        ).id,
        # never signed: nothing at all
        "draft": factories.make_agreement(
            v["Eta"], reference="G", signed_on=None, effective_on=None, expires_on=date(2027, 2, 1)
        ).id,
        "theta": v["Theta"].id,
    }
    return ids


def _request_for(agreement_id: int) -> DestructionRequest:
    return db.session.scalar(select(DestructionRequest).where(DestructionRequest.agreement_id == agreement_id))


def _submit(ids, dr, day: date) -> DisposalCertificate:
    with unit_of_work():
        return services.submit_certificate(
            dr,
            actor=db.session.get(User, ids["alpha_user"]),
            stored_file=factories.make_stored_pdf(),
            signature_report={"signed": False, "signatures": []},
            signer_name="Pat Lee",
            signer_title="CTO",
            disposed_on=day,
            method=DisposalMethod.OVERWRITE,
            method_other="",
            attests_all_copies=True,
            now=_noon(day),
        )


def _weeks(request_id: int, first: int, last: int) -> set[str]:
    return {f"request:{request_id}:overdue-week-{n}" for n in range(first, last + 1)}


def test_a_year_of_daily_sweeps_sends_exactly_the_expected_notices_once(app, smtp_server):
    with in_app(app):
        ids = _build()
    certificates: dict[str, int] = {}
    district_request_id = None
    for offset in range(365):
        day = START + timedelta(days=offset)
        with in_app(app):
            officer = db.session.get(User, ids["officer"])
            if day == date(2027, 4, 15):  # the renewal is recorded
                renewed = db.session.get(Agreement, ids["renewed"])
                renewed.renewed_by_id = ids["successor"]
                db.session.commit()
            if day == date(2027, 6, 10):
                certificates["first"] = _submit(ids, _request_for(ids["expiring"]), day).id
            if day == date(2027, 6, 11):
                with unit_of_work():
                    services.reject_certificate(
                        db.session.get(DisposalCertificate, certificates["first"]), "Not signed.", actor=officer
                    )
            if day == date(2027, 6, 15):
                certificates["second"] = _submit(ids, _request_for(ids["expiring"]), day).id
            if day == date(2027, 6, 16):
                with unit_of_work():
                    services.accept_certificate(
                        db.session.get(DisposalCertificate, certificates["second"]), actor=officer, today=day
                    )
            if day == date(2027, 8, 2):  # an officer's own directive, due in 10 days
                draft = services.RequestDraft(vendor_id=ids["theta"], reason="Pilot ended.", due_on=date(2027, 8, 12))
                with unit_of_work():
                    district_request_id = services.open_destruction_request(draft, actor=officer, today=day).id
            if day == date(2027, 8, 20):
                with unit_of_work():
                    services.withdraw_request(
                        db.session.get(DestructionRequest, district_request_id),
                        "Data was never sent.",
                        actor=officer,
                        today=day,
                    )
            sweep.run(day, now=_noon(day))

    with in_app(app):
        a = _request_for(ids["expiring"])
        b = _request_for(ids["terminated"])
        f = _request_for(ids["late"])
        assert _request_for(ids["renewed"]) is None
        assert _request_for(ids["auto"]) is None
        assert _request_for(ids["open_ended"]) is None
        assert _request_for(ids["draft"]) is None
        assert (a.issued_on, a.due_on, a.status, a.closed_on) == (
            date(2027, 4, 1),
            date(2027, 5, 31),
            RequestStatus.ACCEPTED,
            date(2027, 6, 16),
        )
        assert (b.issued_on, b.due_on, b.status) == (date(2027, 2, 15), date(2027, 3, 17), RequestStatus.OPEN)
        assert (f.issued_on, f.due_on) == (date(2027, 11, 16), date(2027, 12, 31))
        first, second, theta = certificates["first"], certificates["second"], district_request_id
        expected = {
            f"agreement:{ids['expiring']}:expires-in-90",  # Jan 1 (89 days left: catching up)
            f"agreement:{ids['expiring']}:expires-in-60",
            f"agreement:{ids['expiring']}:expires-in-30",
            f"agreement:{ids['expiring']}:expires-in-7",
            f"agreement:{ids['renewed']}:expires-in-90",  # Apr 1; renewed Apr 15: no more
            f"agreement:{ids['late']}:expires-in-90",
            f"agreement:{ids['late']}:expires-in-60",
            f"agreement:{ids['late']}:expires-in-30",
            f"agreement:{ids['late']}:expires-in-7",
            # Alpha: overdue Jun 1, first certificate Jun 10, rejected Jun 11, second Jun 15, accepted Jun 16
            *{f"request:{a.id}:{mark}" for mark in ("issued", "due-in-14", "due-in-3", "due-today", "escalated")},
            *_weeks(a.id, 1, 2),
            f"request:{a.id}:certificate:{first}",
            f"request:{a.id}:certificate:{first}:rejected",
            f"request:{a.id}:certificate:{second}",
            f"request:{a.id}:certificate:{second}:accepted",
            # Beta: due Mar 17, overdue every week to the end of the year (289 days: 41 weeks)
            *{f"request:{b.id}:{mark}" for mark in ("issued", "due-in-14", "due-in-3", "due-today", "escalated")},
            *_weeks(b.id, 1, 41),
            # Zeta: issued Nov 16, due Dec 31
            *{f"request:{f.id}:{mark}" for mark in ("issued", "due-in-14", "due-in-3", "due-today")},
            # Theta: issued Aug 2 due Aug 12 (the 14-day mark was before the issue), withdrawn Aug 20
            *{
                f"request:{theta}:{mark}"
                for mark in ("issued", "due-in-3", "due-today", "escalated", "overdue-week-1", "withdrawn")
            },
        }
        notices = db.session.scalars(select(Notice)).all()
        keys = [n.purpose_key for n in notices]
        assert len(keys) == len(set(keys))
        assert set(keys) == expected
        assert {n.status for n in notices} == {NoticeStatus.SENT}
        # When they went: a few spot checks on the calendar.
        created = {n.purpose_key: n.created_at.date() for n in notices}
        assert created[f"agreement:{ids['expiring']}:expires-in-60"] == date(2027, 1, 30)
        assert created[f"request:{a.id}:due-in-14"] == date(2027, 5, 17)
        assert created[f"request:{a.id}:escalated"] == date(2027, 6, 1)
        assert created[f"request:{a.id}:overdue-week-2"] == date(2027, 6, 14)
        assert created[f"request:{b.id}:issued"] == date(2027, 2, 15)
        assert created[f"request:{b.id}:overdue-week-41"] == date(2027, 12, 29)
        assert created[f"request:{theta}:due-in-3"] == date(2027, 8, 9)
        # The public record: each ended agreement once, and the certification.
        summaries = sorted(db.session.scalars(select(DisclosureRevision.summary)))
        assert summaries == sorted(
            [
                "Alpha's agreement expired on March 31, 2027; the district has asked for the data to be destroyed.",
                "Alpha: data destruction certified on June 16, 2027.",
                "Beta's agreement was terminated on February 15, 2027; "
                "the district has asked for the data to be destroyed.",
                "Zeta's agreement expired on November 15, 2027; the district has asked for the data to be destroyed.",
            ]
        )
        # Sweep actions are audited with no actor.
        opened = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "destruction_request.opened")).all()
        assert sorted(e.actor_label for e in opened) == ["System (daily sweep)"] * 3 + ["officer@district.example"]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.queued")).actor_id is None
    assert len(smtp_server.messages) == len(expected)
    vendor_mail = smtp_server.to("privacy@beta.example")
    assert len(vendor_mail) == 1 + 3 + 41  # issued, due-in-14/3/today, 41 weekly reminders

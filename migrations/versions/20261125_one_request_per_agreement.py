"""destruction: one request per agreement; a unique index on the agreement of waiting requests

The rule (clearinghouse.destruction.services, "One request per agreement"): an agreement has at
most one destruction request that is not withdrawn. Before it, the sweep opened a request for an
agreement that an officer had already directed by hand, so some agreements have two. This
migration withdraws each such second request that is still open (the vendor has not answered it),
keeping per agreement the request furthest along (certified, then under review, then open) and,
among equals, the first issued; each withdrawal is recorded in the audit log and its waiting
e-mails are cancelled. The vendor is not e-mailed about it.

Then the index backs the rule in the database: two requests of one agreement cannot both wait
(open, or with a certificate under review). Two requests that both wait for review cannot be
resolved here: the migration stops and names them, so that an officer accepts or rejects one
certificate before the upgrade runs again. The downgrade drops the index; withdrawals stay.

Revision ID: 6c1d8e5a2b47
Revises: 7c1e5a9b3d20
Create Date: 2026-11-25 10:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c1d8e5a2b47"
down_revision = "7c1e5a9b3d20"
branch_labels = None
depends_on = None

INDEX = "uq_destruction_request_agreement_waiting"
WAITING = "status IN ('open', 'submitted')"
PROGRESS = {"accepted": 0, "submitted": 1, "open": 2}  # lower is further along
ACTOR = "System (migration 20261125_one_request_per_agreement)"

request = sa.table(
    "destruction_request",
    sa.column("id", sa.Integer),
    sa.column("agreement_id", sa.Integer),
    sa.column("vendor_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("status_reason", sa.Text),
    sa.column("issued_on", sa.Date),
    sa.column("closed_on", sa.Date),
    sa.column("version", sa.Integer),
    sa.column("updated_at", sa.DateTime),
)
vendor = sa.table("vendor", sa.column("id", sa.Integer), sa.column("name", sa.String))
notice = sa.table(
    "notice",
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.Integer),
    sa.column("status", sa.String),
)
audit_event = sa.table(
    "audit_event",
    sa.column("occurred_at", sa.DateTime),
    sa.column("actor_label", sa.String),
    sa.column("ip_address", sa.String),
    sa.column("action", sa.String),
    sa.column("record_type", sa.String),
    sa.column("record_id", sa.Integer),
    sa.column("record_label", sa.String),
    sa.column("changes", sa.JSON),
)


def _withdraw_second_requests(bind) -> None:
    rows = bind.execute(
        sa.select(request.c.id, request.c.agreement_id, request.c.status, request.c.issued_on, vendor.c.name)
        .join(vendor, vendor.c.id == request.c.vendor_id)
        .where(request.c.agreement_id.is_not(None), request.c.status != "withdrawn")
        .order_by(request.c.agreement_id)
    ).all()
    by_agreement: dict[int, list] = {}
    for row in rows:
        by_agreement.setdefault(row.agreement_id, []).append(row)
    now = datetime.now(UTC)
    stamp = now if bind.dialect.name == "postgresql" else now.replace(tzinfo=None)
    for agreement_id, live in by_agreement.items():
        if len(live) < 2:
            continue
        kept, *others = sorted(live, key=lambda row: (PROGRESS[row.status], row.issued_on, row.id))
        for row in others:
            if row.status != "open":
                continue
            reason = (
                f"Withdrawn when the Clearinghouse was upgraded: agreement {agreement_id} already has "
                f"destruction request {kept.id}, and an agreement has one request."
            )
            bind.execute(
                request.update()
                .where(request.c.id == row.id, request.c.status == "open")
                .values(
                    status="withdrawn",
                    status_reason=reason,
                    closed_on=now.date(),
                    version=request.c.version + 1,
                    updated_at=stamp,
                )
            )
            bind.execute(
                notice.update()
                .where(
                    notice.c.subject_type == "destruction_request",
                    notice.c.subject_id == row.id,
                    notice.c.status == "queued",
                )
                .values(status="cancelled")
            )
            bind.execute(
                audit_event.insert().values(
                    occurred_at=stamp,
                    actor_label=ACTOR,
                    ip_address="",
                    action="destruction_request.withdrawn",
                    record_type="destruction_request",
                    record_id=row.id,
                    record_label=f"Destruction request {row.id} ({row.name})"[:300],
                    changes={
                        "status": ["open", "withdrawn"],
                        "status_reason": ["", reason],
                        "closed_on": [None, now.date().isoformat()],
                    },
                )
            )


def _check_no_two_waiting(bind) -> None:
    doubled = bind.execute(
        sa.select(request.c.agreement_id, sa.func.count())
        .where(sa.text(WAITING), request.c.agreement_id.is_not(None))
        .group_by(request.c.agreement_id)
        .having(sa.func.count() > 1)
    ).all()
    if doubled:
        agreements = ", ".join(str(agreement_id) for agreement_id, _ in doubled)
        raise RuntimeError(
            "These agreements each have two destruction requests with a certificate waiting for review: "
            f"{agreements}. Accept or reject one of the two certificates on /staff/requests, then run "
            "`flask db upgrade` again."
        )


def upgrade():
    bind = op.get_bind()
    _withdraw_second_requests(bind)
    _check_no_two_waiting(bind)
    op.create_index(
        INDEX,
        "destruction_request",
        ["agreement_id"],
        unique=True,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade():
    op.drop_index(INDEX, table_name="destruction_request")

"""directive reasons without internal fields: name the agreement by number, drop the termination reason

The daily sweep used to write the reason of the directive it opens for an ended agreement as
"The agreement <reference> was terminated on <date> (<termination reason>)." or "The agreement
<reference> expired on <date> and was not renewed.". The vendor reads that reason in the portal,
but the reference and the termination reason are staff only (clearinghouse/visibility.py), so
the requests already opened are reworded as the sweep now words them: "The agreement no. <id>
was terminated on <date>." and "The agreement no. <id> expired on <date> and was not renewed.".
Reasons that officers wrote themselves, and reasons already in the new words, are left alone.

The old wording cannot be rebuilt on the way down (the staff audit log keeps it), so the
downgrade changes nothing.

Revision ID: 7c1e4b9a2d63
Revises: 2f6a9d41c8b3
Create Date: 2026-11-23 10:00:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e4b9a2d63"
down_revision = "2f6a9d41c8b3"
branch_labels = None
depends_on = None

DAY = r"[A-Z][a-z]+ \d{1,2}, \d{4}"  # timeutil.format_date: "June 30, 2027"
TERMINATED = re.compile(rf"The agreement .*? (was terminated on {DAY})(?: \(.*\))?\.", re.DOTALL)
EXPIRED = re.compile(rf"The agreement .*? (expired on {DAY}) and was not renewed\.", re.DOTALL)


def reworded(reason: str, agreement_id: int) -> str | None:
    """The reason in the sweep's current words, or None when it needs no change."""
    for pattern, ending in ((TERMINATED, "."), (EXPIRED, " and was not renewed.")):
        match = pattern.fullmatch(reason)
        if match:
            new = f"The agreement no. {agreement_id} {match.group(1)}{ending}"
            return new if new != reason else None
    return None


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, agreement_id, reason FROM destruction_request "
            "WHERE origin = 'agreement_ended' AND agreement_id IS NOT NULL"
        )
    ).all()
    for request_id, agreement_id, reason in rows:
        new = reworded(reason, agreement_id)
        if new is not None:
            bind.execute(
                sa.text("UPDATE destruction_request SET reason = :reason WHERE id = :id"),
                {"reason": new, "id": request_id},
            )


def downgrade():
    pass

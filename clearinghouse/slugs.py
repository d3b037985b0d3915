"""URL slugs: readable, unique per table, stable once given."""

import unicodedata

from sqlalchemy import select

from clearinghouse.extensions import db

SLUG_MAX = 120


def slugify(text: str) -> str:
    """ASCII words joined by hyphens: "Ünïcode Math, Inc." → "unicode-math-inc"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in ascii_text).split()
    return "-".join(words)[:SLUG_MAX].strip("-") or "item"


def unique_slug(model: type[db.Model], text: str, *, exclude_id: int | None = None) -> str:
    """A slug for the text not yet used in the model's table, adding -2, -3… if needed.

    One query on the slug's unique index when the plain slug is free (the usual case); only when
    it is taken, a second one reads the slugs that begin with it (a LIKE that scans the table, which
    made every new product cost a scan of all the others).
    """
    base = slugify(text)
    # Slugs added in this session but not yet flushed count too.
    pending = {obj.slug for obj in db.session.new if isinstance(obj, model) and obj.slug}
    stmt = select(model.slug).where(model.slug == base)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if base not in pending and db.session.scalar(stmt.limit(1)) is None:
        return base
    stmt = select(model.slug).where(model.slug.like(f"{base}%"))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    taken = set(db.session.scalars(stmt)) | pending
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"

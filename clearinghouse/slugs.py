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
    """A slug for the text not yet used in the model's table (one query), adding -2, -3… if needed."""
    base = slugify(text)
    stmt = select(model.slug).where(model.slug.like(f"{base}%"))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    taken = set(db.session.scalars(stmt))
    # Slugs added in this session but not yet flushed count too.
    taken.update(obj.slug for obj in db.session.new if isinstance(obj, model) and obj.slug)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"

"""URL slugs: readable, unique per table, stable once given."""

import re
import unicodedata
from collections import Counter

from sqlalchemy import select

from clearinghouse.extensions import db

SLUG_MAX = 120
# What `slugify` makes: `url_for` puts such a slug in an address as it is (no quoting), so an address
# can be made from a prefix (directory.cards.Addresses, api.serializers.slug_url).
PLAIN_SLUG = re.compile(r"[a-z0-9-]+\Z")
SLUG_CHUNK = 500  # plain slugs asked about in one query (SQLite's bound parameters are limited)


def slugify(text: str) -> str:
    """ASCII words joined by hyphens: "Ünïcode Math, Inc." → "unicode-math-inc"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in ascii_text).split()
    return "-".join(words)[:SLUG_MAX].strip("-") or "item"


def unique_slug(model: type[db.Model], text: str, *, exclude_id: int | None = None) -> str:
    """A slug for the text not yet used in the model's table, adding -2, -3… if needed (`unique_slugs`)."""
    return unique_slugs(model, [text], exclude_id=exclude_id)[0]


def unique_slugs(model: type[db.Model], texts: list[str], *, exclude_id: int | None = None) -> list[str]:
    """A slug for each text, in order, not yet used in the model's table nor by an earlier text of the
    list, adding -2, -3… if needed: what `unique_slug` would give each text in turn.

    One query on the slug's unique index for all the plain slugs (chunked); only for a slug that is
    taken or repeated, a second one reads the slugs that begin with it (a LIKE that scans the table,
    which made every new product cost a scan of all the others).
    """
    bases = [slugify(text) for text in texts]
    # Slugs added in this session but not yet flushed count too.
    taken = {obj.slug for obj in db.session.new if isinstance(obj, model) and obj.slug}
    distinct = sorted(set(bases))
    for start in range(0, len(distinct), SLUG_CHUNK):
        stmt = select(model.slug).where(model.slug.in_(distinct[start : start + SLUG_CHUNK]))
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        taken.update(db.session.scalars(stmt))
    counts = Counter(bases)
    for base in distinct:
        if base in taken or counts[base] > 1:
            stmt = select(model.slug).where(model.slug.like(f"{base}%"))
            if exclude_id is not None:
                stmt = stmt.where(model.id != exclude_id)
            taken.update(db.session.scalars(stmt))
    slugs = []
    for base in bases:
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs

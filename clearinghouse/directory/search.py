"""Searching the directory: a visitor's words made safe, and the full-text hits on either database."""

import unicodedata
from collections.abc import Sequence

from sqlalchemy import Float, Integer, column, func, literal_column, select, table

from clearinghouse.directory.search_index import SEARCH_TABLE
from clearinghouse.extensions import db

SEARCH_TEXT_MAX = 200  # characters of a visitor's search that are used
SEARCH_TERMS_MAX = 8

# Latin letters with diacritics and their plain letters. On PostgreSQL the search triggers fold the
# indexed text with SQL translate() and these same strings (copied into migration
# 20261122_directory_search; a test checks they match), and search terms are folded here, so
# "elan" finds "Élan" as FTS5's remove_diacritics does on SQLite.
FOLD_FROM = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆć"
    "ĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕ"
    "ŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟ"
    "ǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
)
FOLD_TO = (
    "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCc"
    "CcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRr"
    "RrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAa"
    "AaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"
)
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def _is_word_character(ch: str) -> bool:
    # The character classes of FTS5's unicode61 tokenizer: letters, numbers, private use.
    category = unicodedata.category(ch)
    return category[0] in "LN" or category == "Co"


def search_terms(text: str | None) -> list[str]:
    """The words of a visitor's search, lower-cased, each only letters and digits.

    Quotes, operators, punctuation, emoji, control characters and lone surrogates all act as
    spaces, so any input becomes a valid full-text query (or none at all).
    """
    text = unicodedata.normalize("NFKC", (text or "")[: SEARCH_TEXT_MAX * 2])[:SEARCH_TEXT_MAX]
    spaced = "".join(ch if _is_word_character(ch) else " " for ch in text)
    terms: list[str] = []
    for word in spaced.lower().split():
        if word not in terms:
            terms.append(word)
    return terms[:SEARCH_TERMS_MAX]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


_fts = table(SEARCH_TABLE, column("rowid", Integer), column("rank", Float))
_tsv = table(SEARCH_TABLE, column("product_id", Integer), column("document"))


def search_hits(terms: Sequence[str], ranked: bool = True):
    """A subquery of (product_id, relevance) for products matching every term (as a prefix).

    Lower relevance is a better match on both databases. Unranked, it has only product_id (for counts).
    """
    if _dialect() == "postgresql":
        query = func.to_tsquery("simple", " & ".join(f"{term.translate(_FOLD)}:*" for term in terms))
        relevance = (-func.ts_rank(_tsv.c.document, query)).label("relevance")
        return (
            select(_tsv.c.product_id.label("product_id"), *([relevance] if ranked else []))
            .where(_tsv.c.document.op("@@")(query))
            .subquery("hits")
        )
    # One or two letters match whole words only: a one-letter prefix would match most of the index.
    match = " ".join(f'"{term}"*' if len(term) > 1 else f'"{term}"' for term in terms)
    return (
        select(_fts.c.rowid.label("product_id"), *([_fts.c.rank.label("relevance")] if ranked else []))
        .where(literal_column(SEARCH_TABLE).op("MATCH")(match))
        .subquery("hits")
    )

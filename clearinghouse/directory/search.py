"""Searching the directory: a visitor's words made safe, the full-text hits on either database (with
the data their synonyms stand for), and "Did you mean …?" from the index's vocabulary."""

import bisect
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.sql.expression import ColumnElement

from clearinghouse import page_cache
from clearinghouse.directory.search_index import SEARCH_TABLE, VOCAB_TABLE
from clearinghouse.directory.search_synonyms import GROUPS
from clearinghouse.extensions import db
from clearinghouse.text import name_key as _name_key

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


def fold(word: str) -> str:
    """A search word with the Latin accents the index folds taken off ("médico" is "medico")."""
    return word.translate(_FOLD)


def lookup_key(name: str | None) -> str:
    """A name as `names_start_words` compares it: its `name_key` with the accents folded ("Élan
    Math" is "elan math"), as the index folds the names it holds."""
    return fold(_name_key(name))


def _phrases() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each synonym (folded) and the names of its targets, each a phrase of search words."""
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for group in GROUPS:
        names = [tuple(fold(word) for word in search_terms(target.name)) for target in group.targets]
        for word in (*group.english, *group.spanish):
            found = phrases.setdefault(fold(word.lower()), [])
            found.extend(name for name in names if name not in found)
    return {word: tuple(names) for word, names in phrases.items()}


SYNONYM_PHRASES = _phrases()


def data_phrases(term: str) -> tuple[tuple[str, ...], ...]:
    """The names of the data a search word stands for (`search_synonyms`), as phrases of words."""
    return SYNONYM_PHRASES.get(fold(term), ())


def _dialect() -> str:
    return db.session.get_bind().dialect.name


_fts = table(SEARCH_TABLE, column("rowid", Integer), column("rank", Float))
_tsv = table(
    SEARCH_TABLE,
    column("product_id", Integer),
    column("document"),
    # PostgreSQL only, kept by triggers (migration 20261126_search_sort_keys): product.name, its
    # vendor's name, and whether the product is listed (`queries.listed_clause`).
    column("name", String),
    column("vendor_name", String),
    column("listed", Boolean),
    # PostgreSQL only, kept by triggers (migration 20261128_search_agreement_keys): product.agreement_key and
    # product.agreement_status, what an agreement filter's rule reads of a product (`DirectoryFilters.hit_clauses`).
    column("agreement_key", Integer),
    column("agreement_status", String),
)


# The columns product_search keeps of each product that `search_hits(…, keyed=True)` gives with each hit.
_KEPT_COLUMNS = ("name", "vendor_name", "agreement_key", "agreement_status")


def hits_keep_sort_keys() -> bool:
    """Whether `search_hits(…, keyed=True)` gives the hits' sort keys and, `listed`, keeps only listed products
    (PostgreSQL); on SQLite (an FTS5 table without those columns) pages join product for them."""
    return _dialect() == "postgresql"


def _tsquery(terms: Sequence[str]) -> str:
    """PostgreSQL: each word as a prefix (one letter: whole), or a phrase of its data among the
    lexemes of weight D (the data column); words joined with AND."""
    groups = []
    for term in terms:
        options = [f"{fold(term)}:*" if len(term) > 1 else fold(term)]
        options += [" <-> ".join(f"{word}:D" for word in phrase) for phrase in data_phrases(term)]
        groups.append(options[0] if len(options) == 1 else "(" + " | ".join(f"({o})" for o in options) + ")")
    return " & ".join(groups)


def _fts_query(terms: Sequence[str]) -> str:
    """SQLite: the same query in FTS5's syntax; every word is quoted, so nothing is an operator."""
    groups = []
    for term in terms:
        # One letter matches whole words only: a one-letter prefix would match most of the index.
        options = [f'"{term}"*' if len(term) > 1 else f'"{term}"']
        options += [f'(data : "{" ".join(phrase)}")' for phrase in data_phrases(term)]
        groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(groups)


SEARCH_WORDS = "search_words"  # the bound parameter of `search_hits(…, bound=True)`


def search_words(terms: Sequence[str]) -> str:
    """The full-text query of `search_hits` for the terms, in the database's syntax: the value of
    its SEARCH_WORDS parameter when it is built `bound`."""
    return _tsquery(terms) if _dialect() == "postgresql" else _fts_query(terms)


def search_hits(
    terms: Sequence[str], ranked: bool = True, *, bound: bool = False, keyed: bool = False, listed: bool = False
):
    """A subquery of (product_id, relevance) for products matching every term (as a prefix).

    A word that stands for data (`search_synonyms`) also matches the products that receive that
    data. Lower relevance is a better match on both databases. Unranked, it has no relevance
    (for counts, and sorts by name). Either way it is one full-text query. `bound`: the query is the SEARCH_WORDS
    parameter, given when the statement runs (`search_words(terms)`), so that one statement serves
    every search (`terms` is then not read). `keyed` (only where `hits_keep_sort_keys()`): each hit with its
    `name` and `vendor_name`, read from the index's own rows, so that a page is sorted, counted and picked
    without reading product, and its product's `agreement_key` and `agreement_status`, which an agreement
    filter's rule reads; `listed` (with `keyed`): only the listed products.
    """
    words = bindparam(SEARCH_WORDS, type_=String) if bound else None
    if _dialect() == "postgresql":
        query = func.to_tsquery("simple", words if bound else _tsquery(terms))
        relevance = (-func.ts_rank(_tsv.c.document, query)).label("relevance")
        kept = [_tsv.c[name].label(name) for name in _KEPT_COLUMNS] if keyed else []
        hits = select(_tsv.c.product_id.label("product_id"), *([relevance] if ranked else []), *kept).where(
            _tsv.c.document.op("@@")(query), *([_tsv.c.listed.is_(True)] if listed else [])
        )
        # OFFSET 0 keeps PostgreSQL from merging this subquery into the page's: merged, it carried each
        # hit's whole document (~1.4 kB) through the joins and the window count (spilling to disk) and
        # ranked it last; kept apart, it ranks each hit where it is read and passes on two numbers.
        # A topic word's 2,000 hits: 97-119 ms → 64-68 ms (EXPLAIN ANALYZE, 25,000 products, load 9).
        return (hits.offset(0) if ranked else hits).subquery("hits")
    if keyed:
        raise ValueError("SQLite's search index keeps no sort keys: join product (hits_keep_sort_keys)")
    return (
        select(_fts.c.rowid.label("product_id"), *([_fts.c.rank.label("relevance")] if ranked else []))
        .where(literal_column(SEARCH_TABLE).op("MATCH")(words if bound else _fts_query(terms)))
        .subquery("hits")
    )


def name_hits(terms: Sequence[str]):
    """A subquery of product_id for the products whose own name holds every term as the start of a
    word ("stor mak" finds Story Maker; one letter, a whole word). The directory's index read on the
    name alone (weight A on PostgreSQL, FTS5's `name` column), with no synonyms: what someone typing
    a tool's name means (the intake's check for a tool the district already knows). One full-text
    query; `names_start_words` is its twin for the few rows the index does not hold."""
    if _dialect() == "postgresql":
        words = " & ".join(f"{fold(term)}:{'*' if len(term) > 1 else ''}A" for term in terms)
        query = func.to_tsquery("simple", words)
        return select(_tsv.c.product_id.label("product_id")).where(_tsv.c.document.op("@@")(query)).subquery("names")
    words = " AND ".join(f'"{term}"*' if len(term) > 1 else f'"{term}"' for term in terms)
    return (
        select(_fts.c.rowid.label("product_id"))
        .where(literal_column(SEARCH_TABLE).op("MATCH")(f"name : ({words})"))
        .subquery("names")
    )


def names_start_words(name_key: ColumnElement[str], terms: Sequence[str]) -> ColumnElement[bool]:
    """`name_hits`'s rule for a name outside the index (a stored `lookup_key`: casefolded, accents
    folded), for a short list such as the open tool requests: every term, folded, starts one of its
    words (one letter: is one)."""
    clauses = []
    for term in (fold(term) for term in terms):
        if len(term) > 1:
            clauses.append(
                or_(name_key.startswith(term, autoescape=True), name_key.contains(f" {term}", autoescape=True))
            )
        else:
            clauses.append(
                or_(
                    name_key == term,
                    name_key.startswith(f"{term} ", autoescape=True),
                    name_key.contains(f" {term} ", autoescape=True),
                    name_key.endswith(f" {term}", autoescape=True),
                )
            )
    return and_(*clauses)


# --- "Did you mean …?" ---------------------------------------------------------------------------

SUGGEST_BELOW = 3  # a search with fewer hits than this gets a spelling suggestion, if there is one
SUGGEST_MIN_LENGTH = 3  # shorter words are not corrected
SUGGEST_MIN_SCORE = 75  # rapidfuzz's ratio (0-100) a known word must reach
_vocab = table(VOCAB_TABLE, column("term", String))
# How each synonym is written (with its accents), to show it in a suggestion.
_SYNONYM_SPELLING = {fold(word.lower()): word for group in GROUPS for word in (*group.english, *group.spanish)}


def _correctable(term: str) -> bool:
    return len(term) >= SUGGEST_MIN_LENGTH and not any(ch.isdigit() for ch in term) and not data_phrases(term)


@dataclass(frozen=True)
class Lexicon:
    """The words a suggestion may use: the vocabulary's words of some first letters and the synonyms,
    sorted (for the prefix check) and by length (the candidates for a word)."""

    words: list[str]
    by_length: dict[int, list[str]]

    def knows_prefix(self, word: str) -> bool:
        """Whether a known word starts with `word` (the words that do follow it in sorted order)."""
        at = bisect.bisect_left(self.words, word)
        return at < len(self.words) and self.words[at].startswith(word)

    def knows(self, word: str) -> bool:
        at = bisect.bisect_left(self.words, word)
        return at < len(self.words) and self.words[at] == word

    def near_in_length(self, word: str) -> list[str]:
        return [other for size in range(len(word) - 3, len(word) + 4) for other in self.by_length.get(size, ())]


@page_cache.memoized_on_version
def lexicon(letter: str) -> Lexicon:
    """The index's words that begin with `letter`, and the synonyms (one query). Anonymous searches
    share it per data version, one per letter (so a worker keeps a few dozen at most, whatever the
    searches): the unknown words of a busy evening begin with a few letters, and reading and sorting a
    letter's thousands of words cost more than the rest of a suggestion."""
    rows = db.session.scalars(
        select(_vocab.c.term).where(_vocab.c.term >= letter, _vocab.c.term < chr(ord(letter) + 1))
    )
    known = set(_SYNONYM_SPELLING) | set(rows)
    by_length: dict[int, list[str]] = {}
    for word in known:
        by_length.setdefault(len(word), []).append(word)
    return Lexicon(words=sorted(known), by_length=by_length)


def surely_unmatched(terms: Sequence[str]) -> bool:
    """Whether no product can match the search, known without asking the index: some word is the start
    of no word of the index (one letter: is no word of it) and stands for no data. `search_hits`
    matches every word as such a start, or by its data, so the full-text query would find nothing.

    Judged only where `lexicon` is shared (anonymous reads kept per data version) and only for words
    of plain letters (accents folded), which both databases lower-case as Python does and read as one
    word: PostgreSQL reads some words with digits as two ("9e9e9" is "9e9" then "e9"). Anywhere else
    this says False and the full-text query answers. A busy evening's searches are mostly names the
    register does not hold: each is then answered with no query at all."""
    if not page_cache.reads_shared():
        return False
    for term in terms:
        word = fold(term)
        if not (word.isascii() and word.isalpha()) or data_phrases(term):
            continue
        known = lexicon(word[0])
        if not (known.knows_prefix(word) if len(word) > 1 else known.knows(word)):
            return True
    return False


def suggest(terms: Sequence[str]) -> str | None:
    """The search with each word the index does not know replaced by the nearest known word, or None.

    The known words are the index's vocabulary (`lexicon`: the words that begin with the same letter
    as a word to correct) and the synonyms; the nearest is the one with the best rapidfuzz ratio,
    then the one closest in length, then the first in alphabetical order.
    """
    changed = False
    suggestion = []
    for term in terms:
        word = fold(term)
        if not _correctable(term):
            suggestion.append(term)
            continue
        known = lexicon(word[0])
        if known.knows_prefix(word):
            suggestion.append(term)
            continue
        matches = process.extract(
            word, known.near_in_length(word), scorer=fuzz.ratio, score_cutoff=SUGGEST_MIN_SCORE, limit=None
        )
        if not matches:
            suggestion.append(term)
            continue
        best = min(matches, key=lambda match: (-match[1], abs(len(match[0]) - len(word)), match[0]))[0]
        suggestion.append(_SYNONYM_SPELLING.get(best, best))
        changed = True
    return " ".join(suggestion) if changed else None

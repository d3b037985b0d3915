"""Search finds what families type: the data a product receives, everyday words for it in English and
Spanish, misspellings with a "Did you mean …?", and any string at all without an error.

Run on both databases (TEST_DATABASE_URL=postgresql://127.0.0.1/test for PostgreSQL): every case
here expects the same products on each.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from lxml import html
from sqlalchemy import column, func, select, table

from clearinghouse import page_cache
from clearinghouse.accounts.models import User
from clearinghouse.directory import services
from clearinghouse.directory.models import DataCategory, DataElement, Product
from clearinghouse.directory.queries import DirectoryFilters, search_products
from clearinghouse.directory.search import SYNONYM_PHRASES, fold, search_hits, search_terms, suggest, surely_unmatched
from clearinghouse.directory.search_index import SEARCH_TABLE, VOCAB_TABLE
from clearinghouse.directory.search_synonyms import GROUPS
from clearinghouse.directory.taxonomy import TAXONOMY, seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import count_queries, empty_all_tables, in_app

# Product: (purpose, the Exhibit B elements it receives as (category, element)). No purpose names its data.
PRODUCTS = {
    "Nurse Notes": ("Keeps the school office organised.", [("Special Indicator", "Medical alerts / health data")]),
    "Report Card Hub": ("Teachers publish term results.", [("Transcript", "Student course grades")]),
    "Class Album": (
        "Shares class moments with families.",
        [("Student Work", "Student-generated content (writing, pictures, etc.)")],
    ),
    "Bus Buddy": (
        "Tells families when to walk out.",
        [("Transportation", "Student pick-up and/or drop-off location"), ("Student Contact Information", "Address")],
    ),
    "Kind Points": ("Teachers give points for kindness.", [("Conduct", "Conduct or behavioral data")]),
    "Reading Rocket": ("Leveled reading practice.", [("Student Identifiers", "Student app username")]),
}

# What families type, and the products that receive what they mean (sorted).
TERMS = [
    ("health", ["Nurse Notes"]),
    ("medical", ["Nurse Notes"]),
    ("allergies", ["Nurse Notes"]),
    ("grades", ["Report Card Hub"]),
    ("photos", ["Class Album"]),
    ("location", ["Bus Buddy"]),
    ("address", ["Bus Buddy"]),
    ("behavior", ["Kind Points"]),
    ("salud", ["Nurse Notes"]),
    ("médico", ["Nurse Notes"]),
    ("alergias", ["Nurse Notes"]),
    ("calificaciones", ["Report Card Hub"]),
    ("fotos", ["Class Album"]),
    ("ubicación", ["Bus Buddy"]),
    ("dirección", ["Bus Buddy"]),
    ("conducta", ["Kind Points"]),
    # Case and accents do not matter.
    ("HEALTH", ["Nurse Notes"]),
    ("Alergias", ["Nurse Notes"]),
    ("medico", ["Nurse Notes"]),
    ("MÉDICO", ["Nurse Notes"]),
    ("ubicacion", ["Bus Buddy"]),
    ("DIRECCION", ["Bus Buddy"]),
    # The names of the data and of their categories, in English and Spanish, as prefixes.
    ("alerts", ["Nurse Notes"]),
    ("special indicator", ["Nurse Notes"]),
    ("transcript", ["Report Card Hub"]),
    ("pick-up", ["Bus Buddy"]),
    ("drop off", ["Bus Buddy"]),
    ("alertas médicas", ["Nurse Notes"]),
    ("calificaciones de las materias", ["Report Card Hub"]),
    ("transpor", ["Bus Buddy"]),
    ("username", ["Reading Rocket"]),
    # Words still combine with AND, synonyms with the rest.
    ("health nurse", ["Nurse Notes"]),
    ("health reading", []),
    ("reading usuario", ["Reading Rocket"]),
    # A name or purpose still finds its product.
    ("reading", ["Reading Rocket"]),
    ("kindness", ["Kind Points"]),
]


def _element(category: str, name: str) -> DataElement:
    return db.session.scalar(
        select(DataElement).join(DataCategory).where(DataCategory.name == category, DataElement.name == name)
    )


@pytest.fixture
def families(app, officer_id) -> None:
    """The Exhibit B taxonomy with its Spanish names, and products made through the services."""
    with in_app(app):
        officer = db.session.get(User, officer_id)
        with unit_of_work():
            seed_taxonomy()
        vendor = factories.make_vendor(name="Plain Software", slug="plain-software")
        for name, (purpose, elements) in PRODUCTS.items():
            with unit_of_work():
                services.create_product(
                    officer,
                    vendor=vendor,
                    school_ids=[],
                    data_uses={_element(*element).id: "" for element in elements},
                    name=name,
                    kind="other",
                    status="approved",
                    purpose_md=purpose,
                )


def _names(app, text: str) -> list[str]:
    with in_app(app):
        page = search_products(DirectoryFilters(text=text), 1, 50, district_today())
        return sorted(p.name for p in page.items)


@pytest.mark.parametrize(("text", "expected"), TERMS)
def test_families_words_find_the_products_that_receive_that_data(app, families, text, expected):
    assert _names(app, text) == expected


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.fromstring(response.get_data(as_text=True))


def _card_names(page) -> list[str]:
    return sorted(" ".join(a.text_content().split()) for a in page.xpath("//ul[@class='cards']//h3//a"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/directory?q=allergies", ["Nurse Notes"]),
        ("/es/directory?q=alergias", ["Nurse Notes"]),
        ("/es/directory?q=salud", ["Nurse Notes"]),
        ("/es/directory?q=calificaciones", ["Report Card Hub"]),
        ("/es/directory?q=ubicaci%C3%B3n", ["Bus Buddy"]),
        ("/es/directory?q=reading", ["Reading Rocket"]),  # the English text, shown where Spanish is missing
        ("/es/directory?q=health", ["Nurse Notes"]),
    ],
)
def test_the_pages_search_english_and_spanish_words(app, client, families, url, expected):
    assert _card_names(_page(client, url)) == expected


def test_every_synonym_finds_a_product_that_receives_every_element(app, officer_id):
    with in_app(app):
        officer = db.session.get(User, officer_id)
        with unit_of_work():
            seed_taxonomy()
        vendor = factories.make_vendor(name="Plain Software", slug="plain-software")
        everything = db.session.scalars(select(DataElement.id)).all()
        with unit_of_work():
            for name, uses in (("Everything", everything), ("Nothing", [])):
                services.create_product(
                    officer,
                    vendor=vendor,
                    school_ids=[],
                    data_uses=dict.fromkeys(uses, ""),
                    name=name,
                    kind="other",
                    status="approved",
                    purpose_md="Qqq.",
                )
    words = sorted({word for group in GROUPS for word in (*group.english, *group.spanish)})
    assert len(words) > 300
    missed = [word for word in words if _names(app, word) != ["Everything"]]
    assert missed == []


def test_every_synonym_names_data_of_the_taxonomy():
    names = {(category.name, None) for category in TAXONOMY} | {
        (category.name, element.name) for category in TAXONOMY for element in category.elements
    }
    for group in GROUPS:
        assert group.targets
        assert group.english or group.spanish
        for target in group.targets:
            assert (target.category, target.element) in names, target
        for word in (*group.english, *group.spanish):
            assert search_terms(word) == [word.lower()], word  # one whole word each
    assert SYNONYM_PHRASES[fold("médico")] == (("medical", "alerts", "health", "data"),)


def test_the_index_follows_data_uses_element_and_category_changes(app, families, officer_id):
    with in_app(app):
        officer = db.session.get(User, officer_id)
        product = db.session.scalar(select(Product).where(Product.name == "Reading Rocket"))
        health = _element("Special Indicator", "Medical alerts / health data")
        with unit_of_work():
            services.update_product(product, officer, version=product.version, data_uses={health.id: ""})
    assert _names(app, "allergies") == ["Nurse Notes", "Reading Rocket"]
    assert _names(app, "username") == []
    with in_app(app):
        officer = db.session.get(User, officer_id)
        product = db.session.scalar(select(Product).where(Product.name == "Reading Rocket"))
        with unit_of_work():
            services.update_product(product, officer, version=product.version, data_uses={})
    assert _names(app, "allergies") == ["Nurse Notes"]
    with in_app(app):
        officer = db.session.get(User, officer_id)
        element = _element("Student Identifiers", "Student app username")
        product = db.session.scalar(select(Product).where(Product.name == "Reading Rocket"))
        with unit_of_work():
            services.update_product(product, officer, version=product.version, data_uses={element.id: ""})
        with unit_of_work():
            services.update_element(
                element,
                officer,
                category_id=element.category_id,
                name="Sign-in nickname",
                translations={"es": {"name": "Apodo de ingreso"}},
            )
    assert _names(app, "nickname") == ["Reading Rocket"]
    assert _names(app, "apodo") == ["Reading Rocket"]
    assert _names(app, "username") == []
    with in_app(app):
        category = db.session.scalar(select(DataCategory).where(DataCategory.name == "Conduct"))
        category.set_translations({"es": {"name": "Comportamiento en clase"}})
        db.session.commit()
    assert _names(app, "comportamiento en clase") == ["Kind Points"]
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.name == "Kind Points"))
        product.set_translations({"es": {"purpose_md": "Los maestros dan puntos por la amabilidad."}})
        db.session.commit()
    assert _names(app, "amabilidad") == ["Kind Points"]
    with in_app(app):
        db.session.delete(db.session.scalar(select(Product).where(Product.name == "Kind Points")))
        db.session.commit()
    assert _names(app, "conducta") == []


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("readng", "reading"),
        ("raeding", "reading"),
        ("alergies", "allergies"),
        ("helth", "health"),
        ("calificasiones", "calificaciones"),
        ("ubicasion", "ubicación"),
        ("kindnss", "kindness"),
        ("nurse readng", "nurse reading"),
    ],
)
def test_a_misspelling_suggests_the_word_of_the_index(app, families, typed, meant):
    with in_app(app):
        assert suggest(search_terms(typed)) == meant


def test_known_words_and_nonsense_get_no_suggestion(app, families):
    with in_app(app):
        assert suggest(search_terms("reading")) is None
        assert suggest(search_terms("read")) is None  # a prefix of a known word
        assert suggest(search_terms("qzxwv")) is None
        assert suggest(search_terms("42 ab")) is None


def test_did_you_mean_links_to_the_corrected_search_in_the_readers_language(app, client, families):
    page = _page(client, "/directory?q=readng&sort=name")
    assert _card_names(page) == []
    (suggestion,) = page.xpath("//p[@class='suggestion']")
    assert " ".join(suggestion.text_content().split()) == "Did you mean reading?"
    link = urlsplit(suggestion.xpath(".//a/@href")[0])
    assert link.path == "/directory"
    assert parse_qs(link.query) == {"q": ["reading"], "sort": ["name"]}
    assert _card_names(_page(client, "/directory?" + link.query)) == ["Reading Rocket"]

    page = _page(client, "/es/directory?q=alergas")
    (suggestion,) = page.xpath("//p[@class='suggestion']")
    assert " ".join(suggestion.text_content().split()) == "¿Quiso decir alergias?"
    link = urlsplit(suggestion.xpath(".//a/@href")[0])
    assert (link.path, parse_qs(link.query)) == ("/es/directory", {"q": ["alergias"]})
    assert _card_names(_page(client, suggestion.xpath(".//a/@href")[0])) == ["Nurse Notes"]

    assert not _page(client, "/directory?q=reading").xpath("//p[@class='suggestion']")


HOSTILE = [
    "\x00",
    "health\x00",
    "AND",
    "health AND",
    "OR NOT",
    "NOT health",
    '"',
    '"health',
    "health\"'",
    "*",
    "health*",
    "-",
    "-health",
    "NEAR(",
    "NEAR(health reading, 2)",
    "data : health",
    "data:salud",
    "{data}:x",
    "health:* & !x",
    "a <-> b",
    "(((",
    "^health",
    "x" * 500,
    "’‘“”«»¿¡",
    "\ud800",
    "%_",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("prefix", ["", "/es"])
def test_hostile_search_strings_never_fail(app, client, families, prefix, text):
    query = urlencode({"q": text.encode("utf-8", "surrogatepass")})  # a lone surrogate as its bytes
    assert client.get(f"{prefix}/directory?{query}").status_code == 200
    with in_app(app):
        assert search_products(DirectoryFilters(text=text), 1, 10, district_today()).total >= 0


def _vocabulary(words: list[str]) -> set[str]:
    vocab = table(VOCAB_TABLE, column("term"))
    return set(db.session.scalars(select(vocab.c.term).where(vocab.c.term.in_(words))))


def test_the_vocabulary_holds_the_words_some_product_has(app, families):
    with in_app(app):
        assert _vocabulary(["nurse", "teachers", "alertas", "medicas", "kindness", "desk"]) == {
            "nurse",
            "teachers",
            "alertas",
            "medicas",
            "kindness",
        }
        db.session.delete(db.session.scalar(select(Product).where(Product.name == "Kind Points")))
        product = db.session.scalar(select(Product).where(Product.name == "Nurse Notes"))
        product.name = "School Nurse Desk"
        db.session.commit()
        # "teachers" stays: another product has it.
        assert _vocabulary(["nurse", "teachers", "kindness", "desk", "notes"]) == {"nurse", "teachers", "desk"}
        db.session.rollback()  # end the read, so that PostgreSQL's TRUNCATE can lock the tables
        empty_all_tables()
        assert db.session.execute(select(table(VOCAB_TABLE, column("term")))).all() == []


FULL_TEXT = re.compile(r"\bMATCH\b|@@")


@pytest.mark.parametrize("prefix", ["", "/es"])
@pytest.mark.parametrize("typed", ["health", "alergias", "grades reading", "readng"])
def test_a_search_reads_the_full_text_index_once_per_statement_and_never_with_like(
    app, client, families, prefix, typed
):
    """The synonyms widen the one full-text query instead of adding a LIKE over every row (a LIKE of a
    few typed words against a short list, the intake's names, is not on this page)."""
    with count_queries(app) as statements:
        response = client.get(f"{prefix}/directory?{urlencode({'q': typed})}")
    assert response.status_code == 200
    assert [s for s in statements if re.search(r"\bLIKE\b", s, re.IGNORECASE)] == []
    searching = [s for s in statements if SEARCH_TABLE in s.replace(VOCAB_TABLE, "")]
    # "readng" starts no word of the index: the page knows it finds nothing without the full-text query.
    assert searching or typed == "readng", statements
    for statement in searching:
        assert len(FULL_TEXT.findall(statement)) == 1, statement
    vocabulary = [s for s in statements if VOCAB_TABLE in s]
    # "Did you mean …?" (fewer than 3 products found) reads the words of one letter once, in one query.
    assert len(vocabulary) <= 1, vocabulary
    assert len(vocabulary) == 1 or typed != "readng"


def _shared_reads(app):
    """A request whose data version the page cache read (an anonymous GET): `lexicon` is shared."""
    return app.test_request_context("/directory", environ_base={page_cache.ENVIRON_VERSION: (1, "epoch", "2026-11-26")})


def _hits(terms: list[str]) -> int:
    hits = search_hits(terms, ranked=False)
    return db.session.scalar(select(func.count()).select_from(hits))


def _near_words(words: list[str]) -> list[str]:
    """Each word, its starts, and each with one letter changed or added: most are nobody's words."""
    near = set()
    for word in words:
        near.update(word[:end] for end in range(1, len(word) + 1))
        for at in range(len(word)):
            near.add(word[:at] + "q" + word[at + 1 :])
        near.add(word + "x")
    return sorted(near)


def test_a_search_the_index_surely_cannot_match_finds_nothing_with_the_full_text_query_either(app, families):
    """`surely_unmatched` only ever says what the full-text query would: checked against the index on
    every word near the vocabulary's, one-letter words, digits, accents and synonyms."""
    with in_app(app):
        vocabulary = sorted(db.session.scalars(select(table(VOCAB_TABLE, column("term")).c.term)))
        typed = [
            *_near_words(vocabulary),
            "a",
            "x",
            "42",
            "4x",
            "9e9e9",
            "médico",
            "salud",
            "health",
            "qzxwv",
            "médicx",
            "дом",
        ]
        with _shared_reads(app):
            judged = {word: surely_unmatched([word]) for word in typed}
        for word, unmatched in judged.items():
            if unmatched:
                assert _hits([word]) == 0, word
        assert not any(judged[word] for word in vocabulary)
        assert judged["qzxwv"]
        assert judged["readingx"]
        assert not judged["salud"]  # words that stand for data
        assert not judged["health"]
        assert not judged["médico"]  # a Spanish word for data
        assert judged["médicx"]  # its accent folded, as the index folds it: plain ASCII
        assert not judged["дом"]  # not Latin: the full-text query answers
        assert not judged["42"]  # digits: PostgreSQL may read them as two words ("9e9e9" is "9e9" "e9")
        assert not judged["9e9e9"]
        with _shared_reads(app):
            assert surely_unmatched(["reading", "qzxwv"])  # every word must match
            assert not surely_unmatched(["reading", "nurse"])


def test_only_shared_reads_judge_a_search_without_the_index(app, families):
    """A signed-in reader's search (or any request the cache did not read) asks the index itself."""
    with in_app(app):
        assert not surely_unmatched(["qzxwv"])
        with app.test_request_context("/directory"):
            assert not surely_unmatched(["qzxwv"])


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_a_search_for_a_word_nobody_has_runs_no_full_text_query(app, client, families, prefix):
    with count_queries(app) as statements:
        page = _page(client, f"{prefix}/directory?q=qzxwv&page=2")
        suggested = _page(client, f"{prefix}/directory?q=nurse+readng")
    assert [s for s in statements if FULL_TEXT.search(s)] == []
    assert _card_names(page) == []
    assert _card_names(suggested) == []
    assert page.xpath("//div[@class='empty-state']")
    assert suggested.xpath("//div[@class='empty-state']")
    assert suggested.xpath("//p[@class='suggestion']//a")

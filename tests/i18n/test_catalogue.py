"""The translation catalogues are complete: every public string has a translation in every language.

A string added to a public template or module without its translation fails here, and so does a
string left outside `_()`/`{% trans %}`: the Spanish pages are checked for English sentences.
"""

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import html as lxml_html

from tests.i18n.pages import public_paths

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
# What the test data and the default settings put on the pages: names, not interface text.
DATA = (
    "Our School District",
    "privacy@district.example",
    "Reading Coach",
    "Acme Learning",
    "Date of birth",
    "Demographics",
    "Adams Elementary",
)
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sd]|%%|<[^>]+>|\{\{.*?\}\}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The template catalogue extracted afresh from the code, exactly as `make translations-extract` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    run = subprocess.run(
        ["make", "--no-print-directory", "translations-extract", f"POT={pot}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with pot.open("rb") as source:
        return read_po(source)


def _catalogue(path: Path):
    with path.open("rb") as source:
        return read_po(source, locale=path.parts[-3])


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s and s.strip() for s in strings) and not message.fuzzy


def test_there_is_a_spanish_catalogue():
    assert [path.parts[-3] for path in CATALOGUES] == ["es"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_extracted_string_has_a_translation(extracted, path):
    catalogue = _catalogue(path)
    missing = [message.id for message in extracted if message.id and message.id not in catalogue]
    assert missing == [], "run `make translations-update`, then translate these"
    untranslated = [message.id for message in extracted if message.id and not _translated(catalogue[message.id])]
    assert untranslated == [], "translate these (and clear any fuzzy flag)"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_translation_is_of_a_string_the_code_still_marks(extracted, path):
    """`make translations-update` drops what extraction no longer finds: a string shown through a helper
    that pybabel does not know (a method not named gettext or ngettext) would lose its translation."""
    orphans = [message.id for message in _catalogue(path) if message.id and message.id not in extracted]
    assert orphans == [], "mark these where they are shown (gettext, ngettext, N_), or remove them"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_translation_keeps_its_placeholders_and_plurals(path):
    catalogue = _catalogue(path)
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalogue.check()]
    assert problems == []
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(message.string) == catalogue.num_plurals, message.id


def _text_pieces(response) -> list[str]:
    """The page's text a reader sees in the page's language, one piece per text node: without text
    marked as another language (staff text shown untranslated, the switch's link), code samples
    and the test data."""
    page = lxml_html.fromstring(response.get_data(as_text=True))
    for element in page.xpath("//*[@lang][not(self::html)] | //code | //script | //style"):
        element.drop_tree()
    pieces = []
    for node in page.xpath("//text()"):
        text = " ".join(str(node).split())
        for name in DATA:
            text = text.replace(name, " ")
        if text.strip() and "://" not in text and "@" not in text:  # addresses are the same in every language
            pieces.append(" ".join(text.split()))
    return pieces


def _visible_text(response) -> str:
    return " ".join(_text_pieces(response))


def _english_pieces(catalogue) -> set[str]:
    """The words of each translated message, cut at its placeholders and tags, that its translation changed."""
    pieces = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        translation = " ".join(message.string if isinstance(message.string, tuple) else (message.string,))
        for msgid in ids:
            for piece in PLACEHOLDER_OR_TAG.split(msgid):
                piece = " ".join(piece.split()).strip(" .,:;·()“”")
                if re.search(r"[A-Za-z]{2}", piece) and piece not in translation:
                    pieces.add(piece)
    return pieces


def test_no_english_interface_text_is_left_on_the_spanish_pages(client, directory):
    pieces = _english_pieces(_catalogue(ROOT / "translations/es/LC_MESSAGES/messages.po"))
    leftovers = {}
    for path in [*public_paths(directory), "/no-such-page"]:
        text = _visible_text(client.get("/es" + path))
        found = sorted(piece for piece in pieces if re.search(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", text))
        if found:
            leftovers[path] = found
    assert leftovers == {}


def test_no_sentence_is_the_same_on_the_english_and_the_spanish_page(client, directory):
    """Catches text that was never wrapped for translation (and so is in no catalogue)."""
    same = {}
    for path in public_paths(directory):
        english = {piece for piece in _text_pieces(client.get(path)) if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 3}
        shared = sorted(english & set(_text_pieces(client.get("/es" + path))))
        if shared:
            same[path] = shared
    assert same == {}

"""Text people type: Markdown rendering (the only source of HTML that templates mark safe), and the
one place that decides which characters a stored value may hold and how names are compared.

`clean_line` (one-line values: names, e-mail addresses, titles, anything that may reach an e-mail
header), `clean_text` (multi-line values) and `clean_name` (a name shown to people) refuse what
cannot be stored or shown safely, with a message that names the character; `name_key` is how two
names are compared, so look-alikes (`ÉMILE`, `Émile`, `Ｅｍｉｌｅ`) are one name; `xml_safe` drops what
XML 1.0 cannot carry. Forms apply these through `clearinghouse.forms.BaseForm`; services call them
for input that does not come from a form (the importer, the command line).
"""

import functools
import html
import threading
import unicodedata

import markdown
import nh3
from markupsafe import Markup

from clearinghouse.errors import DomainError

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": set()}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


MARKDOWN_KEPT = 128  # texts whose HTML a worker keeps (`render_markdown`)


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML, then an allowlist: no scripts, handlers, styles or javascript: links."""
    if not source:
        return Markup("")
    return _rendered(str(source))


@functools.lru_cache(maxsize=MARKDOWN_KEPT)
def _rendered(source: str) -> Markup:
    """The HTML of a text, kept for the texts drawn most recently: the same text always gives the
    same HTML, and drawing it (about 1,000 Python calls for the default privacy notice) cost every
    uncached about page a fifth of its time, and every product page its purposes again. At most
    MARKDOWN_KEPT texts, each within the longest a form takes (50,000 characters), usually far less."""
    html = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


_plain = threading.local()


def _plain_markdown() -> markdown.Markdown:
    """This thread's Markdown converter for plain_text: building one per call costs more than converting."""
    converter = getattr(_plain, "converter", None)
    if converter is None:
        converter = _plain.converter = markdown.Markdown()
    return converter


def plain_text(source: str | None, limit: int = 200) -> str:
    """Markdown reduced to plain text, for summaries, feeds and search snippets."""
    text = html.unescape(nh3.clean(_plain_markdown().reset().convert(source or ""), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class UnsafeText(DomainError, ValueError):
    """A value holds a character that cannot be stored or shown safely.

    A ValueError too, so a WTForms filter that raises it becomes the field's error message.
    """


# Characters that reorder the text around them: "Acme\u202egpj.exe" shows as "Acmeexe.jpg".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
TEXT_WHITESPACE = frozenset("\t\n\r")  # the control characters a multi-line text may hold
NAME_KEY_MAX = 400  # NFKC can lengthen a name (ﬁ → fi); the key is cut here so its index stays small


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")


def _refuse(value: str, allowed: frozenset[str], field: str | None) -> None:
    for ch in value:
        if ch in allowed:
            continue
        if ch in LINE_BREAKS and "\n" not in allowed:
            raise UnsafeText("This must be one line: remove the line break and try again.", field=field)
        if ch in BIDI_CONTROLS:
            raise UnsafeText(
                f"Remove the invisible direction-changing character {_describe(ch)}: it can disguise what the text "
                "says.",
                field=field,
            )
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise UnsafeText(
                f"Remove the invisible control character {_describe(ch)} and try again; it cannot be saved.",
                field=field,
            )


def clean_line(value: str | None, *, field: str | None = None) -> str:
    """A one-line value, NFC-normalised and stripped; a tab becomes a space.

    Raises UnsafeText for a line break, a control character, a lone surrogate or a direction
    override: such a value could break an e-mail header, a CSV cell, a feed, or a database (NUL).
    """
    value = unicodedata.normalize("NFC", (value or "").replace("\t", " "))
    _refuse(value, frozenset(), field)
    return value.strip()


def clean_text(value: str | None, *, field: str | None = None) -> str:
    """A multi-line value, NFC-normalised; line breaks and tabs are kept, other control characters refused."""
    value = unicodedata.normalize("NFC", value or "")
    _refuse(value, TEXT_WHITESPACE, field)
    return value


def clean_name(value: str | None, *, field: str | None = "name") -> str:
    """A name as it is stored and shown: `clean_line`, with runs of spaces made one."""
    return " ".join(clean_line(value, field=field).split())


def name_key(value: str | None) -> str:
    """How names are compared: compatibility forms, case, invisible format characters and spacing
    do not count, so "ÉMILE", "Émile" (either Unicode form) and "Ｅｍｉｌｅ" are the same name."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value or "").casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())[:NAME_KEY_MAX]


def visible_text(value: str | None, limit: int) -> str:
    """Text from outside that must not be refused (a search box, an identity provider's name), reduced
    to what can be kept: NFC, control characters, lone surrogates and direction overrides dropped,
    spacing made single, at most `limit` characters. Never an error."""
    if not value:
        return ""
    kept = "".join(
        ch for ch in value[: limit * 2] if unicodedata.category(ch) not in ("Cc", "Cs") and ch not in BIDI_CONTROLS
    )
    return " ".join(unicodedata.normalize("NFC", kept).split())[:limit]


def xml_safe(value: object) -> str:
    """The text (of a string, or of a lazily translated one) without what XML 1.0 cannot carry: control
    characters and lone surrogates."""
    return "".join(
        ch
        for ch in str(value or "")
        if ch in TEXT_WHITESPACE or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff")
    )


def init_app(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain_text"] = plain_text

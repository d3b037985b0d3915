"""Markdown rendering: the only source of HTML that templates mark safe."""

import html
import threading

import markdown
import nh3
from markupsafe import Markup

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


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML, then an allowlist: no scripts, handlers, styles or javascript: links."""
    if not source:
        return Markup("")
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


def init_app(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain_text"] = plain_text

"""The public change history as an Atom 1.0 feed (RFC 4287), built with ElementTree so text is escaped,
and every text and attribute passed through `text.xml_safe`, so no stored character makes it invalid XML.

Each language has its feed (/changes.atom, /es/changes.atom): titles and summaries in that
language, entries linking to the pages in it.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask_babel import lazy_gettext as _l

from clearinghouse.audit.public import RevisionEntry
from clearinghouse.audit.wording import revision_text
from clearinghouse.i18n import current_language
from clearinghouse.text import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml"
# Tag URIs (RFC 4151) need a date on which the site's name was held; the year this software began.
TAG_YEAR = "2026"

KIND_LABELS = {
    "product.added": _l("added to the directory"),
    "product.renamed": _l("renamed"),
    "status.changed": _l("status changed"),
    "status.note_changed": _l("note on the status changed"),
    "agreement_status.changed": _l("agreement status changed"),
    "agreement.on_file": _l("agreement on file"),
    "kind.changed": _l("type of product changed"),
    "purpose.changed": _l("purpose reworded"),
    "website.changed": _l("website changed"),
    "data_use.added": _l("receives new student data"),
    "data_use.removed": _l("no longer receives some student data"),
    "data_use.purpose_changed": _l("reason for a data use reworded"),
    "schools.changed": _l("schools changed"),
    "tags.changed": _l("tags changed"),
    "links.changed": _l("sources changed"),
    "agreement.signed": _l("agreement signed"),
    "agreement.renewed": _l("agreement renewed"),
    "agreement.terminated": _l("agreement ended"),
    "agreement.dates_changed": _l("agreement dates changed"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind) or kind.replace(".", " ").replace("_", " "))


def _tag(authority: str, day: str, specific: str) -> str:
    return f"tag:{authority},{day}:{specific}"


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", {key: xml_safe(value) for key, value in attributes.items()})
    element.text = xml_safe(text) if text is not None else None
    return element


def build_feed(
    entries: Sequence[RevisionEntry],
    *,
    base_url: str,
    title: str,
    author: str,
    feed_path: str,
    page_path: str,
    now: datetime,
) -> bytes:
    """The feed document: entries newest first; `updated` is the newest entry's time (else `now`)."""
    base = base_url.rstrip("/")
    authority = urlsplit(base).hostname or "localhost"
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: current_language()})
    _add(feed, "id", _tag(authority, TAG_YEAR, "changes"))
    _add(feed, "title", title)
    _add(feed, "updated", _instant(entries[0].revision.occurred_at if entries else now))
    _add(_add(feed, "author"), "name", author)
    _add(feed, "link", rel="self", type=ATOM_TYPE, href=base + feed_path)
    _add(feed, "link", rel="alternate", type="text/html", href=base + page_path)
    for entry in entries:
        revision = entry.revision
        node = _add(feed, "entry")
        minted_on = revision.occurred_at.astimezone(UTC).date().isoformat()
        _add(node, "id", _tag(authority, minted_on, f"revision/{revision.id}"))
        _add(node, "title", f"{entry.subject}: {kind_label(revision.kind)}")
        _add(node, "updated", _instant(revision.occurred_at))
        _add(node, "link", rel="alternate", type="text/html", href=base + entry.path)
        _add(node, "summary", str(revision_text(revision)), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

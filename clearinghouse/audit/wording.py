"""The public wording of disclosure revisions, in the reader's language.

A revision is generated text. It is stored as a wording key and the facts its sentence is made
of (`details["wording"]`), beside its summary in the default language (`summary`, the record
the feed, the audit and the API read). Pages render the sentence again in the reader's
language from the facts: names of products and vendors as they were, dates formatted for the
reader, labels of statuses and kinds translated, data element names in each language staff
had given them when the change was made.

A revision recorded without a wording (before this module, or by code that passes a plain
summary) shows its stored summary, marked as being in the default language.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext as _

from clearinghouse.agreements.models import AgreementKind, DataDisposal
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.directory.models import ProductStatus, StatedAgreementStatus
from clearinghouse.i18n import (
    LocalizedText,
    configured_languages,
    current_language,
    default_language,
    format_number,
    language,
)
from clearinghouse.timeutil import format_date

Facts = dict[str, Any]


class Wording:
    """A revision's sentence: a key naming its shape, and the facts (JSON values) it is made of."""

    def __init__(self, key: str, **facts: Any):
        if key not in WORDINGS:
            raise ValueError(f"No wording named {key!r}.")
        self.key = key
        self.facts = facts

    def about_product(self, name: str) -> "Wording":
        """The same sentence, introduced by the product it is about ("Reading Coach: …")."""
        return Wording(self.key, **self.facts, covered_product=name)

    def render(self) -> str:
        """The sentence in the language being rendered."""
        return render(self.key, self.facts)

    def in_default_language(self) -> str:
        if current_language() == default_language():
            return (
                self.render()
            )  # forcing the locale would drop Babel's loaded catalogue: a bulk import words thousands
        with language(default_language()):
            return self.render()

    def stored(self) -> dict[str, Any]:
        return {"key": self.key, "facts": self.facts}


def render(key: str, facts: Facts) -> str:
    sentence = WORDINGS[key](facts)
    if facts.get("covered_product"):
        return _("%(product)s: %(change)s", product=facts["covered_product"], change=sentence)
    return sentence


def revision_text(revision: DisclosureRevision) -> LocalizedText:
    """The revision's sentence for the reader: rendered in their language from its facts when it
    has them, else its stored summary (marked, in another language than the default)."""
    here, default = current_language(), default_language()
    wording = (revision.details or {}).get("wording")
    if here == default or not wording or wording.get("key") not in WORDINGS:
        return LocalizedText(revision.summary, default, is_fallback=here != default)
    try:
        return LocalizedText(render(wording["key"], wording.get("facts") or {}), here)
    except (KeyError, TypeError, ValueError):  # facts written by an older wording: keep the record's own words
        return LocalizedText(revision.summary, default, is_fallback=True)


# --- Facts: what a sentence needs, as JSON values ----------------------------------------------


def in_every_language(original: str, translations: dict[str, dict[str, str]] | None, field: str) -> dict[str, str]:
    """{language: text} for a name staff wrote: the default language's, and each translation."""
    texts = {default_language(): original}
    for code in configured_languages()[1:]:
        text = (((translations or {}).get(code) or {}).get(field) or "").strip()
        if text:
            texts[code] = text
    return texts


def _pick(texts: dict[str, str] | str | None) -> str:
    """The reader's text of a {language: text} fact (the default language's when missing)."""
    if not isinstance(texts, dict):
        return texts or ""
    return texts.get(current_language()) or texts.get(default_language()) or next(iter(texts.values()), "")


def _kind(names: dict[str, str] | str) -> str:
    """A kind's name as the change recorded it, in the reader's language. Revisions from before kinds
    were district data hold the kind's key only: their stored summary is shown instead (KeyError)."""
    if not isinstance(names, dict):
        raise KeyError(names)
    return _pick(names)


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value)) if value else ""


def _term(facts: Facts) -> str:
    """When an agreement is in effect: "from May 1, 2026 until April 30, 2027, renewing each year"."""
    start = _day(facts.get("effective_on"))
    if not facts.get("expires_on"):
        return _("from %(start)s, with no end date", start=start)
    end = _day(facts["expires_on"])
    if facts.get("auto_renews"):
        return _("from %(start)s until %(end)s, renewing each year", start=start, end=end)
    return _("from %(start)s until %(end)s", start=start, end=end)


def _status(value: str | None) -> str:
    return str(ProductStatus(value).label) if value else _("none")


def _from_to(f: Facts, label: Callable[[str | None], str]) -> Facts:
    """A change of status's words: the product, and its old and new statuses said with `label`."""
    return {"product": f["product"], "old": label(f.get("old")), "new": label(f.get("new"))}


def _status_changed(f: Facts) -> str:
    words, note = _from_to(f, _status), _pick(f.get("note"))
    if note:
        return _("%(product)s: status changed from %(old)s to %(new)s (%(note)s).", note=note, **words)
    return _("%(product)s: status changed from %(old)s to %(new)s.", **words)


def _status_note_changed(f: Facts) -> str:
    note = _pick(f.get("note"))
    if note:
        return _(
            "%(product)s: %(status)s; the district's note now reads: %(note)s",
            product=f["product"],
            status=_status(f.get("status")),
            note=note,
        )
    return _("%(product)s: the note on its status was removed.", product=f["product"])


def _stated(value: str | None) -> str:
    return str(StatedAgreementStatus(value or StatedAgreementStatus.NONE_ON_FILE).label)


def _agreement_status_changed(f: Facts) -> str:
    words, note = _from_to(f, _stated), _pick(f.get("note"))
    if note:
        return _(
            "%(product)s: agreement status changed from %(old)s to %(new)s (the vendor's reason: %(note)s).",
            note=note,
            **words,
        )
    return _("%(product)s: agreement status changed from %(old)s to %(new)s.", **words)


def _joined(names: list, empty: str) -> str:
    return ", ".join(_pick(name) for name in names) or empty


# --- Each sentence -------------------------------------------------------------------------------


def _product_added(f: Facts) -> str:
    if not f["elements"]:
        return _("%(product)s was added to the directory. It receives: no student data.", product=f["product"])
    return _(
        "%(product)s was added to the directory. It receives: %(elements)s.",
        product=f["product"],
        elements=_joined(f["elements"], ""),
    )


def _data_use_added(f: Facts) -> str:
    purpose = _pick(f.get("purpose"))
    if purpose:
        return _(
            "%(product)s now receives %(element)s (%(purpose)s).",
            product=f["product"],
            element=_pick(f["element"]),
            purpose=purpose,
        )
    return _("%(product)s now receives %(element)s.", product=f["product"], element=_pick(f["element"]))


def _schools_changed(f: Facts) -> str:
    schools = ", ".join(f["schools"]) or _("no schools listed")
    if f.get("grades"):
        return _(
            "%(product)s: now used at %(schools)s (grades %(grades)s).",
            product=f["product"],
            schools=schools,
            grades=f["grades"],
        )
    return _("%(product)s: now used at %(schools)s.", product=f["product"], schools=schools)


def _tags_changed(f: Facts) -> str:
    if not f["tags"]:
        return _("%(product)s no longer has tags.", product=f["product"])
    return _("%(product)s: now filed under %(tags)s.", product=f["product"], tags=_joined(f["tags"], ""))


def _links_changed(f: Facts) -> str:
    if not f["links"]:
        return _("%(product)s no longer lists its sources.", product=f["product"])
    return _("%(product)s: its sources are now %(links)s.", product=f["product"], links=_joined(f["links"], ""))


def _agreement_renewed(f: Facts) -> str:
    if f.get("expires_on"):
        return _("%(vendor)s's agreement was renewed until %(end)s.", vendor=f["vendor"], end=_day(f["expires_on"]))
    return _("%(vendor)s's agreement was renewed with no end date.", vendor=f["vendor"])


def _agreement_terminated(f: Facts) -> str:
    if f.get("will_end"):
        return _("%(vendor)s's agreement will end on %(day)s.", vendor=f["vendor"], day=_day(f["ended_on"]))
    return _("%(vendor)s's agreement ended on %(day)s.", vendor=f["vendor"], day=_day(f["ended_on"]))


def _agreement_ended(f: Facts) -> str:
    """The sweep opened a destruction request because the agreement ended."""
    if f.get("terminated"):
        return _(
            "%(vendor)s's agreement was terminated on %(day)s; the district has asked for the data to be destroyed.",
            vendor=f["vendor"],
            day=_day(f["ended_on"]),
        )
    return _(
        "%(vendor)s's agreement expired on %(day)s; the district has asked for the data to be destroyed.",
        vendor=f["vendor"],
        day=_day(f["ended_on"]),
    )


def _agreement_disposal_changed(f: Facts) -> str:
    """What the company must now do with the data when the agreement ends (as the product page says it)."""
    if f.get("method") == DataDisposal.RETURN:
        return _(
            "When %(vendor)s's agreement ends, the company must now return the student data to the district, "
            "then delete it, within %(days)s days.",
            vendor=f["vendor"],
            days=format_number(f["days"]),
        )
    if f.get("method") == DataDisposal.DESTROY:
        return _(
            "When %(vendor)s's agreement ends, the company must now destroy or delete the student data "
            "within %(days)s days.",
            vendor=f["vendor"],
            days=format_number(f["days"]),
        )
    return _(
        "When %(vendor)s's agreement ends, the district now directs the company to destroy the student data "
        "within %(days)s days.",
        vendor=f["vendor"],
        days=format_number(f["days"]),
    )


WORDINGS: dict[str, Callable[[Facts], str]] = {
    "product.added": _product_added,
    "product.renamed": lambda f: _("%(before)s is now called %(after)s.", before=f["before"], after=f["after"]),
    "status.changed": _status_changed,
    "status_note.changed": _status_note_changed,
    "agreement_status.changed": _agreement_status_changed,
    "kind.changed": lambda f: _("%(product)s is now listed as %(kind)s.", product=f["product"], kind=_kind(f["kind"])),
    "purpose.changed": lambda f: _(
        "%(product)s: the description of why it is used was reworded.", product=f["product"]
    ),
    "website.changed": lambda f: _(
        "%(product)s: website changed to %(website)s.", product=f["product"], website=f["website"] or _("none")
    ),
    "data_use.added": _data_use_added,
    "data_use.removed": lambda f: _(
        "%(product)s no longer receives %(element)s.", product=f["product"], element=_pick(f["element"])
    ),
    "data_use.purpose_changed": lambda f: _(
        "%(product)s: why it receives %(element)s was reworded.", product=f["product"], element=_pick(f["element"])
    ),
    "schools.changed": _schools_changed,
    "tags.changed": _tags_changed,
    "links.changed": _links_changed,
    "agreement.renewed": _agreement_renewed,
    "agreement.signed": lambda f: _(
        "%(vendor)s signed a %(kind)s, in effect %(term)s.",
        vendor=f["vendor"],
        kind=AgreementKind(f["kind"]).label,
        term=_term(f),
    ),
    "agreement.on_file": lambda f: _(
        "%(vendor)s's %(kind)s is on file; its dates are not recorded yet.",
        vendor=f["vendor"],
        kind=AgreementKind(f["kind"]).label,
    ),
    "agreement.terminated": _agreement_terminated,
    "agreement.dates_changed": lambda f: _(
        "The dates of %(vendor)s's agreement changed: it is in effect %(term)s.", vendor=f["vendor"], term=_term(f)
    ),
    "agreement.kind_changed": lambda f: _(
        "%(vendor)s's agreement is now recorded as a %(kind)s.",
        vendor=f["vendor"],
        kind=AgreementKind(f["kind"]).label,
    ),
    "agreement.disposal_changed": _agreement_disposal_changed,
    "agreement.product_added": lambda f: _(
        "%(product)s: now covered by %(vendor)s's agreement, in effect %(term)s.",
        product=f["product"],
        vendor=f["vendor"],
        term=_term(f),
    ),
    "agreement.product_removed": lambda f: _(
        "%(product)s: no longer covered by %(vendor)s's agreement.", product=f["product"], vendor=f["vendor"]
    ),
    "agreement.document_published": lambda f: _(
        "The signed agreement with %(vendor)s is now published.", vendor=f["vendor"]
    ),
    "agreement.document_withdrawn": lambda f: _(
        "The signed agreement with %(vendor)s is no longer published.", vendor=f["vendor"]
    ),
    "agreement.ended": _agreement_ended,
    "destruction.certified": lambda f: _(
        "%(vendor)s: data destruction certified on %(day)s.", vendor=f["vendor"], day=_day(f["certified_on"])
    ),
}


def agreement_term(effective_on: date | None, expires_on: date | None, auto_renews: bool) -> Facts:
    """The facts `_term` reads, from an agreement's dates."""
    return {
        "effective_on": effective_on.isoformat() if effective_on else None,
        "expires_on": expires_on.isoformat() if expires_on else None,
        "auto_renews": bool(auto_renews),
    }

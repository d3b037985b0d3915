"""Product names and vendors as inventories write them.

"DyKnow (Securly, Inc.)" is DyKnow by Securly; "Kahoot! / Blooket" and "Newsela, EVERFI, Edpuzzle"
are several products; "IXL" and "IXL Learning", "Incident IQ" and "IncidentIQ" are one vendor;
"Vendor declinations on privacy grounds" is not a product at all. Everything here is a proposal
for the officer, with where it came from; without a vendor column the vendor is proposed from
the name or the website's registrable domain, or left blank, never one vendor per product.
Pure: no database; the district's vendor names are passed in.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList
from rapidfuzz import fuzz, process

from clearinghouse.imports.facts import TextFacts, read_facts, tidy


class VendorSource(StrEnum):
    PARENTHESES = "parentheses"  # "Linewize (Qoria)"
    BY = "by"  # "Qustodio by Linewize"
    EXISTING = "existing"  # the name starts with a vendor the district already has ("Google Classroom")
    WEBSITE = "website"  # the registrable name of the product's website
    NONE = "none"  # nothing to go on: the officer names the vendor


@dataclass(frozen=True)
class NameProposal:
    """One product a name cell proposes, with the vendor it suggests and why."""

    name: str
    vendor: str
    vendor_source: VendorSource
    aliases: tuple[str, ...] = ()  # "formerly Quizizz", "PLTW"
    note: str = ""  # what the cell says besides the name (a description, an included module)
    start: int = 0  # where this product's words are in the cell
    end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "vendor": self.vendor,
            "vendor_source": self.vendor_source.value,
            "aliases": list(self.aliases),
            "note": self.note,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NameProposal":
        return cls(
            data["name"],
            data["vendor"],
            VendorSource(data["vendor_source"]),
            tuple(data["aliases"]),
            data["note"],
            data["start"],
            data["end"],
        )


@dataclass(frozen=True)
class NameReading:
    """A name cell read: the products it proposes (each with its facts), or why it is not a product."""

    text: str
    products: tuple[NameProposal, ...]
    facts: tuple[TextFacts, ...]  # one per product, in the same order
    not_a_product: str = ""  # "" when the row is a product; else why it looks like something else

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "products": [product.to_dict() for product in self.products],
            "facts": [facts.to_dict() for facts in self.facts],
            "not_a_product": self.not_a_product,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NameReading":
        return cls(
            data["text"],
            tuple(NameProposal.from_dict(product) for product in data["products"]),
            tuple(TextFacts.from_dict(facts) for facts in data["facts"]),
            data["not_a_product"],
        )


# --- rows that are not products -----------------------------------------------------------------

_NOT_PRODUCT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r"\b(?:declinations|refusals|denials|rejections)\b", "It reads as the heading of a list, not a product."),
        (
            r"\bvendor (?:unnamed|not (?:named|disclosed|known|identified))\b|\bunbranded\b|\bno vendor\b",
            "It names no product or vendor.",
        ),
        (
            r"\bbudget\b|\baggregate\b|\bline items?\b|\bstaffing\b|\bnot a vendor\b|\bnone itemized\b|\bfunding\b",
            "It reads as a budget or staffing line, not a product.",
        ),
        (
            r"^\W*(?:total|subtotal|n/?a|none|tbd|other|misc(?:ellaneous)?|unknown|various)\W*$",
            "It is not a product name.",
        ),
        (r":\s*$", "It reads as a heading, not a product."),
    )
)
_SHOUTED = re.compile(r"^[^a-z]*[A-Z]{3,}[^a-z]*\s[A-Z]{3,}[^a-z]*$")  # "INSTRUCTIONAL TOOLS"
_CONNECTORS = {"of", "and", "the", "for", "&", "de", "dba", "d/b/a", "a", "an", "by", "to", "on", "at"}


def not_a_product(text: str) -> str:
    """Why a name cell looks like something other than a product, or "" when it looks like one."""
    for pattern, reason in _NOT_PRODUCT:
        if pattern.search(text):
            return reason
    if _SHOUTED.match(text.strip()):
        return "It reads as a heading, not a product."
    return ""


def _reads_as_a_sentence(name: str) -> bool:
    """ "Cellphones banned in class without teacher permission": many words, most of them lowercase."""
    words = _without_brackets(name).split()
    lowercase = [word for word in words if word[:1].islower() and word not in _CONNECTORS]
    return len(words) >= 5 and len(lowercase) >= 3


# --- splitting a cell into products -----------------------------------------------------------------

# Words that finish a product's title rather than start another product: "IXL Learning, Diagnostics,
# and Analytics", "Securly, Inc.", "GoGuardian Beacon, Admin, DNS".
_QUALIFIERS = {
    "analytics", "diagnostics", "assessments", "assessment", "reading", "math", "english", "spanish", "science",
    "admin", "teacher", "student", "students", "classroom", "reports", "insights", "plus", "pro", "premium", "dns",
    "fleet", "beacon", "inc", "llc", "ltd", "co", "corp", "pbc", "plc", "gmbh", "jr", "español", "cbm",
}  # fmt: skip
_SEPARATORS = re.compile(r"\s*;\s*|\s+/\s+|\s+\+\s+|\s+&\s+|\s*,\s*(?:and\s+)?|\s+and\s+(?=[A-Z0-9])")
_DESCRIPTION = re.compile(r"\s+[—–]\s+|\s+-\s+|:\s+|\s+(?:incl\.?|including)\s+", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")


def _depths(text: str) -> list[int]:
    if "(" not in text and "[" not in text:
        return [0] * len(text)
    depth, depths = 0, []
    for char in text:
        if char in "([":
            depth += 1
        depths.append(depth)
        if char in ")]":
            depth = max(depth - 1, 0)
    return depths


def _without_brackets(text: str) -> str:
    return _PAREN.sub(" ", text)


def split_products(text: str) -> list[tuple[int, int, str]]:
    """The (start, end, separator) of each product in a cell, split only outside brackets and descriptions."""
    depths = _depths(text)
    description = _DESCRIPTION.search(_masked_brackets(text, depths))
    limit = description.start() if description else len(text)
    cuts: list[tuple[int, int, str]] = []
    for match in _SEPARATORS.finditer(text, 0, limit):
        if depths[match.start()] == 0 and match.start() > 0:
            cuts.append((match.start(), match.end(), match.group(0).strip(" ,") or ","))
    parts: list[tuple[int, int, str]] = []
    start, separator = 0, ""
    for cut_start, cut_end, cut in cuts:
        parts.append((start, cut_start, separator))
        start, separator = cut_end, cut
    parts.append((start, len(text), separator))
    merged: list[tuple[int, int, str]] = []
    for start, end, separator in parts:
        words = re.findall(r"[^\W_]+", _without_brackets(text[start:end]).lower())
        if merged and (not words or (len(words) == 1 and words[0] in _QUALIFIERS)):
            merged[-1] = (merged[-1][0], end, merged[-1][2])
        else:
            merged.append((start, end, separator))
    return merged


def _masked_brackets(text: str, depths: list[int]) -> str:
    return "".join("_" if depth else char for char, depth in zip(text, depths, strict=True))


# --- one product: its name, vendor, aliases and note --------------------------------------------------

_COMPANY = re.compile(
    r"\b(?:inc|llc|ltd|corp|corporation|company|co|labs?|laboratories|learning|education|software|"
    r"technologies|technology|systems|group|pbc|plc|gmbh|dba|institute|associates|foundation)\b\.?",
    re.IGNORECASE,
)


def _looks_like_a_company(text: str) -> bool:
    """ "Qoria", "Sergeant Laboratories", "Securly, Inc.", "Liminex dba GoGuardian" — not "free", "SSO portal"."""
    words = text.replace(",", " ").split()
    if not words or len(words) > 5 or re.search(r"\d{2}|[+;/:]|\b(?:incl|formerly|e\.g|i\.e|via)\b", text, re.I):
        return False
    if "," in text and not _COMPANY.search(text.split(",", 1)[1]):
        return False
    return all(word[0].isupper() or word[0].isdigit() or word.lower() in _CONNECTORS for word in words)


def _acronym(name: str) -> str:
    return "".join(word[0] for word in re.findall(r"[A-Za-z]+", name) if word[0].isupper()).upper()


def _product(text: str, start: int, end: int, vendors: "VendorIndex", website: str) -> tuple[NameProposal, TextFacts]:
    piece = text[start:end]
    facts = read_facts(piece)
    rest = facts.rest
    description = _DESCRIPTION.search(_masked_brackets(rest, _depths(rest)))
    head, note = (rest[: description.start()], rest[description.end() :]) if description else (rest, "")
    by = re.search(r"\s+by\s+([A-Z][\w&.' -]*)$", head)
    vendor, source, aliases, notes = "", VendorSource.NONE, [], [note] if note else []
    if by and _looks_like_a_company(by.group(1)):
        vendor, source, head = by.group(1).strip(), VendorSource.BY, head[: by.start()]
    for paren in _PAREN.finditer(head):
        inside = paren.group(1).strip()
        formerly = re.match(r"(?:formerly|previously|aka|a\.k\.a\.)\s+(.+)", inside, re.IGNORECASE)
        if formerly:
            aliases.append(formerly.group(1).strip())
        elif inside and inside.upper() == _acronym(_PAREN.sub("", head)) and len(inside) > 1:
            aliases.append(inside)
        elif not vendor and _looks_like_a_company(inside):
            vendor, source = inside, VendorSource.PARENTHESES
        elif inside:
            notes.append(inside)
    name = tidy(_PAREN.sub(" ", head))
    if not vendor:
        vendor, source = _inferred_vendor(name, vendors, website)
    proposal = NameProposal(name, vendor, source, tuple(aliases), "; ".join(notes), start, end)
    return proposal, facts


@dataclass(frozen=True)
class VendorIndex:
    """Vendor names by their spelling-free key, built once for a whole file (the district's, the file's)."""

    by_key: Mapping[str, str]

    @classmethod
    def of(cls, names: Sequence[str]) -> "VendorIndex":
        return cls({vendor_key(name): name for name in names if vendor_key(name)})


NO_VENDORS = VendorIndex({})


def _inferred_vendor(name: str, vendors: VendorIndex, website: str) -> tuple[str, VendorSource]:
    """A vendor the district has whose name starts the product's ("Google Classroom"), else the website's."""
    words = name.split()
    keys = vendors.by_key
    for length in range(len(words) if keys else 0, 0, -1):
        known = keys.get(vendor_key(" ".join(words[:length])))
        if known:
            return known, VendorSource.EXISTING
    label = registrable_name(website)
    if label:
        known = keys.get(vendor_key(label)) or (name if vendor_key(name) == vendor_key(label) else None)
        return known or " ".join(word.capitalize() for word in label.split("-")), VendorSource.WEBSITE
    return "", VendorSource.NONE


def inferred_vendor(name: str, vendors: VendorIndex, website: str) -> tuple[str, VendorSource]:
    """The vendor a product name or its website proposes when nothing in brackets names one."""
    return _inferred_vendor(name, vendors, website)


def read_name(text: str, *, vendors: VendorIndex = NO_VENDORS, website: str = "", split: bool = True) -> NameReading:
    """The products a name cell proposes, each with its vendor and facts; or why it is not a product.

    `vendors`: the district's vendors (and the file's vendor column, if any), to recognise them in
    names; `website`: the row's web address, whose registrable name proposes a vendor when nothing else does;
    `split`: whether "A / B" is read as two products (the officer may decline it).
    """
    reason = not_a_product(text)
    if reason:
        return NameReading(text, (), (), reason)
    spans = split_products(text) if split else [(0, len(text), "")]
    read = [_product(text, start, end, vendors, website if len(spans) == 1 else "") for start, end, _ in spans]
    read = [(proposal, facts) for proposal, facts in read if proposal.name]
    products = [(proposal, facts) for proposal, facts in read if not _reads_as_a_sentence(proposal.name)]
    if read and not products:
        return NameReading(text, (), (), "It reads as a sentence, not a product name.")
    read = products
    separators = {separator for _, _, separator in spans[1:]}
    if len(read) > 1 and separators <= {"+", "&"}:
        shared = read[-1][0]
        if shared.vendor_source is VendorSource.PARENTHESES:  # "Read&Write + OrbitNote (Texthelp)"
            read = [
                (
                    NameProposal(p.name, shared.vendor, shared.vendor_source, p.aliases, p.note, p.start, p.end)
                    if p.vendor_source is VendorSource.NONE
                    else p,
                    facts,
                )
                for p, facts in read
            ]
    return NameReading(text, tuple(p for p, _ in read), tuple(f for _, f in read))


# --- vendors ----------------------------------------------------------------------------------------

_LEGAL = {
    "inc", "incorporated", "llc", "l", "c", "ltd", "limited", "corp", "corporation", "co", "company", "pbc", "plc",
    "gmbh", "sa", "ag", "bv", "nv", "pty", "lp", "llp", "the", "dba", "asa",
}  # fmt: skip
_GENERIC = {
    "learning", "education", "educational", "software", "technologies", "technology", "tech", "labs", "lab", "systems",
    "group", "holdings", "international", "global", "online", "digital", "solutions", "services", "edu", "k12",
}  # fmt: skip


@lru_cache(maxsize=65_536)
def vendor_key(name: str) -> str:
    """The spelling-free form two names of one vendor share: "IXL Learning" and "IXL" → "ixl"."""
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", name).casefold())
    words = [word for word in words if word not in _LEGAL]
    while len(words) > 1 and words[-1] in _GENERIC:
        words.pop()
    return "".join(words)


@dataclass(frozen=True)
class VendorGroup:
    """Spellings that name one vendor, and the name proposed for it (the district's own, if it has one)."""

    name: str
    existing: str | None
    spellings: tuple[str, ...]
    similarity: float  # the lowest similarity (0-100) that joined a spelling to the group; 100 for the same key

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "existing": self.existing,
            "spellings": list(self.spellings),
            "similarity": self.similarity,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "VendorGroup":
        return cls(data["name"], data["existing"], tuple(data["spellings"]), data["similarity"])


MIN_FUZZY_KEY = 5  # shorter keys ("ixl", "sas") only join by the same key: one letter apart is another vendor


def group_vendors(
    spellings: Sequence[str], existing: Sequence[str] = (), *, threshold: float = 90
) -> list[VendorGroup]:
    """The vendor spellings of a file grouped by vendor, each matched to the district's vendors where one fits."""
    counts = Counter(spelling.strip() for spelling in spellings if spelling.strip())
    existing_by_key = {vendor_key(name): name for name in existing}
    keys: dict[str, list[str]] = {}
    for spelling in counts:
        keys.setdefault(vendor_key(spelling), []).append(spelling)
    clusters: dict[str, tuple[list[str], float]] = {}  # representative key → spellings, similarity
    targets = list(existing_by_key)
    for key in sorted(keys, key=lambda key: -sum(counts[s] for s in keys[key])):
        home, score = key, 100.0
        if key not in existing_by_key and key not in clusters and len(key) >= MIN_FUZZY_KEY:
            candidates = [target for target in [*targets, *clusters] if len(target) >= MIN_FUZZY_KEY]
            best = process.extractOne(key, candidates, scorer=fuzz.ratio, score_cutoff=threshold)
            if best is not None:
                home, score = best[0], best[1]
        spellings_so_far, low = clusters.get(home, ([], 100.0))
        clusters[home] = ([*spellings_so_far, *keys[key]], min(low, score))
    groups = []
    for home, (members, similarity) in clusters.items():
        known = existing_by_key.get(home)
        name = known or max(members, key=lambda spelling: counts[spelling])  # ties: the first seen
        groups.append(VendorGroup(name, known, tuple(members), similarity))
    return groups


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list ships with the package: no network


def registrable_name(website: str) -> str:
    """The name a web address is registered under: "https://classroom.google.com/x" → "google"."""
    value = website.strip()
    if not value:
        return ""
    try:
        host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    except ValueError:
        return ""
    return _registrable_host(host)


@lru_cache(maxsize=16_384)
def _registrable_host(host: str) -> str:
    if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return ""
    registrable = _suffixes().privatesuffix(host)
    suffix = _suffixes().publicsuffix(host)
    if not registrable or not suffix:
        return ""
    return registrable[: -len(suffix) - 1]

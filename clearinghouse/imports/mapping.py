"""Our import fields, guessing them from a file's headers, and reading the words of real inventories.

Everything here is pure: no database, no request. Each reader raises ValueError with a message
written for the person who made the spreadsheet.
"""

import hashlib
import re
from collections.abc import Mapping
from datetime import date

from clearinghouse.agreements.models import AgreementKind
from clearinghouse.directory.models import ProductStatus
from clearinghouse.imports.dates import parse_day
from clearinghouse.imports.values import check_kind
from clearinghouse.imports.vocabulary import (
    AgreementStatus,
    Approval,
    grade_range,
    read_grades,
    read_status,
)
from clearinghouse.imports.vocabulary import format_grades as format_grades
from clearinghouse.timeutil import date_range_problem

# Our fields, in the order the mapping page and the export use. The export's headers are these keys.
FIELDS: dict[str, str] = {
    "vendor": "Vendor (company)",
    "product": "Product name",
    "kind": "Kind of product",
    "status": "Status (approval for use)",
    "status_note": "Status note (conditions of the approval, or the reason for refusing it)",
    "agreement_status": "Agreement status (DPA)",
    "agreement_note": "Vendor's reason for declining the agreement",
    "website": "Product website",
    "privacy_policy_url": "Vendor's privacy policy address",
    "purpose": "Purpose (why the district uses it)",
    "data_elements": "Student data it receives",
    "agreement_kind": "Agreement kind",
    "signed_on": "Agreement signed on",
    "effective_on": "Agreement effective on",
    "expires_on": "Agreement expires on",
    "schools": "Schools",
    "grade_bands": "Grade bands",
    "notes": "Notes (staff only)",
}
REQUIRED_FIELD = "product"
AGREEMENT_FIELDS = ("agreement_kind", "signed_on", "effective_on", "expires_on")

# Header words seen in real inventories, normalized by `header_key`, for each field.
HEADER_GUESSES: dict[str, tuple[str, ...]] = {
    "vendor": (
        "vendor",
        "vendor_name",
        "company",
        "company_name",
        "provider",
        "provider_name",
        "publisher",
        "developer",
        "operator",
        "supplier",
    ),
    "product": (
        "product",
        "product_name",
        "software_name",
        "software",
        "app",
        "app_name",
        "application",
        "application_name",
        "tool",
        "tool_name",
        "resource",
        "resource_name",
        "name",
        "title",
    ),
    "kind": ("kind", "product_kind", "kind_of_product", "product_type"),
    "status": (
        "status",
        "current_tl_status",
        "current_status",
        "tl_status",
        "approval_status",
        "approval",
        "product_status",
        "decision",
        "active",
        "is_active",
        "approved",
    ),
    "website": (
        "website",
        "url",
        "resource_link",
        "link",
        "product_url",
        "product_link",
        "web_address",
        "homepage",
        "home_page",
    ),
    "privacy_policy_url": (
        "privacy_policy_url",
        "privacy_policy_link",
        "privacy_policy",
        "privacy_url",
        "privacy_link",
        "privacy",
    ),
    "purpose": ("purpose", "description", "product_description", "educational_purpose", "use", "how_it_is_used"),
    "data_elements": (
        "data_elements",
        "student_data",
        "student_data_elements",
        "data_collected",
        "data_shared",
        "elements",
        "data_elements_collected",
        "pii",
        "data",
    ),
    "agreement_status": (
        "agreement_status",
        "current_dpa_status",
        "dpa_status",
        "dpa",
        "dpa_state",
        "contract_status",
        "privacy_agreement",
        "privacy_agreement_status",
    ),
    "agreement_kind": ("agreement_kind", "agreement_type", "dpa_type", "contract_type"),
    # Agreement dates are guessed only from our own headers: a catalog's "date added" or "renewal
    # date" is not an agreement's date, so other date columns are only hinted at (`date_hints`).
    "signed_on": ("signed_on", "agreement_signed_on"),
    "effective_on": ("effective_on", "agreement_effective_on"),
    "expires_on": ("expires_on", "agreement_expires_on"),
    "status_note": (
        "status_note",
        "status_notes",
        "conditions",
        "conditions_of_use",
        "approval_conditions",
        "approval_note",
        "status_reason",
    ),
    "agreement_note": (
        "agreement_note",
        "agreement_notes",
        "dpa_note",
        "vendor_reason",
        "declined_reason",
        "reason_declined",
        "dpa_declined_reason",
    ),
    "notes": ("notes", "note", "comments", "comment", "internal_notes", "dpa_notes", "remarks"),
    "schools": ("schools", "school", "division", "campus", "campuses", "buildings", "locations", "school_names"),
    "grade_bands": ("grade_bands", "grade_band", "grades", "grade_levels", "grade_level", "grade"),
}
_GUESS_INDEX = {word: field for field, words in HEADER_GUESSES.items() for word in words}
# Headers that may hold an agreement's dates, shown as a hint: the officer decides.
DATE_HINTS: dict[str, tuple[str, ...]] = {
    "signed_on": (
        "signed",
        "date_signed",
        "signed_date",
        "dpa_signed",
        "dpa_signed_date",
        "approved_on",
        "approval_date",
        "date_approved",
        "date_added",
        "contract_start",
    ),
    "effective_on": ("effective", "effective_date", "start_date", "dpa_start_date"),
    "expires_on": (
        "expires",
        "expiry",
        "expiration",
        "expiration_date",
        "expiry_date",
        "renewal_date",
        "end_date",
        "dpa_expiration",
        "dpa_expiration_date",
        "contract_end",
    ),
}
_HINT_INDEX = {word: field for field, words in DATE_HINTS.items() for word in words}


def header_key(header: str) -> str:
    """ "Privacy Policy Link " → "privacy_policy_link"."""
    return "_".join(re.findall(r"[a-z0-9]+", header.lower()))


def header_signature(headers: list[str]) -> str:
    """The key a remembered mapping is stored under: the same headers, in any order, give the same key."""
    joined = "\n".join(sorted(header_key(h) or h for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """header → field (or "" for not imported): the remembered choice first, then a guess; each field once."""
    remembered = remembered or {}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        field = remembered.get(header, "")
        if field in FIELDS and field not in used:
            mapping[header] = field
            used.add(field)
    for header in headers:
        if header in mapping or header in remembered:
            continue
        field = _GUESS_INDEX.get(header_key(header), "")
        if field and field not in used:
            mapping[header] = field
            used.add(field)
        else:
            mapping[header] = ""
    if "agreement_status" in used and "status" not in used:
        # One status column ("DPA Status") holds both the approval and the agreement: read it whole.
        for header, field in mapping.items():
            if field == "agreement_status" and header not in remembered:
                mapping[header] = "status"
    return {header: mapping.get(header, "") for header in headers}


def date_hints(headers: list[str]) -> dict[str, str]:
    """header → the agreement date it may hold: shown next to the column, never chosen for the officer."""
    return {header: _HINT_INDEX[header_key(header)] for header in headers if header_key(header) in _HINT_INDEX}


def mapping_problems(mapping: dict[str, str]) -> dict[str, str]:
    """header → message for a mapping that cannot be used (a field twice, no product column)."""
    problems: dict[str, str] = {}
    first: dict[str, str] = {}
    for header, field in mapping.items():
        if not field:
            continue
        if field not in FIELDS:
            problems[header] = "Choose one of the listed fields."
        elif field in first:
            problems[header] = f"“{first[field]}” is already imported as {FIELDS[field]}. Choose one column for it."
        else:
            first[field] = header
    if REQUIRED_FIELD not in first:
        problems[""] = "Choose the column that holds the product name; every row needs one."
    return problems


# The current product status has one dimension; issue 11 splits it into an approval and an
# agreement state. Until the domain does, a status cell is read with the shared vocabulary and
# kept only when it speaks of the product's approval alone.
_PRODUCT_STATUS = {
    Approval.APPROVED: ProductStatus.APPROVED,
    Approval.APPROVED_WITH_CONDITIONS: ProductStatus.APPROVED_WITH_CONDITIONS,
    Approval.APPROVED_NO_STUDENT_DATA: ProductStatus.APPROVED_NO_STUDENT_DATA,
    Approval.UNDER_REVIEW: ProductStatus.UNDER_REVIEW,
    Approval.NOT_APPROVED: ProductStatus.NOT_APPROVED,
    Approval.RETIRED: ProductStatus.RETIRED,
}


def _word(text: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


def parse_status(text: str) -> tuple[ProductStatus, frozenset[ProductStatus]]:
    """The status for a new product, and the statuses that already agree with the text ("TRUE" leaves an
    "approved with conditions" product alone). ValueError for words we do not know."""
    word = _word(text)
    for status in ProductStatus:
        if word in (_word(status.value), _word(status.label)):
            return status, frozenset({status})
    if text.strip() in Approval.__members__.values():  # a meaning chosen on the values step
        status = _PRODUCT_STATUS[Approval(text.strip())]
        return status, frozenset({status})
    proposal = read_status(text)
    if (
        proposal.approval is None
        or proposal.flag
        or proposal.agreement not in (None, AgreementStatus.REQUESTED)
        or proposal.conditions
    ):
        choices = ", ".join(str(status.label) for status in ProductStatus)
        raise ValueError(f"“{text}” is not a status we know. Use one of: {choices}.")
    status = _PRODUCT_STATUS[proposal.approval]
    return status, frozenset({status, *(_PRODUCT_STATUS[approval] for approval in proposal.also_agrees)})


def parse_agreement_status(text: str) -> AgreementStatus:
    """An agreement state as the values step writes it ("requested"), or in words ("DPA Pending")."""
    if text.strip() in AgreementStatus.__members__.values():
        return AgreementStatus(text.strip())
    proposal = read_status(text)
    if proposal.agreement is None or proposal.flag:
        choices = ", ".join(state.value for state in AgreementStatus)
        raise ValueError(f"“{text}” is not an agreement status we know. Use one of: {choices}.")
    return proposal.agreement


def _parse_enum(text: str, enum_cls, synonyms: dict, what: str):
    """The member whose value or label matches the text, else a synonym; ValueError naming the choices."""
    word = _word(text)
    for member in enum_cls:
        if word in (_word(member.value), _word(member.label)):
            return member
    if word in synonyms:
        return synonyms[word]
    choices = ", ".join(str(member.label) for member in enum_cls)
    raise ValueError(f"“{text}” is not a kind of {what} we know. Use one of: {choices}.")


def parse_kind(text: str, kinds: Mapping[str, str]) -> str:
    """A kind of the district's (`kinds`: slug → name) named by its slug, its name or a word real catalogs
    use for it: its slug; or "new:NAME", a kind to add (`values.check_kind`). ValueError otherwise."""
    return check_kind(text, kinds=kinds)


AGREEMENT_KIND_WORDS = {
    "ndpa": AgreementKind.NDPA,
    "national data privacy agreement": AgreementKind.NDPA,
    "sdpc": AgreementKind.NDPA,
    "state": AgreementKind.STATE_TEMPLATE,
    "state template": AgreementKind.STATE_TEMPLATE,
    "state dpa": AgreementKind.STATE_TEMPLATE,
    "vendor terms": AgreementKind.VENDOR_TERMS,
    "vendor's terms": AgreementKind.VENDOR_TERMS,
    "terms of service": AgreementKind.VENDOR_TERMS,
    "tos": AgreementKind.VENDOR_TERMS,
    "custom": AgreementKind.CUSTOM,
    "custom dpa": AgreementKind.CUSTOM,
}


def parse_agreement_kind(text: str) -> AgreementKind:
    return _parse_enum(text, AgreementKind, AGREEMENT_KIND_WORDS, "agreement")


def parse_date(text: str) -> date:
    """One day, in any form `dates` reads, inside the site's date range; ValueError (with an example) for a
    month, a year, an unknown form, or a day out of range."""
    day = parse_day(text)
    if problem := date_range_problem(day):
        raise ValueError(f"“{text.strip()}”: {problem}")
    return day


def parse_grades(text: str) -> frozenset[str]:
    """ "Pre-K, Kindergarten, Grade 1" / "K-5, 9–12" / "Grades 6 to 8" → a set of grades."""
    proposal = read_grades(text)
    for part in proposal.unmatched:
        if grade_range(part) is not None:
            raise ValueError(f"“{part}” runs backwards. Write the lower grade first, like K-5.")
        raise ValueError(f"“{part}” is not a grade we understand. Use grades like PK, K, 1…12, or ranges like K-5.")
    return frozenset(proposal.grades)


def normalize_url(text: str) -> str:
    """A web address, with https:// added to a bare host name; ValueError if it is not one."""
    value = text.strip()
    if not value:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        value = f"https://{value}"
    if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?", value, re.IGNORECASE):
        raise ValueError(f"“{text}” is not a web address. Write it like https://www.example.org/privacy.")
    return value


def split_list(text: str) -> list[str]:
    """A cell listing several things, one per line or separated by semicolons."""
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]

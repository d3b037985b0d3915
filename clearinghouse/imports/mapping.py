"""Our import fields, guessing them from a file's headers, and reading the words of real inventories.

Everything here is pure: no database, no request. Each reader raises ValueError with a message
written for the person who made the spreadsheet.
"""

import hashlib
import re
from datetime import date, datetime

from clearinghouse.agreements.models import AgreementKind
from clearinghouse.directory.models import ProductKind, ProductStatus

# Our fields, in the order the mapping page and the export use. The export's headers are these keys.
FIELDS: dict[str, str] = {
    "vendor": "Vendor (company)",
    "product": "Product name",
    "kind": "Kind of product",
    "status": "Status",
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
    "agreement_kind": ("agreement_kind", "agreement_type", "dpa_type", "contract_type"),
    "signed_on": (
        "signed_on",
        "signed",
        "date_signed",
        "signed_date",
        "dpa_signed",
        "dpa_signed_date",
        "date_added",
        "approved_on",
        "approval_date",
        "date_approved",
    ),
    "effective_on": ("effective_on", "effective", "effective_date", "start_date", "dpa_start_date"),
    "expires_on": (
        "expires_on",
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
    "schools": ("schools", "school", "division", "campus", "campuses", "buildings", "locations", "school_names"),
    "grade_bands": ("grade_bands", "grade_band", "grades", "grade_levels", "grade_level", "grade"),
}
_GUESS_INDEX = {word: field for field, words in HEADER_GUESSES.items() for word in words}


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
    return {header: mapping.get(header, "") for header in headers}


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


# Status words of real inventories. Each maps to the status given to a new product and the
# statuses that already agree with it, so "TRUE" leaves an "approved with conditions" product alone.
_APPROVED_ANY = frozenset({ProductStatus.APPROVED, ProductStatus.APPROVED_WITH_CONDITIONS})
_NOT_IN_USE = frozenset({ProductStatus.RETIRED, ProductStatus.NOT_APPROVED})
STATUS_WORDS: dict[str, tuple[ProductStatus, frozenset[ProductStatus]]] = {}
for _words, _status, _accepted in (
    (("approved", "approve", "accepted", "allowed", "compliant"), ProductStatus.APPROVED, None),
    (
        (
            "approved with conditions",
            "conditionally approved",
            "approved with restrictions",
            "conditional",
            "limited approval",
            "restricted",
            "approved conditionally",
        ),
        ProductStatus.APPROVED_WITH_CONDITIONS,
        None,
    ),
    (
        (
            "under review",
            "pending",
            "in review",
            "in progress",
            "requested",
            "submitted",
            "review",
            "reviewing",
            "new",
            "pending review",
        ),
        ProductStatus.UNDER_REVIEW,
        None,
    ),
    (
        (
            "not approved",
            "rejected",
            "denied",
            "declined",
            "disapproved",
            "not allowed",
            "blocked",
            "prohibited",
            "unapproved",
            "do not use",
        ),
        ProductStatus.NOT_APPROVED,
        None,
    ),
    (
        ("retired", "inactive", "discontinued", "archived", "no longer used", "sunset", "removed"),
        ProductStatus.RETIRED,
        None,
    ),
    (("true", "yes", "y", "1", "active", "in use"), ProductStatus.APPROVED, _APPROVED_ANY),
    (("false", "no", "n", "0", "not active", "not in use"), ProductStatus.RETIRED, _NOT_IN_USE),
):
    for _word in _words:
        STATUS_WORDS[_word] = (_status, _accepted or frozenset({_status}))


def _word(text: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


def parse_status(text: str) -> tuple[ProductStatus, frozenset[ProductStatus]]:
    word = _word(text)
    for status in ProductStatus:
        if word in (_word(status.value), _word(status.label)):
            return status, frozenset({status})
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    choices = ", ".join(status.label for status in ProductStatus)
    raise ValueError(f"“{text}” is not a status we know. Use one of: {choices}.")


KIND_WORDS = {
    "lms": ProductKind.LEARNING_PLATFORM,
    "learning management": ProductKind.LEARNING_PLATFORM,
    "sis": ProductKind.STUDENT_INFORMATION,
    "literacy": ProductKind.READING,
}


def _parse_enum(text: str, enum_cls, synonyms: dict, what: str):
    """The member whose value or label matches the text, else a synonym; ValueError naming the choices."""
    word = _word(text)
    for member in enum_cls:
        if word in (_word(member.value), _word(member.label)):
            return member
    if word in synonyms:
        return synonyms[word]
    choices = ", ".join(member.label for member in enum_cls)
    raise ValueError(f"“{text}” is not a kind of {what} we know. Use one of: {choices}.")


def parse_kind(text: str) -> ProductKind:
    return _parse_enum(text, ProductKind, KIND_WORDS, "product")


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


# ISO first, then the US forms Excel writes. Day-first dates (15/01/2024) are refused, not guessed.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m-%d-%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
)


def parse_date(text: str) -> date:
    value = text.strip()
    # Excel and databases often add a midnight time: "2024-01-15 00:00:00", "1/15/2024 0:00".
    value = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AP]M)?$", "", value, flags=re.IGNORECASE)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(f"“{text}” is a date in a format we don't know. Write it as 2024-01-15 or 1/15/2024.")


# Grades, in order; a product's bands are kept compactly ("PK-12", "K-5, 9-12").
GRADES = ("PK", "K", *(str(n) for n in range(1, 13)))
_GRADE_WORDS = {
    "pk": "PK",
    "prek": "PK",
    "pre k": "PK",
    "pre kindergarten": "PK",
    "prekindergarten": "PK",
    "tk": "PK",
    "preschool": "PK",
    "k": "K",
    "kg": "K",
    "kinder": "K",
    "kindergarten": "K",
}


def _grade(token: str) -> str | None:
    word = _word(token.replace(".", ""))
    word = re.sub(r"^(grades?|gr|year)\s*", "", word)
    word = re.sub(r"\s*grade$", "", word)
    word = re.sub(r"(?<=\d)(st|nd|rd|th)$", "", word).strip()
    if word in _GRADE_WORDS:
        return _GRADE_WORDS[word]
    if word.isdigit() and 1 <= int(word) <= 12:
        return str(int(word))
    return None


def parse_grades(text: str) -> frozenset[str]:
    """ "Pre-K, Kindergarten, Grade 1" / "K-5, 9–12" / "Grades 6 to 8" → a set of grades."""
    grades: set[str] = set()
    for part in re.split(r"[,;/\n]|\band\b", text):
        part = part.strip()
        if not part:
            continue
        span = re.fullmatch(r"(?:grades?\s*)?(.+?)\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)\s*(.+)", part, re.IGNORECASE)
        single = _grade(part)
        if single is not None:
            grades.add(single)
        elif span and _grade(span.group(1)) and _grade(span.group(2)):
            start, end = GRADES.index(_grade(span.group(1))), GRADES.index(_grade(span.group(2)))
            if start > end:
                raise ValueError(f"“{part}” runs backwards. Write the lower grade first, like K-5.")
            grades.update(GRADES[start : end + 1])
        else:
            raise ValueError(f"“{part}” is not a grade we understand. Use grades like PK, K, 1…12, or ranges like K-5.")
    return frozenset(grades)


def format_grades(grades: frozenset[str] | set[str]) -> str:
    """{"K", "1", "2", "9"} → "K-2, 9"."""
    runs: list[list[str]] = []
    for grade in GRADES:
        if grade not in grades:
            continue
        if runs and GRADES.index(runs[-1][-1]) == GRADES.index(grade) - 1:
            runs[-1].append(grade)
        else:
            runs.append([grade])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


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

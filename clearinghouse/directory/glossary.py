"""The families' glossary: the words this site uses, in plain language.

Each approval and agreement state is listed under the label its enum gives it (`.label`), the
words every page shows, so the glossary and the pages never disagree; a state with no
definition here fails tests/directory/test_rights_page.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clearinghouse.agreements.models import EXPIRING_HORIZON, AgreementState
from clearinghouse.agreements.status import ProductAgreementStatus
from clearinghouse.directory.models import ProductStatus
from clearinghouse.i18n import LocalizedText


@dataclass(frozen=True)
class Entry:
    anchor: str  # the id of the term on the rights page, for links from other pages
    term: str
    definition: str
    examples: Sequence[LocalizedText] = ()  # names staff wrote, shown after the definition


@dataclass(frozen=True)
class Group:
    heading: str
    entries: list[Entry]


# By the states' values (every one of the enums' must be here; a test checks).
APPROVAL_DEFINITIONS = {
    "approved": _l("The district reviewed the product and allows its use with student data."),
    "approved_with_conditions": _l(
        "The district reviewed the product and allows its use with student data, under conditions it set."
    ),
    "approved_no_student_data": _l("The district allows the product because it collects no student data."),
    "under_review": _l("The district is reviewing the product and has not decided yet."),
    "not_approved": _l("The district reviewed the product and does not allow its use with student data."),
    "retired": _l("The district no longer uses the product."),
}

# Where a product's agreement stands (agreements.status), as each product page and card says it.
STANDING_DEFINITIONS = {
    "signed": _l("A signed agreement covers the product; the page gives its state and the day that matters."),
    "on_file": _l("The district has the agreement on file, but has not recorded its dates yet."),
    "requested": _l("The district has asked the company to sign an agreement; none is signed yet."),
    "none_on_file": _l("The district has not recorded any agreement for the product."),
    "declined_by_vendor": _l("The company has declined to sign the district's agreement."),
    "not_required": _l("The product collects no student data, so no agreement is needed."),
}

AGREEMENT_DEFINITIONS = {
    "on_file": _l("The district has the agreement on file, but has not recorded its dates yet."),
    "draft": _l("The district and the company have not signed the agreement yet."),
    "upcoming": _l("The agreement is signed and protects the data from the day it takes effect."),
    "active": _l("The agreement is signed and in effect: the company must follow it."),
    "expiring": _l("The agreement is in effect but ends within %(days)s days, unless the district renews it."),
    "expired": _l(
        "The agreement's term ended and no new agreement replaced it. The district directs the company to "
        "destroy the student data it received."
    ),
    "terminated": _l(
        "The agreement was ended before its term. The district directs the company to destroy the student data "
        "it received."
    ),
    "renewed": _l("A newer agreement replaced this one and now covers the data."),
}


def approval_anchor(status: ProductStatus) -> str:
    return f"approval-{status.value.replace('_', '-')}"


def standing_anchor(status: ProductAgreementStatus) -> str:
    return f"standing-{status.value.replace('_', '-')}"


def agreement_anchor(state: AgreementState) -> str:
    return f"agreement-{state.value.replace('_', '-')}"


def _definition(text: object) -> str:
    return str(text) % {"days": EXPIRING_HORIZON.days}


def glossary(sensitive_examples: Sequence[LocalizedText], disposal_days: int) -> list[Group]:
    """The glossary in the reader's language. `sensitive_examples`: a few sensitive data elements'
    names; `disposal_days`: the district's default disposal window."""
    sensitive = _(
        "Kinds of student data the district marks as sensitive, because their misuse could harm a student "
        "most. Pages mark them “Sensitive” and name them first."
    )
    words = [
        Entry("sensitive-data", _("Sensitive data"), sensitive, sensitive_examples),
        Entry(
            "data-element",
            _("Kind of student data"),
            _(
                "One item of information about a student that a product receives, such as a date of birth or "
                "a reading level. The NDPA calls it a data element."
            ),
        ),
        Entry(
            "ndpa",
            _("NDPA"),
            _(
                "The National Data Privacy Agreement: a standard contract, written by the Student Data Privacy "
                "Consortium, that school districts sign with education companies. It limits what the company may "
                "do with student data, requires it to keep the data secure, and requires it to return or destroy "
                "the data when the agreement ends."
            ),
        ),
        Entry(
            "disposal-window",
            _("Disposal window"),
            _(
                "How many days a company has, once its agreement has ended, to destroy the student data it "
                "received and certify it. The agreement may set it; otherwise the district allows %(days)s days.",
                days=disposal_days,
            ),
        ),
        Entry(
            "education-records",
            _("Education records"),
            _(
                "Records directly about a student that the district keeps, or that a company keeps for it. "
                "FERPA, a federal law, gives parents rights over them."
            ),
        ),
    ]
    return [
        Group(_("Words used on this site"), words),
        Group(
            _("Approval of a product"),
            [
                Entry(approval_anchor(s), str(s.label), _definition(APPROVAL_DEFINITIONS.get(s.value, "")))
                for s in ProductStatus
            ],
        ),
        Group(
            _("Where a product's agreement stands"),
            [
                Entry(standing_anchor(s), str(s.label), _definition(STANDING_DEFINITIONS.get(s.value, "")))
                for s in ProductAgreementStatus
            ],
        ),
        Group(
            _("State of an agreement"),
            [
                Entry(agreement_anchor(s), str(s.label), _definition(AGREEMENT_DEFINITIONS.get(s.value, "")))
                for s in AgreementState
            ],
        ),
    ]

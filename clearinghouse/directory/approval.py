"""A product's approval for use: the statuses the district gives a product, and their labels.

Apart from the models, so that another domain's models (an intake request's decision sets one of
these statuses) can use the statuses without importing the directory's mappers.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class ProductStatus(StrEnum):
    """The district's approval of a product for use (its data-privacy agreement is another matter:
    `StatedAgreementStatus`, and the agreements themselves)."""

    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"  # the conditions in Product.status_note
    APPROVED_NO_STUDENT_DATA = "approved_no_student_data"  # approved because it collects no student data
    UNDER_REVIEW = "under_review"
    NOT_APPROVED = "not_approved"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return PRODUCT_STATUS_LABELS[self]


PRODUCT_STATUS_LABELS = {
    ProductStatus.APPROVED: _l("Approved"),
    ProductStatus.APPROVED_WITH_CONDITIONS: _l("Approved with conditions"),
    ProductStatus.APPROVED_NO_STUDENT_DATA: _l("Approved, no student data collected"),
    ProductStatus.UNDER_REVIEW: _l("Under review"),
    ProductStatus.NOT_APPROVED: _l("Not approved"),
    ProductStatus.RETIRED: _l("Retired"),
}

"""Forms for the outbox page."""

from wtforms import SelectChoice, SelectField

from clearinghouse.forms import BaseForm, GetForm
from clearinghouse.notices.models import NoticeStatus

FILTERS = [
    SelectChoice(NoticeStatus.QUEUED.value, NoticeStatus.QUEUED.label),
    SelectChoice("failed", "Failed (will be retried)"),
    SelectChoice(NoticeStatus.SENT.value, NoticeStatus.SENT.label),
    SelectChoice(NoticeStatus.CANCELLED.value, NoticeStatus.CANCELLED.label),
    SelectChoice("all", "All"),
]


class RetryForm(BaseForm):
    """Nothing to fill in: the form carries the CSRF token."""


class OutboxFilterForm(GetForm):
    """The list's filter (GET, so no CSRF token)."""

    status = SelectField("Show", choices=FILTERS, default="queued")

"""Forms for the outbox page."""

from wtforms import SelectChoice, SelectField

from clearinghouse.forms import BaseForm, GetForm

FILTERS = [
    SelectChoice("queued", "Waiting to be sent"),
    SelectChoice("failed", "Failed (will be retried)"),
    SelectChoice("sent", "Sent"),
    SelectChoice("cancelled", "Cancelled"),
    SelectChoice("all", "All"),
]


class RetryForm(BaseForm):
    """Nothing to fill in: the form carries the CSRF token."""


class OutboxFilterForm(GetForm):
    """The list's filter (GET, so no CSRF token)."""

    status = SelectField("Show", choices=FILTERS, default="queued")

"""Forms for the outbox page."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

FILTERS = [
    SelectChoice("queued", "Waiting to be sent"),
    SelectChoice("failed", "Failed (will be retried)"),
    SelectChoice("sent", "Sent"),
    SelectChoice("cancelled", "Cancelled"),
    SelectChoice("all", "All"),
]


class RetryForm(FlaskForm):
    """Nothing to fill in: the form carries the CSRF token."""


class OutboxFilterForm(FlaskForm):
    """The list's filter (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Show", choices=FILTERS, default="queued")

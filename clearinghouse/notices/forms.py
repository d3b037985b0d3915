"""Forms for the outbox page."""

from flask_wtf import FlaskForm
from wtforms import SelectField

FILTERS = [
    ("queued", "Waiting to be sent"),
    ("failed", "Failed (will be retried)"),
    ("sent", "Sent"),
    ("cancelled", "Cancelled"),
    ("all", "All"),
]


class RetryForm(FlaskForm):
    """Nothing to fill in: the form carries the CSRF token."""


class OutboxFilterForm(FlaskForm):
    """The list's filter (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Show", choices=FILTERS, default="queued")

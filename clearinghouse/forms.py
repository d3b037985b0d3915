"""What every form shares: safe text in every field, dates in a sensible range, numbers a database can hold.

Every form of the site derives from `BaseForm` (a GET filter form from `GetForm`). Its `Meta`
adds one filter to each field when the form is built, so no field is left out:

- one-line text (`StringField` and its kinds: e-mail, URL, search, hidden) goes through
  `text.clean_line`, multi-line text (`TextAreaField`) through `text.clean_text`: a NUL byte, an
  escape, a direction override or (in one-line fields) a line break becomes the field's error,
  and the form keeps what was typed;
- whole numbers (`IntegerField`, and selects and checkboxes whose values are ids) must fit the
  databases' integer columns, or the field says so.

Passwords are left exactly as typed: they are hashed, never stored or shown.
Dates use `DayField`, whose range (`timeutil.EARLIEST_DATE` to `LATEST_DATE`) is the one the
services check too.
"""

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, PasswordField, SelectFieldBase, StringField, TextAreaField
from wtforms.fields.core import UnboundField

from clearinghouse.text import clean_line, clean_text
from clearinghouse.timeutil import date_range_problem

INT_MAX = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL (SQLite's is larger)
INT_MIN = -(2**31)
NUMBER_TOO_LARGE = "That number is too large. Enter a smaller one."
DATE_FORMAT_HELP = "Enter a date like 2026-07-01 (year-month-day)."


def _line(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def bounded_int(value: Any) -> int:
    """`int`, refusing what no integer column can hold (a ValueError, so the field shows it)."""
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError(NUMBER_TOO_LARGE)
    return number


def _number_in_range(value: Any) -> Any:
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise ValueError(NUMBER_TOO_LARGE)
    return value


def safe_field(unbound_field: UnboundField) -> UnboundField:
    """The field with the filter its kind needs added first (see the module docstring)."""
    field_class = unbound_field.field_class
    kwargs = dict(unbound_field.kwargs)
    if issubclass(field_class, TextAreaField):
        kwargs["filters"] = [_text, *kwargs.get("filters", ())]
    elif issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
        kwargs["filters"] = [_line, *kwargs.get("filters", ())]
    elif issubclass(field_class, IntegerField):
        kwargs["filters"] = [_number_in_range, *kwargs.get("filters", ())]
    elif issubclass(field_class, SelectFieldBase) and kwargs.get("coerce") is int:
        kwargs["coerce"] = bounded_int
    else:
        return unbound_field
    return UnboundField(field_class, *unbound_field.args, name=unbound_field.name, **kwargs)


class BaseForm(FlaskForm):
    """The base of every form: each field gets the input checks of its kind (module docstring)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return super().bind_field(form, safe_field(unbound_field), options)


class GetForm(BaseForm):
    """A filter form read from the query string; it changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False


class DayField(DateField):
    """A calendar date (an <input type="date">) between `EARLIEST_DATE` and `LATEST_DATE`.

    Refuses what does not parse, and a date outside the range (0001-01-01, 9999-12-31), with a
    message that says what to type; the services check the same range.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(DATE_FORMAT_HELP) from None
        if isinstance(self.data, date):
            problem = date_range_problem(self.data)
            if problem:
                raise ValueError(problem)

"""Form fields for mobile numbers and resident identity numbers, the WTForms side of
`portal.core.identity`, which parses and normalises them for the forms and the SMS hotline
alike; and for dates given as far as people know them (`portal.core.partial_dates`)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from portal.core import clock
from portal.core.identity import (
    InvalidMobileNumber,
    InvalidResidentId,
    ResidentIdCheckFailed,
    normalise_mobile,
    normalise_resident_id,
)
from portal.core.partial_dates import DateRefused, parse_partial_date, partial_date_words


class TypedStringField(StringField):
    """A text input that, when the form comes back with errors, shows exactly what was typed:
    the validators below replace the data with its normalised form (E.164, upper case), which
    the person did not type and may not recognise."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return super()._value()


class MobileNumber:
    """WTForms validator: a valid mobile number; replaces the field's data with E.164."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("Enter a mobile number, like 138 0013 8000")

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            field.data = normalise_mobile(field.data)
        except InvalidMobileNumber as exc:
            raise ValidationError(str(self.message)) from exc


class ResidentIdNumber:
    """WTForms validator: a valid 18-character resident identity number; normalises the field's data."""

    def __init__(self, message: Any = None, check_message: Any = None) -> None:
        self.message = message or _l(
            "Enter the 18-character resident identity number exactly as it is on the identity card"
        )
        self.check_message = check_message or _l(
            "Check the resident identity number: one of its characters does not match the card"
        )

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            field.data = normalise_resident_id(field.data)
        except ResidentIdCheckFailed as exc:
            raise ValidationError(str(self.check_message)) from exc
        except InvalidResidentId as exc:
            raise ValidationError(str(self.message)) from exc


class PartialDateField(TypedStringField):
    """A text box for a date as far as the person knows it (1990年5月, 约1990, 90年代, May 1990,
    the 1990s...). With the `PartialDateText` validator its data becomes the EDTF string to
    store (portal.core.partial_dates); a stored value comes back into the box as words in the
    page's language (1990年代 · the 1990s), which read back the same."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return partial_date_words(self.data) if self.data else ""


class PartialDateText:
    """WTForms validator: a date as far as the person knows it, not before 1900 and not after
    today (the local day); replaces the field's data with its EDTF string. `message` is the
    question's own "Enter ..., like ..." for what cannot be read; a day that does not exist,
    a date before 1900 and a date in the future have their own words. Empty passes (make the
    field required with DataRequired)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            field.data = parse_partial_date(str(field.data), clock.local_today()).edtf
        except DateRefused as refused:
            message = {
                "impossible": _l("Enter a real date, like 17 May 1990"),
                "too_early": _l("Enter a date from 1900 onwards, like 1990"),
                "future": _l("The date must be today or in the past"),
            }.get(refused.reason, self.message)
            raise ValidationError(str(message)) from refused


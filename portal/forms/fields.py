"""Mobile numbers and resident identity numbers: parsing, normalising, displaying, validating.

Parsing is done by `phonenumbers` (Google's libphonenumber) and `python-stdnum` (`stdnum.cn.ric`,
GB 11643-1999: 18 characters, ISO 7064 MOD 11-2 check character, a real date of birth).
The same functions serve the web forms (through the WTForms validators below) and the SMS flows.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError as StdnumError
from wtforms import StringField
from wtforms.validators import ValidationError

from portal import clock

DEFAULT_REGION = "CN"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class InvalidMobileNumber(ValueError):
    """The text is not a valid mobile number."""


class InvalidResidentId(ValueError):
    """The text is not a valid resident identity number (wrong length, check digit or date)."""


class ResidentIdCheckFailed(InvalidResidentId):
    """The number has the right form but its check character does not match: a typing mistake."""


def normalise_mobile(text: str, region: str = DEFAULT_REGION) -> str:
    """Return the mobile number in E.164 (`+8613800138000`).

    Accepts full-width digits, spaces, hyphens, brackets, `+86` and `0086`. Numbers without a
    country code are read as Chinese. Raises InvalidMobileNumber if it is not a valid mobile number.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded:
        raise InvalidMobileNumber("empty")
    try:
        number = phonenumbers.parse(folded, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidMobileNumber(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobileNumber("not a valid number")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidMobileNumber("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str | None) -> str:
    """Group a stored E.164 number for reading: `138 0013 8000` for Chinese numbers, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)



def _area_code_ever_listed(number: str) -> bool:
    """True when the first six digits of `number` are an area code GB/T 2260 has listed at any time
    (python-stdnum's `cn/loc` database)."""
    from stdnum import numdb

    return any(props for _part, props in numdb.get("cn/loc").info(number[:6]))


def _birth_date_exists(number: str) -> bool:
    """True when digits 7-14 of `number` are a real calendar date."""
    try:
        ric.get_birth_date(number)
    except StdnumError:
        return False
    return True


def normalise_resident_id(text: str) -> str:
    """Return the 18-character resident identity number, upper-case (`11010519491231002X`).

    Accepts full-width characters, spaces and a lower-case x. Raises InvalidResidentId for a
    wrong length, check character (ResidentIdCheckFailed) or birth date, including one in the
    future or before 1900 (GB 11643-1999, via stdnum.cn.ric).
    """
    folded = unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("-", "").upper()
    try:
        number = ric.validate(folded)
    except InvalidChecksum as exc:
        raise ResidentIdCheckFailed(str(exc)) from exc
    except InvalidComponent as exc:
        # stdnum also requires the area code to have existed in the birth year, but a number keeps
        # the code of the place where it was first issued, often years after birth (a parent born
        # in 1975 in what became Nantong's 崇川区 in 1983 holds 320602…). Any area code that
        # GB/T 2260 has ever listed is accepted; the birth date must still be real.
        if not _area_code_ever_listed(folded) or not _birth_date_exists(folded):
            raise InvalidResidentId(str(exc)) from exc
        number = folded
    except StdnumError as exc:
        raise InvalidResidentId(str(exc)) from exc
    # stdnum checks that the birth date exists, not that it is possible for a living person.
    born = ric.get_birth_date(number)
    if not EARLIEST_BIRTH_DATE <= born <= clock.local_today():
        raise InvalidResidentId(f"birth date {born} is not possible")
    return number


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

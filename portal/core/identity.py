"""Mobile numbers and resident identity numbers: parsing, normalising, displaying.

Parsing is done by `phonenumbers` (Google's libphonenumber) and `python-stdnum` (`stdnum.cn.ric`,
GB 11643-1999: 18 characters, ISO 7064 MOD 11-2 check character, a real date of birth).
The same functions serve the configuration, the web forms (through the WTForms validators in
`portal.forms.fields`) and the SMS hotline. They know no form and no request.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import phonenumbers
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError as StdnumError

from portal.core import clock

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

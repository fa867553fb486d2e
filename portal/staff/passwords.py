"""What a staff password must be: long enough and not a common one (NIST SP 800-63B, 5.1.1.2).

No composition rules and no maximum below 200 characters, so pass-phrases and password managers
work; the box accepts pasting. The common-password list is the 30,000 most common passwords
from the `zxcvbn` package (Dropbox's list, maintained upstream), not a list typed by hand.
"""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


# Why a password was refused: code -> (English for the command line, words for the web form).
PROBLEMS = {
    "too_short": (f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                  _l("Password must be at least %(count)d characters", count=MIN_PASSWORD_LENGTH)),
    "too_long": (f"password must be {MAX_PASSWORD_LENGTH} characters or fewer",
                 _l("Password must be %(count)d characters or fewer", count=MAX_PASSWORD_LENGTH)),
    "common": ("password is too common: choose a longer phrase that others would not guess",
               _l("This password is too common. Choose a longer phrase that others would not guess")),
    "username": ("password must not be the username", _l("The password must not be the username")),
}


def password_problem(password: str, username: str = "") -> str | None:
    """The code (a key of PROBLEMS) of the reason `password` is refused, or None when acceptable.

    Refused: shorter than 10 or longer than 200 characters, on the common-password list (case
    ignored), one character repeated, or the username itself.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) == 1:
        return "common"
    if username and lowered == username.strip().lower():
        return "username"
    return None

"""What the sampling pages say when a booking cannot be made (one message per domain error)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.sampling.booking import (
    AlreadyBooked,
    BookingError,
    RepeatedIdentityNumber,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    TooManyBookingsForPhone,
    UnderAge,
)

CHOOSE_A_SHOWN_TIME = _l("Choose one of the times shown")

_MESSAGES = {
    SlotFull: _l("Sorry, someone else has just taken the last place at that time. Choose another time."),
    SlotInPast: _l("That time is too soon or has passed. Choose a later time."),
    SiteClosed: _l("This sampling site is not open at that time. Choose another time or another site."),
    SlotNotFound: CHOOSE_A_SHOWN_TIME,
    AlreadyBooked: _l(
        "There is already a sampling appointment for this resident identity number. "
        "You do not need to book again."
    ),
    TooManyBookingsForPhone: _l(
        "This mobile number already has 3 upcoming bookings. To book more, call the sampling site."
    ),
    RepeatedIdentityNumber: _l("Each person needs their own resident identity number. Check the numbers you entered."),
    UnderAge: _l("People under 14 need a parent or guardian to book for them"),
}


def message_for(error: BookingError) -> str:
    """The translated message (in the current request's language) that explains `error`."""
    for kind, message in _MESSAGES.items():
        if isinstance(error, kind):
            return str(message)
    return str(CHOOSE_A_SHOWN_TIME)

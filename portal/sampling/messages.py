"""What the sampling pages say when a booking cannot be made (one message per domain error).

Staff pages get the precise reason (`message_for`). Public pages (`public_message_for`) give one
neutral refusal for "an identity number already has a booking" and "this mobile number already
has 3 bookings": the precise wording told anyone who typed someone else's identity number
whether that person had booked DNA sampling (THREATS.md: reading someone else's booking).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _

from portal.sampling.booking import (
    AlreadyBooked,
    BookingError,
    PartyTooLarge,
    RepeatedIdentityNumber,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    TooManyBookingsForPhone,
    UnderAge,
)

CHOOSE_A_SHOWN_TIME = _l("Choose one of the times shown")

# One answer for every public refusal that would otherwise reveal someone's bookings.
NEUTRAL_REFUSAL = _l(
    "We could not book with these details. If you have already booked, use “Change or cancel your booking” "
    "with your reference number and mobile number, or call the site."
)
_NEUTRAL_FOR_PUBLIC = (AlreadyBooked, TooManyBookingsForPhone)

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


def party_too_large_message(capacity: int) -> str:
    """What a party larger than a slot is told: the true reason and what to do instead."""
    return _(
        "Your group is too large for one booking at this sampling site (at most %(count)d at one time). "
        "Book for fewer people now and make a second booking for the others, choose another site, or call the site.",
        count=capacity,
    )


def public_message_for(error: BookingError) -> str:
    """The translated message for the public pages: like `message_for`, but one neutral refusal
    (NEUTRAL_REFUSAL) for AlreadyBooked and TooManyBookingsForPhone."""
    if isinstance(error, _NEUTRAL_FOR_PUBLIC):
        return str(NEUTRAL_REFUSAL)
    return message_for(error)


def message_for(error: BookingError) -> str:
    """The translated message (in the current request's language) that explains `error` precisely
    (staff pages; the public pages use `public_message_for`)."""
    if isinstance(error, PartyTooLarge):
        return party_too_large_message(error.capacity)
    for kind, message in _MESSAGES.items():
        if isinstance(error, kind):
            return str(message)
    return str(CHOOSE_A_SHOWN_TIME)

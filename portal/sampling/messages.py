"""What the sampling pages say when a booking cannot be made (one message per domain error), and
what the desk says when a tube number is refused (`tube_problem_message`).

Staff pages get the precise reason (`message_for`). Public pages (`public_message_for`) give one
neutral refusal for "an identity number already has a booking" and "this mobile number already
has 3 bookings": the precise wording told anyone who typed someone else's identity number
whether that person had booked DNA sampling (docs/threat-model.md#reading-someone-elses-tip-or-booking).
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
from portal.sampling.samples import (
    ReportedNotSampled,
    TubeNumberAlreadyRecorded,
    TubeNumberInUse,
    TubeNumberRepeated,
    TubeNumberRetired,
)
from portal.core.tube_numbers import DoesNotFitFormat, TooLong, TubeNumberProblem, WrongCheckCharacter

CHOOSE_A_SHOWN_TIME = _l("Choose one of the times shown")

# One answer for every public refusal that would otherwise reveal someone's bookings.
NEUTRAL_REFUSAL = _l(
    "We could not book with these details. If you have already booked, use \"Change or cancel your booking\" "
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


def tube_problem_message(problem: TubeNumberProblem, *, reference: str | None, example: str | None) -> str:
    """The translated message for a refused tube number at the desk, naming the number as
    normalised. `reference`: the booking that already holds it, only when the staff member may
    see that booking (otherwise "another booking"). `example`: the site's example label, or None
    when the site has no label format."""
    tube = problem.tube
    if isinstance(problem, TubeNumberInUse):
        if problem.same_booking:
            return _("%(tube)s is already the tube number of another person in this booking. "
                     "Each person needs their own tube.", tube=tube)
        if reference:
            return _("%(tube)s is already the tube number of someone on booking %(reference)s. "
                     "Check the label. If it is right, use a new tube.", tube=tube, reference=reference)
        return _("%(tube)s is already the tube number of someone on another booking. "
                 "Check the label. If it is right, use a new tube.", tube=tube)
    if isinstance(problem, TubeNumberAlreadyRecorded):
        if not tube:
            return _("This person's tube number was changed on another page. Check the page again.")
        return _("This person already has tube number %(tube)s. To change it, use Correct the tube number "
                 "below.", tube=tube)
    if isinstance(problem, ReportedNotSampled):
        return _("This visit is closed and this person was reported as not sampled; the family was told so. "
                 "If their sample was taken after all, record it with Correct a tube number below, giving the "
                 "reason: the family is then told.")
    if isinstance(problem, TubeNumberRetired):
        return _("%(tube)s was used before and then corrected or removed. A tube number is never used twice. "
                 "Use a new tube.", tube=tube)
    if isinstance(problem, TubeNumberRepeated):
        return _("You typed %(tube)s for two people. Each person needs their own tube.", tube=tube)
    if isinstance(problem, WrongCheckCharacter):
        return _("The check character of %(tube)s is wrong: a character was probably mistyped. "
                 "Check the label and type the tube number again.", tube=tube)
    if isinstance(problem, DoesNotFitFormat):
        return _("%(tube)s does not match this site's tube labels. Type the tube number as printed, like "
                 "%(example)s", tube=tube, example=example or "")
    if isinstance(problem, TooLong):
        return _("A tube number has at most 40 letters and digits. Check the label and type it again.")
    return _("Type the tube number as printed on the label, in letters and digits.")

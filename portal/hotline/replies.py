"""The hotline's reply texts, in the language the sender wrote in.

Each fits in two SMS segments (docs/writing.md#how-long-an-sms-may-be): at most 134
characters when the text holds any Chinese character (UCS-2, 67 per segment of a concatenated
message) and at most 306 characters of the GSM 7-bit alphabet otherwise (153 per segment). Source:
3GPP TS 23.038 and Twilio's "What the heck is a segment?" guide. `tests/hotline/test_segments.py`
checks the limits.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext as _, ngettext

from portal.core.i18n import word_space
from portal.sampling.content import status_label
from portal.tips.labels import PROGRESS_WORDS

# Replaces the follow-up code in the stored copy of a reply: the code is a secret kept only as
# an HMAC (docs/threat-model.md#reading-someone-elses-tip-or-booking), so it must not sit in plain
# text in the outbox table.
REDACTED_CODE = "XXXX-XXXX-XXXX-XXXX"


def tip_received(reference: str, follow_up_code: str, language: str) -> str:
    """Confirms a tip: the reference and the follow-up code first, the privacy note, then the
    first question (is a child in danger right now?)."""
    with force_locale(language):
        return _(
            "Tip received. Reference %(reference)s, follow-up code %(code)s: keep both. Your number is "
            "recorded; police usually see only part of it unless you agree. Is a child in danger right now? "
            "Reply 1 yes or 2 no. Emergency: call 110.",
            reference=reference,
            code=follow_up_code,
        )


def tip_ask_what(language: str) -> str:
    """Answers a bare tip keyword: what did they see?"""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: tell us what you saw: the child, the people with them, where and when. "
            "In an emergency call 110."
        )


def tip_ask_danger_again(language: str) -> str:
    """After a message that does not answer the danger question: it was added, ask again."""
    with force_locale(language):
        return _("Added to your tip. Is a child in danger right now? Reply 1 yes or 2 no.")


def tip_ask_danger_only(language: str) -> str:
    """An answer to the danger question that is neither yes nor no, and says nothing more."""
    with force_locale(language):
        return _("Is a child in danger right now? Reply 1 yes or 2 no. In an emergency call 110.")


def tip_in_danger(language: str) -> str:
    """A child is in danger now: call 110, or text 12110 plus the area code; then asks where."""
    with force_locale(language):
        return _(
            "Call 110 now. If you cannot speak, text 12110 followed by the last 3 digits of the area code "
            "(Beijing 010: 12110010). Your tip is marked urgent. Where was this? Reply 0 to skip."
        )


def tip_ask_where(language: str) -> str:
    """Asks where the child was seen (optional)."""
    with force_locale(language):
        return _("Where did you see the child? Name the place, street or landmark. Reply 0 to skip.")


def tip_ask_when(language: str) -> str:
    """Asks when the child was seen (optional)."""
    with force_locale(language):
        return _("When did you see the child? For example: today 3pm. Reply 0 to skip.")


def tip_ask_contact(language: str) -> str:
    """The last question of a tip: may the police see the sender's whole number and text them?
    Until the answer is yes, staff see the number masked (as a web tipster's)."""
    with force_locale(language):
        return _("Last question: may the police handling this tip see your full number and text you about it? "
                 "Reply 1 yes or 2 no. If not, they usually see only part of it.")


def tip_thanks(reference: str, language: str) -> str:
    """Closes the tip's questions."""
    with force_locale(language):
        return _(
            "Thank you. Everything is added to tip %(reference)s. Police will check it. To check progress, "
            "send STATUS with your reference and follow-up code. In an emergency call 110.",
            reference=reference,
        )


def menu(language: str) -> str:
    """Answers a message that matches no keyword: the numbered menu."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline. Reply with a number: 1 report a lead, 2 book free blood sampling, "
            "3 check progress, 4 cancel a booking, 5 help. In an emergency call 110."
        )


def menu_after_expiry(language: str) -> str:
    """The menu, for a number whose conversation ended after a long pause."""
    with force_locale(language):
        return _(
            "Your earlier conversation ended after a long pause. Reply with a number: 1 report a lead, "
            "2 book free blood sampling, 3 check progress, 4 cancel a booking, 5 help. Emergency: call 110."
        )


def menu_choose(language: str) -> str:
    """A further message while the menu waits for a number: kept, and the choices repeated."""
    with force_locale(language):
        return _(
            "We have your message and staff will read it. To do more, reply with a number: 1 report a lead, "
            "2 book free blood sampling, 3 check progress, 4 cancel a booking, 5 help."
        )


def conversation_stopped(language: str) -> str:
    """After 退出 / 取消 / EXIT inside a conversation: it ended, nothing more was changed."""
    with force_locale(language):
        return _("Stopped. Nothing more was changed. Send any message to see the menu. In an emergency call 110.")


def help_text(language: str) -> str:
    """Answers HELP / 帮助: the keywords, and how to stop messages."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: TIP + what you saw reports a lead. BOOK books free blood sampling. STATUS "
            "checks progress. CANCEL BOOKING cancels a booking. STOP ends messages. Emergency: call 110."
        )


def opted_out(language: str) -> str:
    """Confirms 退订 / TD (Twilio confirms its own STOP words itself). Says what each word does:
    after 退订 the hotline still answers the person's own messages; after STOP Twilio lets no
    answer through until START (docs/product.md#opting-out)."""
    with force_locale(language):
        return _("The Tuanyuan hotline will send you nothing more, except answers to messages you send. "
                 "To start again, reply START. After STOP, even answers stop until you send START.")


def opted_in(language: str) -> str:
    """Confirms 恢复 (Twilio confirms its own START words itself)."""
    with force_locale(language):
        return _("Messages from the Tuanyuan hotline are on again. Reply HELP for help. In an emergency call 110.")


def kept_after_error(language: str) -> str:
    """Answers a message that was stored, but could not be handled, because of an internal error."""
    with force_locale(language):
        return _("Tuanyuan hotline: we have your message and staff will read it. In an emergency call 110.")


def not_kept_after_error(language: str) -> str:
    """Answers a message that could not even be stored."""
    with force_locale(language):
        return _("Tuanyuan hotline: something went wrong. Please send your message again later. "
                 "In an emergency call 110.")


# Progress and cancellation (flows/status.py, flows/cancel.py) ---------------------------------

# Replaces a tip's reference number in the stored copy of a progress reply and of the message
# that asked for it: the phone number is kept with every SMS, and a tip reported anonymously on
# the web must not become linked to the phone that later checked on it
# (docs/threat-model.md#identifying-a-tipster).
REDACTED_REFERENCE = "TY-XXXX-XXXX"


def status_ask_reference(language: str) -> str:
    """Answers a bare STATUS / 查询 (or menu choice 3): asks for the reference number."""
    with force_locale(language):
        return _(
            "To check progress, reply with your reference number, like TY-7K3M-9Q2P. For a tip, add its "
            "follow-up code after it. In an emergency call 110."
        )


def status_not_a_reference(language: str) -> str:
    """The answer to the reference question holds no reference number: asks again."""
    with force_locale(language):
        return _(
            "That is not a reference number. It looks like TY-7K3M-9Q2P. Reply with your reference number, "
            "and for a tip its follow-up code."
        )


def status_ask_code(reference: str, language: str) -> str:
    """A reference that is not a booking of this phone: asks for the follow-up code (the same
    answer whether or not the reference exists)."""
    with force_locale(language):
        return _(
            "If %(reference)s is a tip, reply with its follow-up code. A booking can be checked only from "
            "the phone that booked it.",
            reference=reference,
        )


def status_not_found(language: str) -> str:
    """No booking of this phone and no tip with that code: one answer for an unknown reference,
    a wrong code and another phone's booking."""
    with force_locale(language):
        return _(
            "We could not find that reference number with that code. Check both and send STATUS again. "
            "A booking can be checked only from the phone that booked it."
        )


def status_not_found_tries_left(tries_left: int, minutes: int, language: str) -> str:
    """`status_not_found`, warning that `tries_left` (1 or 2) more wrong tries stop the checks for
    `minutes`: the same answer for an unknown reference and a wrong code, like the web's warning."""
    with force_locale(language):
        warning = ngettext(
            "You can try %(num)s more time, then checks stop for %(minutes)s minutes.",
            "You can try %(num)s more times, then checks stop for %(minutes)s minutes.",
            tries_left, minutes=minutes,
        )
    return word_space(language).join([status_not_found(language), warning])


def status_locked(minutes: int, language: str) -> str:
    """Too many wrong tries (for the reference or from this phone): wait `minutes` ("1 minute")."""
    with force_locale(language):
        return ngettext(
            "There have been too many tries. Wait %(num)s minute, then try again. In an emergency call 110.",
            "There have been too many tries. Wait %(num)s minutes, then try again. In an emergency call 110.",
            minutes,
        )


def _booking_progress(reference: str, status: str, site_name: str, when: str, advice: str, language: str) -> str:
    # Called inside force_locale: the status words are the web's (portal.sampling.content).
    return word_space(language).join([
        _("Booking %(reference)s: %(status)s. %(time)s, %(site)s.", reference=reference,
          status=status_label(status), time=when, site=site_name),
        advice,
    ])


def booking_progress_booked(reference: str, site_name: str, when: str, language: str) -> str:
    """Progress of an upcoming booking: status, local date, weekday and time, site; how to cancel."""
    with force_locale(language):
        return _booking_progress(reference, "booked", site_name, when,
                                 _("To cancel it, send CANCEL BOOKING."), language)


def booking_progress_passed(reference: str, site_name: str, when: str, language: str) -> str:
    """Progress of a booking still marked booked whose time has passed."""
    with force_locale(language):
        return _booking_progress(reference, "booked", site_name, when,
                                 _("This time has passed. To book again, send BOOK."), language)


def booking_progress_cancelled(reference: str, site_name: str, when: str, language: str) -> str:
    """Progress of a cancelled booking."""
    with force_locale(language):
        return _booking_progress(reference, "cancelled", site_name, when, _("To book again, send BOOK."), language)


def booking_progress_checked_in(reference: str, site_name: str, when: str, language: str) -> str:
    """Progress of a booking checked in at the site."""
    with force_locale(language):
        return _booking_progress(reference, "checked_in", site_name, when,
                                 _("We contact you if there is a possible match."), language)


def booking_progress_no_show(reference: str, site_name: str, when: str, language: str) -> str:
    """Progress of a booking marked as not come."""
    with force_locale(language):
        return _booking_progress(reference, "no_show", site_name, when, _("To book again, send BOOK."), language)


def _tip_progress(reference: str, key: str, explanation: str, language: str) -> str:
    # Called inside force_locale: the status words are the web's (portal.tips.labels).
    return word_space(language).join([
        _("Tip %(reference)s: %(status)s.", reference=reference, status=str(PROGRESS_WORDS[key][0])),
        explanation,
        _("In an emergency call 110."),
    ])


def tip_progress_received(reference: str, language: str) -> str:
    """Progress of a tip nobody has looked at yet."""
    with force_locale(language):
        return _tip_progress(reference, "received", str(PROGRESS_WORDS["received"][1]), language)


def tip_progress_working(reference: str, language: str) -> str:
    """Progress of a tip the police are looking into (no open question)."""
    with force_locale(language):
        return _tip_progress(reference, "working", _("The police are looking into your report."), language)


def tip_progress_closed(reference: str, language: str) -> str:
    """Progress of a tip the police have finished with."""
    with force_locale(language):
        return _tip_progress(reference, "closed", str(PROGRESS_WORDS["closed"][1]), language)


def tip_progress_question(reference: str, url: str, language: str) -> str:
    """Progress of a tip with a staff question not yet answered: where to read and answer it
    (`url`: the web's /tips/status). Like the staff question SMS, never the question itself."""
    with force_locale(language):
        return word_space(language).join([
            _("Tip %(reference)s: %(status)s.", reference=reference, status=str(PROGRESS_WORDS["working"][0])),
            _("The police have a question for you. To read and answer it, enter your reference number and "
              "follow-up code at %(url)s", url=url),
        ])


def cancel_confirm(reference: str, site_name: str, when: str, language: str) -> str:
    """Asks once more before cancelling: 1 cancels, 2 keeps."""
    with force_locale(language):
        return _(
            "Cancel booking %(reference)s at %(site)s, %(time)s? Reply 1 to cancel it, 2 to keep it.",
            reference=reference, site=site_name, time=when,
        )


def cancel_choose(bookings: list[tuple[str, str]], language: str) -> str:
    """Several upcoming bookings from this phone: which one? `bookings`: (reference, local date,
    weekday and time without the year), soonest first, at most CANCEL_CHOICES."""
    with force_locale(language):
        lines = [_("%(number)s: %(reference)s, %(time)s", number=number, reference=reference, time=when)
                 for number, (reference, when) in enumerate(bookings, start=1)]
        if language == "zh":
            return _("Which booking do you want to cancel? Reply with its number.") + "；".join(lines) + "。"
        return " ".join([_("Which booking do you want to cancel? Reply with its number."), "; ".join(lines) + "."])


def cancel_done(reference: str, site_name: str, when: str, language: str) -> str:
    """The booking is cancelled. This reply is the only message about it: the SMS cancel flow
    queues no cancellation SMS (`cancel_appointment(..., send_notice=False)`), unlike the web."""
    with force_locale(language):
        return _(
            "Booking %(reference)s at %(site)s, %(time)s is cancelled. To book again, send BOOK.",
            reference=reference, site=site_name, time=when,
        )


def cancel_kept(reference: str, language: str) -> str:
    """The answer was 2: nothing changed."""
    with force_locale(language):
        return _("Booking %(reference)s is kept. Nothing was changed.", reference=reference)


def cancel_none(language: str) -> str:
    """This phone has no upcoming booking (no reference given, or one not booked from it)."""
    with force_locale(language):
        return _(
            "We found no upcoming booking made from this phone. A booking can be cancelled only from the "
            "phone that booked it."
        )


def cancel_refused_cancelled(reference: str, language: str) -> str:
    """The booking is already cancelled."""
    with force_locale(language):
        return _("Booking %(reference)s is already cancelled. To book again, send BOOK.", reference=reference)


def cancel_refused_checked_in(reference: str, language: str) -> str:
    """The booking is checked in: it can no longer be cancelled."""
    with force_locale(language):
        return _("Booking %(reference)s is checked in, so it can no longer be cancelled.", reference=reference)


def cancel_refused_passed(reference: str, language: str) -> str:
    """The booking's time has started or passed (or it was marked not come)."""
    with force_locale(language):
        return _(
            "The time of booking %(reference)s has passed, so it can no longer be cancelled. To book again, "
            "send BOOK.",
            reference=reference,
        )


def cancel_not_found(language: str) -> str:
    """A reference that is not an upcoming booking of this phone (unknown, a tip, another phone's
    booking: one answer for all)."""
    with force_locale(language):
        return _(
            "We could not find that reference number among the bookings made from this phone. Check it, or "
            "send CANCEL BOOKING alone to see your bookings."
        )


# Booking (flows/book.py) -------------------------------------------------------------------------
#
# The numbered lists (cities, sites, days, times) are rendered by the functions below for one
# page of options at a time; `portal.hotline.flows.book` puts options on a page only while the
# rendered text still fits two segments, and shortens a single option that cannot fit alone.
# `note`: a short sentence (one of the book_note_… texts, already in `language`) put before the
# question, "" for none.


def _numbered(options: list[str], first: int) -> str:
    return "\n".join(f"{first + offset} {option}" for offset, option in enumerate(options))


def _with_note(note: str, text: str, language: str) -> str:
    return f"{note}{word_space(language)}{text}" if note else text


def _more_hint(language: str) -> str:
    with force_locale(language):
        return _("Reply MORE for more.")


def book_ask_role(note: str, language: str) -> str:
    """The first booking question (BOOK / 预约, or 2 in the menu): who is booking, as the web asks it.
    It says an SMS booking is for one person (the confirmation says how to book another).
    Agencies bringing a person whose identity is unknown are sent to the website."""
    with force_locale(language):
        return _with_note(note, _(
            "Book free blood sampling for one person. Who is booking? Reply with a number: 1 I am a parent of a missing "
            "child, 2 I am another relative of the person I am looking for, 3 I am looking for my birth "
            "family. Agencies: please book on our website."
        ), language)


def book_ask_city(cities: list[str], first: int, more: bool, note: str, language: str) -> str:
    """One page of the cities that have sampling sites, numbered from `first`; `more`: a further page exists."""
    with force_locale(language):
        text = _("Which city? Reply with its number or its name:")
        text = f"{text}\n{_numbered(cities, first)}"
        return _with_note(note, f"{text}\n{_more_hint(language)}" if more else text, language)


def book_ask_site(city: str, sites: list[str], first: int, more: bool, note: str, language: str) -> str:
    """One page of the sampling sites in `city` that have free times, numbered from `first`."""
    with force_locale(language):
        text = _("Sampling sites in %(city)s. Reply with a number:", city=city)
        text = f"{text}\n{_numbered(sites, first)}"
        return _with_note(note, f"{text}\n{_more_hint(language)}" if more else text, language)


def book_ask_day(days: list[str], first: int, more: bool, note: str, language: str) -> str:
    """One page of the site's days with free times (each with its weekday, `portal.core.i18n.format_day`)."""
    with force_locale(language):
        text = _("Choose a day. Reply with a number:")
        text = f"{text}\n{_numbered(days, first)}"
        if more:
            hint = _("Reply MORE for later days.")
            text = f"{text}\n{hint}"
        return _with_note(note, text, language)


def book_ask_time(day: str, times: list[str], first: int, more: bool, note: str, language: str) -> str:
    """One page of the free times (local clock times) of `day` (date with weekday)."""
    with force_locale(language):
        text = _("Times on %(day)s. Reply with a number:", day=day)
        text = f"{text}\n{_numbered(times, first)}"
        if more:
            hint = _("Reply MORE for later times.")
            text = f"{text}\n{hint}"
        return _with_note(note, text, language)


def book_ask_name(site: str, when: str, language: str) -> str:
    """After a time is chosen: the choice said back (site; local date, weekday and time), then the name."""
    with force_locale(language):
        return _("You chose %(site)s, %(time)s. Now send your full name, as on your identity card.",
                 site=site, time=when)


def book_ask_name_again(language: str) -> str:
    """The answer to the name question was empty, only digits, or longer than 100 characters."""
    with force_locale(language):
        return _("Send your full name as it is on your identity card, in 100 characters or fewer.")


def book_ask_identity_number(language: str) -> str:
    """Asks for the resident identity number (the web form's check is applied to the answer)."""
    with force_locale(language):
        return _("Send your 18-character resident identity number. It is stored encrypted and checked "
                 "at the sampling site.")


def book_identity_number_mistyped(language: str) -> str:
    """The number has the right form but its check character does not match (GB 11643-1999)."""
    with force_locale(language):
        return _("One character of that identity number does not match the card. Check it and send it again.")


def book_identity_number_invalid(language: str) -> str:
    """The answer is not an 18-character resident identity number with a real birth date."""
    with force_locale(language):
        return _("Send the 18-character resident identity number exactly as it is on your identity card.")


def book_confirm(site: str | None, when: str, id_last4: str, note: str, language: str) -> str:
    """The last question: the booking in short (site, or None when it would not fit; local date,
    weekday and time; the identity number's last 4 characters), what the sample is used for (the
    web's consent, in short), and 1 to agree and book / 2 to cancel."""
    with force_locale(language):
        if site:
            text = _("Check: %(site)s, %(time)s, identity number ending %(last4)s. Your blood sample is used "
                     "only to identify missing people. Reply 1 to agree and book, 2 to cancel.",
                     site=site, time=when, last4=id_last4)
        else:
            text = _("Check: free blood sampling at the site you chose, %(time)s, identity number ending "
                     "%(last4)s. Your blood sample is used only to identify missing people. Reply 1 to agree "
                     "and book, 2 to cancel.", time=when, last4=id_last4)
        return _with_note(note, text, language)


def book_already_booked_by_you(reference: str, site: str, when: str, language: str) -> str:
    """The identity number already has an upcoming booking made from this same phone: that booking."""
    with force_locale(language):
        return _("You have already booked: reference %(reference)s, %(time)s, %(site)s. You do not need to "
                 "book again.", reference=reference, time=when, site=site)


def book_nothing_booked(language: str) -> str:
    """The person answered 2 (cancel) to the last question."""
    with force_locale(language):
        return _("Nothing was booked. To start again, send BOOK.")


def book_refused(language: str) -> str:
    """AlreadyBooked and TooManyBookingsForPhone: one neutral answer, as on the web (it must not tell
    anyone who typed another person's identity number whether that person booked)."""
    with force_locale(language):
        return _("We could not book with these details. If you have already booked, send STATUS and your "
                 "reference to check it, or call the sampling site.")


def book_under_age(language: str) -> str:
    """UnderAge: the person is younger than 14 on the day; a parent or guardian books on the web."""
    with force_locale(language):
        return _("People under 14 need a parent or guardian to book for them, on our website or at the "
                 "sampling site. Nothing was booked.")


def book_too_many_tries(language: str) -> str:
    """The number reached the limit of refused bookings (RATELIMIT_SAMPLING_IDENTITY_REFUSALS)."""
    with force_locale(language):
        return _("Too many bookings from this number were refused. Try again tomorrow, or call the sampling site.")


def book_needs_mobile(language: str) -> str:
    """The sender's number is not a mobile number, which a booking needs (its SMS go there)."""
    with force_locale(language):
        return _("Booking by SMS needs a mobile number. Please book on our website or call a sampling site.")


def book_no_free_times(language: str) -> str:
    """No active site has a free time at all: the conversation ends."""
    with force_locale(language):
        return _("No sampling site has free times at the moment. Please try again in a few days.")


def book_note_not_in_list(language: str) -> str:
    """Note before a question asked again: the answer was not one of the numbers offered."""
    with force_locale(language):
        return _("Choose a number below.")


def book_note_reply_1_or_2(language: str) -> str:
    """Note before the last question asked again."""
    with force_locale(language):
        return _("Please reply 1 or 2.")


def book_note_no_such_city(language: str) -> str:
    """Note before the cities: no sampling site in a city by the name they sent."""
    with force_locale(language):
        return _("No sampling site found in that city.")


def book_note_city_full(language: str) -> str:
    """Note before the cities: the chosen city's sites have no free times now."""
    with force_locale(language):
        return _("That city's sites are fully booked now.")


def book_note_site_full(language: str) -> str:
    """Note before the sites: the chosen site has no free times now (also for PartyTooLarge)."""
    with force_locale(language):
        return _("That site is fully booked now.")


def book_note_day_full(language: str) -> str:
    """Note before the days: the chosen day has no free times left."""
    with force_locale(language):
        return _("That day has no free times left.")


def book_note_slot_taken(language: str) -> str:
    """SlotFull: note before the times (or days) offered again."""
    with force_locale(language):
        return _("Someone has just taken that time.")


def book_note_too_soon(language: str) -> str:
    """SlotInPast: note before the times (or days) offered again."""
    with force_locale(language):
        return _("That time is now too soon to book.")


def book_note_site_closed(language: str) -> str:
    """SiteClosed: note before the days (or sites) offered again."""
    with force_locale(language):
        return _("The sampling site is closed at that time.")


def book_note_time_gone(language: str) -> str:
    """SlotNotFound and any other refusal of the time itself: note before the times offered again."""
    with force_locale(language):
        return _("That time can no longer be booked.")

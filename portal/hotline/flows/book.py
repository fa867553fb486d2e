"""Booking free blood sampling by SMS (预约 / 采血 / BOOK, or 2 in the menu).

The questions, one per message, each answered with a number (full-width digits too):

    role     who is booking, as the web asks it: 1 parent of a missing child, 2 another relative,
             3 looking for my birth family (agencies book on the website)
    city     skipped when every site is in one city; a city's name is accepted too
    site     the city's active sites that have free times
    day      the site's days with free times (date and weekday), at most DAYS_PER_PAGE a message
    time     the day's free times (local clock times)
    name     the applicant's full name            (the stored message keeps only NAME_PLACEHOLDER)
    id       the resident identity number         (the stored message keeps only
                                                   incoming.ID_NUMBER_PLACEHOLDER)
    confirm  site, local date/weekday/time, the number's last 4 characters, what the sample is
             used for (the web's consent, in short): 1 agree and book / 2 cancel

MORE / 更多 shows the next page of a list (after the last page, the first again). A number that
is not offered, or any other answer, asks the same question again with a short note; nothing
answered earlier is lost. Lists are paged by their rendered length: options are added while the
reply still fits two SMS segments (`fits_two_segments`).

The booking is made by `portal.sampling.booking.book_appointment`, the web's own function, so the
same rules refuse the same things (closures, full slots, one active booking per identity number,
bookings per phone, under-14s without a guardian, times too soon); each refusal has its reply
(`BookFlow._refused`, `refusal_note`). As on the web's public pages, AlreadyBooked and TooManyBookingsForPhone get
one neutral answer, and those refusals count towards RATELIMIT_SAMPLING_IDENTITY_REFUSALS (per
phone number here, per client address on the web). The name and the identity number live only
in the conversation's encrypted data until the booking stores them in its encrypted columns.

The reply to the final "1" is the booking's confirmation SMS (`confirmation_sms`, the web's
text), so `book_appointment` is told not to queue a second copy; the day-before reminder is
queued as for any booking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from sqlalchemy import select

from portal.core.extensions import db, limiter
from portal.core.i18n import format_day, format_local_datetime, format_local_time
from portal.core.identity import InvalidMobileNumber, InvalidResidentId, ResidentIdCheckFailed, normalise_mobile
from portal.core.models import ApplicantRole, Channel, DocumentType, SamplingSite, Slot
from portal.core.sms.segments import fits_two_segments, shortened
from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.flows.base import Reply, Turn
from portal.hotline.incoming import ID_NUMBER_PLACEHOLDER
from portal.hotline.items import attach_messages
from portal.hotline.keywords import fold
from portal.sampling.booking import (
    FULL_NAME_MAX,
    AlreadyBooked,
    AttendeeDetails,
    BookingError,
    PartyTooLarge,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    TooManyBookingsForPhone,
    UnderAge,
    book_appointment,
    check_slot_takes,
    confirmation_sms,
    own_active_booking,
)
from portal.sampling.identity import normalise_document_number
from portal.sampling.places import filter_area
from portal.sampling.slots import available_days, local_day, slots_for_day

logger = logging.getLogger(__name__)

# What the message log keeps instead of the name (the same in both languages); an identity number
# is kept as incoming.ID_NUMBER_PLACEHOLDER, as the inbox writes one found in any other message.
NAME_PLACEHOLDER = "[name]"
ROLES = {1: ApplicantRole.PARENT, 2: ApplicantRole.RELATIVE, 3: ApplicantRole.SEEKING_BIRTH_FAMILY}
DAYS_PER_PAGE = 5
REFUSAL_SCOPE = "sms-sampling-identity-refusal"


@dataclass(frozen=True)
class Page:
    """One message of a numbered list: its text, and where the next page starts (0 after the last)."""

    text: str
    next_start: int


def page_of(labels: list[str], start: int, render: Callable[[list[str], int, bool], str],
            cap: int | None = None) -> Page:
    """The page of `labels` from index `start`: as many as fit two segments (at most `cap`).

    `render(page_labels, first_number, more)` writes the message. A label too long to fit even
    alone is shortened (see `shortened`). Raises IndexError for a start outside the list.
    """
    if not 0 <= start < len(labels):
        raise IndexError(start)
    best: Page | None = None
    end = start
    while end < len(labels) and (cap is None or end - start < cap):
        end += 1
        more = end < len(labels)
        text = render(labels[start:end], start + 1, more)
        if not fits_two_segments(text):
            break
        best = Page(text, end if more else 0)
    if best is None:
        more = start + 1 < len(labels)
        best = Page(shortened(lambda label: render([label], start + 1, more), labels[start]),
                    start + 1 if more else 0)
    return best


# Reading the database ---------------------------------------------------------------------------


def _active_sites() -> list[SamplingSite]:
    return list(db.session.scalars(
        select(SamplingSite).where(SamplingSite.active.is_(True))
        .order_by(SamplingSite.province, SamplingSite.city, SamplingSite.id)
    ))


def _city_of(site: SamplingSite) -> str:
    # The web's site filter groups sites the same way (a district under its city).
    return filter_area(site.province, site.city, site.district)[0]


def cities() -> list[str]:
    """The cities (as the web's site filter names them) of the active sampling sites, sorted."""
    return sorted({_city_of(site) for site in _active_sites()})


def bookable_sites(city: str) -> list[SamplingSite]:
    """The active sites of `city` that have at least one free time (`available_days`), in the web's order."""
    return [site for site in _active_sites()
            if _city_of(site) == city and site.places_per_slot >= 1 and available_days(site)]


def _site(conversation: Conversation) -> SamplingSite | None:
    site_id = conversation.data.get("site_id")
    site = db.session.get(SamplingSite, site_id) if isinstance(site_id, int) else None
    return site if site is not None and site.active else None


def _slot(conversation: Conversation) -> Slot | None:
    slot_id = conversation.data.get("slot_id")
    return db.session.get(Slot, slot_id) if isinstance(slot_id, int) else None


def _matching_cities(text: str, known: list[str]) -> list[str]:
    wanted = fold(text).rstrip("市县区")
    if not wanted:
        return []
    exact = [city for city in known if fold(city) == fold(text)]
    return exact or [city for city in known if wanted in fold(city)]


# Rate limit of refused bookings (the web's identity_refusal_limit, keyed by phone here) -------------


def _refusal_limits(turn: Turn) -> list[Any]:
    from limits import parse_many

    return list(parse_many(turn.settings.ratelimit_sampling_identity_refusals))


def _too_many_refusals(turn: Turn) -> bool:
    if not limiter.enabled:
        return False
    try:
        return any(not limiter.limiter.test(item, REFUSAL_SCOPE, turn.phone_hash) for item in _refusal_limits(turn))
    except Exception as exc:  # noqa: BLE001 - an unreachable limit store must not stop bookings
        logger.warning("SMS booking: refusal limit not checked (%s)", type(exc).__name__)
        return False


def _count_refusal(turn: Turn) -> None:
    if not limiter.enabled:
        return
    try:
        for item in _refusal_limits(turn):
            limiter.limiter.hit(item, REFUSAL_SCOPE, turn.phone_hash)
    except Exception as exc:  # noqa: BLE001
        logger.warning("SMS booking: refusal not counted (%s)", type(exc).__name__)


# The flow ---------------------------------------------------------------------------------------------


class BookFlow:
    """See the module docstring."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Ask who is booking (the text after the keyword is not used). A sender whose number is
        not a mobile number is told to book on the web: a booking's SMS go to that number."""
        try:
            normalise_mobile(turn.phone)
        except InvalidMobileNumber:
            conversation.end()
            return Reply(replies.book_needs_mobile(turn.language))
        conversation.data = {"messages": [], "language": turn.language}
        conversation.goto("role")
        return Reply(replies.book_ask_role("", turn.language))

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """Take the answer to the question at `conversation.step`."""
        data = conversation.data
        if conversation.step in ("name", "id"):
            # Names and identity numbers say nothing about the language the person reads
            # (11010519491231002X holds a Latin letter; an English reader types 王秀英).
            turn = turn.in_language(data.get("language", turn.language))
            conversation.language = turn.language
        data["language"] = turn.language
        data.setdefault("messages", []).append(turn.inbound.id)
        handler = {
            "role": self._role, "city": self._city, "site": self._site_answer, "day": self._day,
            "time": self._time, "name": self._name, "id": self._identity_number, "confirm": self._confirm,
        }.get(conversation.step)
        if handler is None:  # a step this version does not know: start again
            return self.start(turn, conversation, "")
        return handler(turn, conversation, (turn.text or "").strip())

    # The numbered lists ---------------------------------------------------------------------------

    def _list(self, turn: Turn, conversation: Conversation, step: str, options: list[Any], labels: list[str],
              render: Callable[[list[str], int, bool], str], start: int = 0, cap: int | None = None) -> Reply:
        start = start if start < len(labels) else 0  # the list may have shrunk since the last page
        page = page_of(labels, start, render, cap)
        conversation.data.update(options=options, page=start, next_page=page.next_start)
        conversation.goto(step)
        return Reply(page.text)

    def _picked(self, turn: Turn, conversation: Conversation) -> Any | None:
        """The option the answer picks, or None (not a number offered)."""
        options = conversation.data.get("options") or []
        number = turn.message.number
        if number is None or not 1 <= number <= len(options):
            return None
        return options[number - 1]

    def _ask_city(self, turn: Turn, conversation: Conversation, note: str = "", start: int = 0,
                  known: list[str] | None = None) -> Reply:
        known = known if known is not None else cities()
        if not known:
            conversation.end()
            return Reply(replies.book_no_free_times(turn.language))
        if len(known) == 1 and not note:
            return self._ask_site(turn, conversation, known[0])
        return self._list(turn, conversation, "city", known, known,
                          lambda page, first, more: replies.book_ask_city(page, first, more, note, turn.language),
                          start)

    def _ask_site(self, turn: Turn, conversation: Conversation, city: str, note: str = "",
                  start: int = 0, sites: list[SamplingSite] | None = None) -> Reply:
        sites = sites if sites is not None else bookable_sites(city)
        if not sites:
            if len(cities()) <= 1:
                conversation.end()
                return Reply(replies.book_no_free_times(turn.language))
            return self._ask_city(turn, conversation, replies.book_note_city_full(turn.language))
        conversation.data["city"] = city
        return self._list(
            turn, conversation, "site", [site.id for site in sites], [site.name for site in sites],
            lambda page, first, more: replies.book_ask_site(city, page, first, more, note, turn.language), start,
        )

    def _ask_day(self, turn: Turn, conversation: Conversation, site: SamplingSite, note: str = "",
                 start: int = 0) -> Reply:
        days = available_days(site) if site.places_per_slot >= 1 else []
        if not days:
            return self._ask_site(turn, conversation, conversation.data.get("city") or _city_of(site),
                                  note or replies.book_note_site_full(turn.language))
        conversation.data["site_id"] = site.id
        return self._list(
            turn, conversation, "day", [day.isoformat() for day in days],
            [format_day(day, turn.language) for day in days],
            lambda page, first, more: replies.book_ask_day(page, first, more, note, turn.language),
            start, cap=DAYS_PER_PAGE,
        )

    def _ask_time(self, turn: Turn, conversation: Conversation, site: SamplingSite, day: date, note: str = "",
                  start: int = 0) -> Reply:
        slots = slots_for_day(site, day)
        if not slots:
            return self._ask_day(turn, conversation, site, note or replies.book_note_day_full(turn.language))
        conversation.data["day"] = day.isoformat()
        day_text = format_day(day, turn.language)
        return self._list(
            turn, conversation, "time", [slot.id for slot in slots],
            [format_local_time(slot.starts_at, site.timezone, turn.language) for slot in slots],
            lambda page, first, more: replies.book_ask_time(day_text, page, first, more, note, turn.language),
            start,
        )

    def _again(self, turn: Turn, conversation: Conversation, note: str, *, more: bool = False) -> Reply:
        """The current list question again: the next page for MORE, else the same page with `note`.
        The list is read afresh (a site or time may have gone meanwhile)."""
        data = conversation.data
        start = int(data.get("next_page") or 0) if more else int(data.get("page") or 0)
        step = conversation.step
        if step == "city":
            return self._ask_city(turn, conversation, note, start, known=list(data.get("options") or []) or None)
        if step == "site":
            sites = [site for site in (db.session.get(SamplingSite, site_id) for site_id in data.get("options") or [])
                     if site is not None and site.active]
            return self._ask_site(turn, conversation, data.get("city") or "", note, start, sites=sites or None)
        site = _site(conversation)
        if site is None:
            return self._ask_city(turn, conversation, replies.book_note_site_full(turn.language))
        if step == "day":
            return self._ask_day(turn, conversation, site, note, start)
        return self._ask_time(turn, conversation, site, date.fromisoformat(data["day"]), note, start)

    # The answers ----------------------------------------------------------------------------------

    def _role(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        role = ROLES.get(turn.message.number or -1)
        if role is None:
            return Reply(replies.book_ask_role(replies.book_note_not_in_list(turn.language), turn.language))
        conversation.data["role"] = role.value
        return self._ask_city(turn, conversation)

    def _city(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        if turn.message.asks_more:
            return self._again(turn, conversation, "", more=True)
        city = self._picked(turn, conversation)
        if city is None and turn.message.number is None:
            found = _matching_cities(text, cities())
            if len(found) == 1:
                city = found[0]
            elif found:
                note = replies.book_note_not_in_list(turn.language)
                return self._ask_city(turn, conversation, note, known=found)
            else:
                return self._ask_city(turn, conversation, replies.book_note_no_such_city(turn.language))
        if city is None:
            return self._again(turn, conversation, replies.book_note_not_in_list(turn.language))
        return self._ask_site(turn, conversation, city)

    def _site_answer(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        if turn.message.asks_more:
            return self._again(turn, conversation, "", more=True)
        site_id = self._picked(turn, conversation)
        if site_id is None:
            return self._again(turn, conversation, replies.book_note_not_in_list(turn.language))
        site = db.session.get(SamplingSite, site_id)
        if site is None or not site.active:
            return self._ask_site(turn, conversation, conversation.data.get("city") or "",
                                  replies.book_note_site_full(turn.language))
        return self._ask_day(turn, conversation, site)

    def _day(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        if turn.message.asks_more:
            return self._again(turn, conversation, "", more=True)
        picked = self._picked(turn, conversation)
        site = _site(conversation)
        if picked is None or site is None:
            return self._again(turn, conversation, replies.book_note_not_in_list(turn.language))
        return self._ask_time(turn, conversation, site, date.fromisoformat(picked))

    def _time(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        if turn.message.asks_more:
            return self._again(turn, conversation, "", more=True)
        slot_id = self._picked(turn, conversation)
        site = _site(conversation)
        if slot_id is None or site is None:
            return self._again(turn, conversation, replies.book_note_not_in_list(turn.language))
        slot = db.session.get(Slot, slot_id)
        # As the web's time page: the time must still be bookable when it is chosen.
        try:
            if slot is None or slot.site_id != site.id:
                raise SlotNotFound(slot_id)
            check_slot_takes(slot, 1)
        except BookingError as error:
            return self._offer_again(turn, conversation, error)
        conversation.data["slot_id"] = slot.id
        conversation.goto("name")
        when = format_local_datetime(slot.starts_at, site.timezone, turn.language)
        return Reply(shortened(lambda name: replies.book_ask_name(name, when, turn.language), site.name))

    def _name(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        turn.keep_body_as(NAME_PLACEHOLDER)
        name = " ".join(text.split())
        # MORE / 更多 here asks for a list that is no longer shown: it is no name either.
        if not name or len(name) > FULL_NAME_MAX or not any(ch.isalpha() for ch in name) or turn.message.asks_more:
            return Reply(replies.book_ask_name_again(turn.language))
        conversation.data["name"] = name
        conversation.goto("id")
        return Reply(replies.book_ask_identity_number(turn.language))

    def _identity_number(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        turn.keep_body_as(ID_NUMBER_PLACEHOLDER)
        try:
            # The web form's own normalisation and check (GB 11643-1999 via python-stdnum).
            number = normalise_document_number(DocumentType.RESIDENT_ID, text)
        except ResidentIdCheckFailed:
            return Reply(replies.book_identity_number_mistyped(turn.language))
        except InvalidResidentId:
            return Reply(replies.book_identity_number_invalid(turn.language))
        conversation.data["id_number"] = number
        return self._ask_confirm(turn, conversation)

    def _ask_confirm(self, turn: Turn, conversation: Conversation, note: str = "") -> Reply:
        slot, site = _slot(conversation), _site(conversation)
        if slot is None or site is None:
            return self._ask_city(turn, conversation, replies.book_note_time_gone(turn.language))
        conversation.goto("confirm")
        when = format_local_datetime(slot.starts_at, site.timezone, turn.language)
        last4 = conversation.data["id_number"][-4:]
        text = shortened(lambda name: replies.book_confirm(name, when, last4, note, turn.language), site.name)
        if not fits_two_segments(text):  # a Chinese site name makes an English text UCS-2
            text = replies.book_confirm(None, when, last4, note, turn.language)
        return Reply(text)

    def _confirm(self, turn: Turn, conversation: Conversation, text: str) -> Reply:
        agreed = turn.message.yes_no
        if agreed is None:
            return self._ask_confirm(turn, conversation, replies.book_note_reply_1_or_2(turn.language))
        if not agreed:
            conversation.end()
            return Reply(replies.book_nothing_booked(turn.language))
        if _too_many_refusals(turn):
            conversation.end()
            return Reply(replies.book_too_many_tries(turn.language))
        data = conversation.data
        role = ApplicantRole(data["role"])
        phone = normalise_mobile(turn.phone)
        try:
            appointment = book_appointment(
                slot_id=int(data.get("slot_id") or 0),
                applicant_role=role,
                applicant_name=data["name"],
                applicant_phone=phone,
                attendees=[AttendeeDetails(data["name"], role, data["id_number"], phone)],
                consent=True,  # the answer 1 to the question that states the use of the sample
                language=turn.language,
                channel=Channel.SMS,
                send_confirmation=False,  # this reply is the confirmation
            )
        except BookingError as error:
            return self._refused(turn, conversation, error)
        conversation.item_id = appointment.item_id
        attach_messages([message_id for message_id in data.get("messages", []) if message_id != turn.inbound.id],
                        appointment.item_id)
        conversation.end()
        reference, site, slot = appointment.item.reference, appointment.site, appointment.slot
        return Reply(confirmation_sms(reference, site, slot, turn.language))  # type: ignore[arg-type]

    # Refusals -------------------------------------------------------------------------------------

    def _refused(self, turn: Turn, conversation: Conversation, error: BookingError) -> Reply:
        """The reply to a refused booking: the conversation ends, or goes back to the question that
        can put it right (another time, day or site), every other answer kept."""
        if isinstance(error, AlreadyBooked):
            own = own_active_booking(conversation.data["id_number"], phone_hash=turn.phone_hash)
            conversation.end()
            if own is not None:
                site, slot = own.site, own.slot
                when = format_local_datetime(slot.starts_at, site.timezone, turn.language)  # type: ignore[union-attr]
                reference = own.item.reference
                return Reply(shortened(
                    lambda name: replies.book_already_booked_by_you(reference, name, when, turn.language), site.name))
            _count_refusal(turn)
            return Reply(replies.book_refused(turn.language))
        if isinstance(error, TooManyBookingsForPhone):
            conversation.end()
            _count_refusal(turn)
            return Reply(replies.book_refused(turn.language))
        if isinstance(error, UnderAge):
            conversation.end()
            return Reply(replies.book_under_age(turn.language))
        return self._offer_again(turn, conversation, error)

    def _offer_again(self, turn: Turn, conversation: Conversation, error: BookingError) -> Reply:
        """A refusal of the chosen time itself: offer the times (or days, or sites) again."""
        site = _site(conversation)
        note = refusal_note(error, turn.language)
        if site is None:
            return self._ask_city(turn, conversation, note)
        if isinstance(error, PartyTooLarge):
            return self._ask_site(turn, conversation, conversation.data.get("city") or _city_of(site), note)
        if isinstance(error, SiteClosed) or "day" not in conversation.data:
            return self._ask_day(turn, conversation, site, note)
        slot = _slot(conversation)
        day = local_day(site, slot.starts_at) if slot is not None else date.fromisoformat(conversation.data["day"])
        return self._ask_time(turn, conversation, site, day, note)


def refusal_note(error: BookingError, language: str) -> str:
    """The note put before the question offered again after a refusal of the chosen time."""
    if isinstance(error, SlotFull):
        return replies.book_note_slot_taken(language)
    if isinstance(error, SlotInPast):
        return replies.book_note_too_soon(language)
    if isinstance(error, SiteClosed):
        return replies.book_note_site_closed(language)
    if isinstance(error, PartyTooLarge):
        return replies.book_note_site_full(language)
    return replies.book_note_time_gone(language)


"""The SMS a sampling appointment sends, through the outbox: confirmation, the reminder the day
before, change, cancellation, the notice of a closure over a booked day, and once the visit is
done (portal.sampling.visits) either "sample taken" (every attendee's sample recorded) or "visit
closed" (the desk closed it with someone not sampled, who is named as "person 2 (parent)"; a
person whose belongings were brought instead is said received for testing). When the desk later
records the sample of someone reported as not sampled (portal.sampling.samples.correct_tube_number),
one "sample taken after all" message follows.

No message carries more than the reference, the site and the time: no names, no identity numbers
(docs/writing.md#nothing-personal-in-a-message, docs/threat-model.md#what-a-text-message-may-carry);
a person not sampled is named by their place in the booking and their relationship, as the
booking's pages number them ("Person 2"). Each is written in the language the family booked in.
The booking notices (confirmation, reminder, change, cancellation, closure, visit closed) take at
most three SMS segments, since they carry the site's place, how to change or cancel, or who was
not sampled, cut in the order of docs/writing.md#how-long-an-sms-may-be (`fit_notice`); the
"sample taken" and "sample taken after all" messages keep within two.

Whether a reminder is still due is decided when the worker is about to send it
(`reminder_still_due`, registered as the outbox send check of REMINDER_PURPOSE): a booking
cancelled or moved after its reminder was queued never gets that reminder.
"""

from __future__ import annotations

from collections.abc import Callable

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext, ngettext

from portal.core.extensions import db
from portal.core.i18n import format_local_datetime, word_space
from portal.core.models import ApplicantRole, Appointment, AppointmentStatus, Attendee, OutboundMessage, utcnow
from portal.core.outbox import queue_message
from portal.core.outbox.worker import send_check
from portal.core.sms.segments import (
    MAX_NOTICE_SEGMENTS,
    SHORTEST_NAME,
    cut_mark,
    fits_segments,
    fits_two_segments,
    shortened,
)

CONFIRMATION_PURPOSE = "booking_confirmation"
REMINDER_PURPOSE = "booking_reminder"
CHANGE_PURPOSE = "booking_change"
CANCELLATION_PURPOSE = "booking_cancellation"
CHECKED_IN_PURPOSE = "booking_checked_in"
CLOSURE_PURPOSE = "booking_site_closed"
VISIT_CLOSED_PURPOSE = "booking_visit_closed"
SAMPLED_AFTER_ALL_PURPOSE = "booking_sampled_after_all"
# The not-sampled reason (portal.sampling.visits.NOT_SAMPLED_REASONS) of a person whose personal
# belongings were brought instead of a sample: the visit-closed message words them differently.
BELONGINGS_REASON = "belongings"
DEFAULT_REMINDER_TIME = "10:00"
MANAGE_PATH = "/sampling/manage"


def _fit(parts: list[str], language: str) -> str:
    # Drop trailing advice rather than run into a third segment (the "sample taken" message).
    while len(parts) > 1:
        joined = ("" if language == "zh" else " ").join(parts)
        if fits_two_segments(joined):
            return joined
        parts = parts[:-1]
    return parts[0]


def _fit_site(site_name: str, parts: Callable[[str], list[str]], language: str) -> str:
    """`_fit(parts(site_name))`, with a site name too long for two segments cut short (…)."""
    return shortened(lambda name: _fit(parts(name), language), site_name)


def site_place(name: str, address: str | None, city: str) -> str:
    """Where the site is, for a booking notice: its address, or (most published lists give none)
    its city; "" when the site's name already says it (南通市公安局 in 南通市)."""
    place = (address or "").strip() or city.strip()
    return "" if not place or place in name else place


def how_to_change(url: str, language: str) -> list[str]:
    """How to change or cancel a booking, fullest first: the manage page's address when it is an
    absolute URL (PUBLIC_BASE_URL set; otherwise "our website") and the SMS keyword; then the
    keyword alone (the first cut when a notice is too long)."""
    with force_locale(language):
        if url.startswith(("https://", "http://")):
            full = gettext("To change or cancel: %(url)s or send CANCEL BOOKING.", url=url)
        else:
            full = gettext("To change or cancel, use our website or send CANCEL BOOKING.")
        return [full, gettext("To cancel, send CANCEL BOOKING.")]


def bring_advice(people: int, language: str) -> str:
    """What to bring, for a party of `people`: one person is told to bring their identity card;
    two or more, that everyone giving a sample brings their own."""
    with force_locale(language):
        if people <= 1:
            return gettext("Bring your identity card.")
        return gettext("Each person brings their own identity card.")


def fit_notice(lead: Callable[[str, str], str], site_name: str, place: str, extras: list[str],
               change: list[str], language: str) -> str:
    """A booking notice within MAX_NOTICE_SEGMENTS (three) segments.

    `lead(site, place)` is the sentence with the reference, the local day and time, the site and
    its place; `extras` sentences follow (advice), then the first of `change` (how to change or
    cancel, fullest first). When the longest real values do not fit, it is cut in this order
    (docs/writing.md#how-long-an-sms-may-be): how to change or cancel, down to the keyword (the
    last of `change`); the place (address or city) shortened with "…" (at least SHORTEST_NAME
    characters); the site's name shortened likewise; only then, the `extras` from the last (an
    English text with a Chinese site name is UCS-2, 201 characters: the least needed advice goes
    first). The reference, the day and the time are never cut.
    """
    space = word_space(language)

    def render(site: str, where: str, how: str | None, advice: list[str]) -> str:
        return space.join([lead(site, where), *advice, *([how] if how else [])])

    def fits(text: str) -> bool:
        return fits_segments(text, MAX_NOTICE_SEGMENTS)

    keyword = change[-1] if change else None
    ways: list[str | None] = list(change) or [None]
    for how in ways:
        text = render(site_name, place, how, extras)
        if fits(text):
            return text
    for kept in range(len(extras), -1, -1):
        text = render(site_name, place, keyword, extras[:kept])
        if fits(text):
            return text
        cut = _cut_names(render, site_name, place, keyword, extras[:kept])
        if cut is not None:
            return cut
    return render(site_name, place, keyword, [])


def _cut_names(render: Callable[[str, str, str | None, list[str]], str], site_name: str, place: str,
               how: str | None, advice: list[str]) -> str | None:
    """The notice with the place, then also the site's name, shortened (…) to fit three segments;
    None when even the shortest cuts do not fit."""
    if place:
        text = shortened(lambda where: render(site_name, where, how, advice), place, MAX_NOTICE_SEGMENTS)
        if fits_segments(text, MAX_NOTICE_SEGMENTS):
            return text
    mark = cut_mark(render(site_name, place, how, advice))
    short_place = place if len(place) <= SHORTEST_NAME else place[:SHORTEST_NAME] + mark
    text = shortened(lambda site: render(site, short_place, how, advice), site_name, MAX_NOTICE_SEGMENTS)
    return text if fits_segments(text, MAX_NOTICE_SEGMENTS) else None


def _when(appointment: Appointment, language: str) -> str:
    site = appointment.site
    return format_local_datetime(appointment.slot.starts_at, site.timezone, language)  # type: ignore[union-attr]


def _where(site: str, place: str) -> str:
    return gettext("%(site)s (%(place)s)", site=site, place=place) if place else site


def confirmation_text(reference: str, site_name: str, place: str, when: str, people: int, manage_url: str,
                      language: str) -> str:
    """The booking confirmation: reference, how many people, local date, weekday and time, site and
    its place; what to bring (plural-correct); how to change or cancel. `place`: `site_place`;
    `manage_url`: the manage page's address (`manage_url()`). Within three segments (`fit_notice`)."""
    with force_locale(language):
        return fit_notice(lambda site, where: ngettext(
            "Reference %(reference)s. Free blood sampling booked for %(num)d person: %(time)s, %(site)s.",
            "Reference %(reference)s. Free blood sampling booked for %(num)d people: %(time)s, %(site)s.",
            people, reference=reference, time=when, site=_where(site, where),
        ), site_name, place, [bring_advice(people, language)], how_to_change(manage_url, language), language)


def sms_booking_confirmation_text(reference: str, site_name: str, place: str, when: str, manage_url: str,
                                  language: str) -> str:
    """The reply that confirms a booking made by SMS: as `confirmation_text` for one person, and
    that an SMS booking is for one person, with how to book for another. Within three segments."""
    with force_locale(language):
        return fit_notice(lambda site, where: gettext(
            "Reference %(reference)s. Free blood sampling booked for you only: %(time)s, %(site)s.",
            reference=reference, time=when, site=_where(site, where),
        ), site_name, place, [
            gettext("To book for another person, send BOOK again."),
            bring_advice(1, language),
        ], how_to_change(manage_url, language), language)


def reminder_text(reference: str, site_name: str, place: str, when: str, people: int, manage_url: str,
                  language: str) -> str:
    """The reminder the day before: as the confirmation, within three segments."""
    with force_locale(language):
        return fit_notice(lambda site, where: gettext(
            "Reference %(reference)s. Reminder: free blood sampling %(time)s, %(site)s.",
            reference=reference, time=when, site=_where(site, where),
        ), site_name, place, [bring_advice(people, language)], how_to_change(manage_url, language), language)


def change_text(reference: str, site_name: str, place: str, when: str, people: int, manage_url: str,
                language: str) -> str:
    """The notice that a booking moved to a new time (and perhaps a new site), within three segments."""
    with force_locale(language):
        return fit_notice(lambda site, where: gettext(
            "Reference %(reference)s. Your sampling appointment is now %(time)s, %(site)s.",
            reference=reference, time=when, site=_where(site, where),
        ), site_name, place, [bring_advice(people, language)], how_to_change(manage_url, language), language)


def cancellation_text(reference: str, site_name: str, when: str, language: str) -> str:
    """The notice that a booking was cancelled, within three segments."""
    with force_locale(language):
        return fit_notice(lambda site, where: gettext(
            "Reference %(reference)s. Your sampling appointment %(time)s, %(site)s is cancelled.",
            reference=reference, time=when, site=site,
        ), site_name, "", [gettext("You can book again at any time.")], [], language)


def checked_in_text(reference: str, site_name: str, language: str) -> str:
    """After check-in: the sample is taken, and what happens next."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Thank you: your sample was taken at %(site)s.",
                    reference=reference, site=site),
            gettext("It is compared with the national database. We contact you only if there is a possible match."),
        ], language)


def person_words(position: int, relationship: str, language: str) -> str:
    """A person of the booking as an SMS may name them: their place in the booking (1 = first, as
    the booking's pages number people) and their relationship to the person looked for (an
    ApplicantRole value; any other value: the place alone). Never their name."""
    with force_locale(language):
        if relationship == ApplicantRole.PARENT:
            return gettext("person %(number)d (parent)", number=position)
        if relationship == ApplicantRole.RELATIVE:
            return gettext("person %(number)d (relative)", number=position)
        if relationship == ApplicantRole.SEEKING_BIRTH_FAMILY:
            return gettext("person %(number)d (looking for their family)", number=position)
        return gettext("person %(number)d", number=position)


def visit_closed_text(reference: str, site_name: str, not_sampled: list[str], any_sampled: bool,
                      belongings: list[str], language: str) -> str:
    """The one "visit done" message of a visit the desk closed with someone not sampled: whose
    sample was not taken (`not_sampled`: `person_words` of each, in booking order), that they may
    book again, and (`any_sampled`: someone's sample was taken) what happens to the samples
    taken. `belongings`: the people (`person_words`) whose personal belongings were brought
    instead of a sample, which the campaign accepts: the message says they were received for
    testing and asks nobody to book again for them. Within three segments (`fit_notice`): the
    site's name is shortened before the advice is dropped, and named in words ("the sampling
    site") when even that does not fit; the reference and the people are never cut."""
    belongings = belongings or []
    with force_locale(language):
        separator = "、" if language == "zh" else ", "
        people = separator.join(not_sampled)
        owners = separator.join(belongings)
        if belongings:
            if not_sampled:
                def lead(site: str, _where: str) -> str:
                    # Two lists of people: shorter words, so that four fit three segments (UCS-2).
                    return gettext("Reference %(reference)s, %(site)s: belongings of %(owners)s received for "
                                   "testing; no sample from %(people)s.", reference=reference, site=site,
                                   owners=owners, people=people)
                extras = [gettext("To give a sample another day, book again.")]
            else:
                def lead(site: str, _where: str) -> str:
                    return gettext("Reference %(reference)s. Thank you for coming to %(site)s. Belongings of "
                                   "%(owners)s received for testing.",
                                   reference=reference, site=site, owners=owners)
                extras = []
            extras.append(gettext("What we received is compared with the national database. "
                                  "We contact you only if there is a possible match."))
        elif any_sampled:
            def lead(site: str, _where: str) -> str:
                return gettext("Reference %(reference)s. Thank you for coming to %(site)s. "
                               "No sample was taken from %(people)s.", reference=reference, site=site, people=people)
            extras = [gettext("To give a sample another day, book again."),
                      gettext("The samples taken are compared with the national database. "
                              "We contact you only if there is a possible match.")]
        else:
            def lead(site: str, _where: str) -> str:
                return gettext("Reference %(reference)s. Your visit to %(site)s is closed. "
                               "No sample was taken from %(people)s.", reference=reference, site=site, people=people)
            extras = [gettext("To give a sample another day, book again.")]
        text = fit_notice(lead, site_name, "", extras, [], language)
        if not fits_segments(text, MAX_NOTICE_SEGMENTS):
            # An English text with a Chinese site name is UCS-2 (201 characters a segment): with
            # many people named, the site is named in words instead (the reference says which visit).
            text = fit_notice(lead, gettext("the sampling site"), "", extras, [], language)
        return text


def sampled_after_all_text(reference: str, person: str, language: str) -> str:
    """The one message after a visit closed with `person` (`person_words`) reported as not sampled,
    when the desk recorded their sample afterwards (they came late): the sample was taken after
    all. Within two segments (`_fit`: the advice goes first); the reference and the person are
    never cut."""
    with force_locale(language):
        return _fit([
            gettext("Reference %(reference)s. Correction: the sample of %(person)s was taken after all.",
                    reference=reference, person=person),
            gettext("It is compared with the national database. We contact you only if there is a possible match."),
        ], language)


def closure_text(reference: str, site_name: str, when: str, manage_url: str, language: str) -> str:
    """The notice that the site will be closed at the booked time, with the manage page to move.

    Within three segments, cut as `fit_notice` says: when the manage page's address does not fit
    (an English text with a Chinese site name counts as UCS-2, 201 characters), the notice says
    to choose another time on the website instead of spelling out the address; then the site's
    name is shortened (…).
    """
    with force_locale(language):
        return fit_notice(lambda site, where: gettext(
            "Reference %(reference)s. %(site)s is closed on %(time)s.", reference=reference, site=site, time=when,
        ), site_name, "", [], [gettext("Choose another time: %(url)s", url=manage_url),
                               gettext("Choose another time on our website.")], language)


def _notice_values(appointment: Appointment) -> tuple[str, str, str, str, int, str, str]:
    """(reference, site name, place, local time, party size, manage URL, language) of a booking's
    confirmation, reminder and change notices."""
    site = appointment.site
    language = appointment.language
    return (appointment.item.reference, site.name, site_place(site.name, site.address, site.city),
            _when(appointment, language), appointment.party_size, manage_url(), language)


def _send(appointment: Appointment, body: str, purpose: str, not_before: datetime | None = None) -> OutboundMessage | None:
    if not appointment.applicant_phone:
        return None
    return queue_message(appointment.applicant_phone, body, purpose, item_id=appointment.item_id,
                         not_before=not_before)


def manage_url() -> str:
    """The address of the manage page, absolute when PUBLIC_BASE_URL is set."""
    base = current_app.config["SETTINGS"].public_base_url if has_app_context() else ""
    return f"{base}{MANAGE_PATH}"


def reminder_time() -> time:
    """The configured local time of the day-before reminder (SAMPLING_REMINDER_TIME)."""
    text = current_app.config["SETTINGS"].sampling_reminder_time if has_app_context() else DEFAULT_REMINDER_TIME
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def reminder_due_at(appointment: Appointment) -> datetime:
    """UTC instant of the reminder: the configured local time on the local day before the slot."""
    site = appointment.site
    zone = ZoneInfo(site.timezone)
    day = appointment.slot.starts_at.astimezone(zone).date() - timedelta(days=1)  # type: ignore[union-attr]
    return datetime.combine(day, reminder_time(), tzinfo=zone).astimezone(timezone.utc)


def queue_confirmation(appointment: Appointment, send_confirmation: bool = True) -> None:
    """Queue the confirmation and (when still ahead) the reminder, in the caller's transaction.

    `send_confirmation=False`: the reminder only, for a caller that delivers `confirmation_text`
    itself (the SMS hotline answers the booking message with it).
    """
    if send_confirmation:
        _send(appointment, confirmation_text(*_notice_values(appointment)), CONFIRMATION_PURPOSE)
    queue_reminder(appointment)


def queue_reminder(appointment: Appointment) -> None:
    """Queue the day-before reminder for the booking's current slot and make it the current one.

    Skipped when its time has already passed (a booking made for tomorrow after the reminder
    time: the confirmation has just said the same). An earlier reminder of this booking stops
    being current, so it is withdrawn when it falls due.
    """
    due = reminder_due_at(appointment)
    if due <= utcnow():
        appointment.reminder_message_id = None
        return
    message = _send(appointment, reminder_text(*_notice_values(appointment)), REMINDER_PURPOSE, not_before=due)
    if message is not None:
        db.session.flush()
        appointment.reminder_message_id = message.id


def queue_change(appointment: Appointment) -> None:
    """Queue the notice of the new time and site (one SMS, sent now), and a reminder for it (due
    the day before)."""
    _send(appointment, change_text(*_notice_values(appointment)), CHANGE_PURPOSE)
    queue_reminder(appointment)


def queue_cancellation(appointment: Appointment) -> None:
    """Queue the notice that the booking is cancelled."""
    site = appointment.site
    _send(appointment, cancellation_text(appointment.item.reference, site.name,
                                         _when(appointment, appointment.language), appointment.language),
          CANCELLATION_PURPOSE)
    appointment.reminder_message_id = None


def queue_checked_in(appointment: Appointment) -> None:
    """Queue the "sample taken, here is what happens next" message."""
    _send(appointment, checked_in_text(appointment.item.reference, appointment.site.name, appointment.language),
          CHECKED_IN_PURPOSE)


def queue_visit_closed(appointment: Appointment, not_sampled: list[Attendee]) -> None:
    """Queue the "visit closed" message naming `not_sampled` (attendees of `appointment`) by their
    place in the booking and relationship (`visit_closed_text`)."""
    positions = {attendee.id: position for position, attendee in enumerate(appointment.attendees, start=1)}
    language = appointment.language
    in_order = sorted(not_sampled, key=lambda attendee: positions[attendee.id])
    words = [person_words(positions[attendee.id], attendee.relationship_to_missing, language)
             for attendee in in_order if attendee.not_sampled_reason != BELONGINGS_REASON]
    belongings = [person_words(positions[attendee.id], attendee.relationship_to_missing, language)
                  for attendee in in_order if attendee.not_sampled_reason == BELONGINGS_REASON]
    any_sampled = len(not_sampled) < len(appointment.attendees)
    _send(appointment, visit_closed_text(appointment.item.reference, appointment.site.name, words, any_sampled,
                                         belongings, language), VISIT_CLOSED_PURPOSE)


def queue_sampled_after_all(appointment: Appointment, attendee: Attendee) -> None:
    """Queue the message that `attendee`, reported as not sampled when the visit was closed, gave
    a sample after all (`sampled_after_all_text`)."""
    position = [a.id for a in appointment.attendees].index(attendee.id) + 1
    language = appointment.language
    _send(appointment, sampled_after_all_text(
        appointment.item.reference, person_words(position, attendee.relationship_to_missing, language), language),
        SAMPLED_AFTER_ALL_PURPOSE)


def closure_notice_body(appointment: Appointment) -> str | None:
    """The closure notice this booking's family would be sent now (`closure_text` in the language
    they booked in), or None when the booking has no mobile number and nothing is sent. What the
    staff preview of a closure shows is this text, so it is what `queue_closure_notice` sends."""
    if not appointment.applicant_phone:
        return None
    return closure_text(appointment.item.reference, appointment.site.name, _when(appointment, appointment.language),
                        manage_url(), appointment.language)


def queue_closure_notice(appointment: Appointment) -> None:
    """Queue the notice that the site is closed at the booked time, pointing to the manage page."""
    body = closure_notice_body(appointment)
    if body is not None:
        _send(appointment, body, CLOSURE_PURPOSE)


@send_check(REMINDER_PURPOSE)
def reminder_still_due(message_id: int) -> bool:
    """True when the reminder `message_id` is its booking's current reminder, the booking is still
    booked and its slot has not started. Called by the outbox worker just before sending."""
    appointment = db.session.query(Appointment).filter(Appointment.reminder_message_id == message_id).first()
    return (
        appointment is not None
        and appointment.status == AppointmentStatus.BOOKED
        and appointment.slot is not None
        and appointment.slot.starts_at > utcnow()
    )

"""The SMS a sampling appointment sends, through the outbox: confirmation, the reminder the day
before, change, cancellation, "sample taken", and the notice of a closure over a booked day.

No message carries more than the reference, the site and the time (WRITING.md, THREATS.md):
no names, no identity numbers. Each is written in the language the family booked in and kept
within two SMS segments (`portal.sms.segments.fits_two_segments`).

Whether a reminder is still due is decided when the worker is about to send it
(`reminder_still_due`, registered as the outbox send check of REMINDER_PURPOSE): a booking
cancelled or moved after its reminder was queued never gets that reminder.
"""

from __future__ import annotations

from collections.abc import Callable

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext

from portal.extensions import db
from portal.i18n import format_local_datetime, word_space
from portal.models import Appointment, AppointmentStatus, OutboundMessage, utcnow
from portal.outbox import queue_message
from portal.outbox.worker import send_check

CONFIRMATION_PURPOSE = "booking_confirmation"
REMINDER_PURPOSE = "booking_reminder"
CHANGE_PURPOSE = "booking_change"
CANCELLATION_PURPOSE = "booking_cancellation"
CHECKED_IN_PURPOSE = "booking_checked_in"
CLOSURE_PURPOSE = "booking_site_closed"
DEFAULT_REMINDER_TIME = "10:00"
MANAGE_PATH = "/sampling/manage"


def _fit(parts: list[str], language: str) -> str:
    # Drop trailing advice rather than run into a third segment.
    from portal.sms.segments import fits_two_segments

    while len(parts) > 1:
        joined = ("" if language == "zh" else " ").join(parts)
        if fits_two_segments(joined):
            return joined
        parts = parts[:-1]
    return parts[0]


def _fit_site(site_name: str, parts: Callable[[str], list[str]], language: str) -> str:
    """`_fit(parts(site_name))`, with a site name too long for two segments cut short (…)."""
    from portal.sms.segments import shortened

    return shortened(lambda name: _fit(parts(name), language), site_name)


def _when(appointment: Appointment, language: str) -> str:
    site = appointment.site
    return format_local_datetime(appointment.slot.starts_at, site.timezone, language)  # type: ignore[union-attr]


def confirmation_text(reference: str, site_name: str, when: str, language: str) -> str:
    """The booking confirmation: reference, local date, weekday and time, site; then advice."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Free blood sampling booked: %(time)s, %(site)s.",
                    reference=reference, time=when, site=site),
            gettext("Bring your identity card."),
        ], language)


def reminder_text(reference: str, site_name: str, when: str, language: str) -> str:
    """The reminder the day before."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Reminder: free blood sampling %(time)s, %(site)s.",
                    reference=reference, time=when, site=site),
            gettext("Bring your identity card."),
        ], language)


def change_text(reference: str, site_name: str, when: str, language: str) -> str:
    """The notice that a booking moved to a new time."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Your sampling appointment is now %(time)s, %(site)s.",
                    reference=reference, time=when, site=site),
        ], language)


def cancellation_text(reference: str, site_name: str, when: str, language: str) -> str:
    """The notice that a booking was cancelled."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Your sampling appointment %(time)s, %(site)s is cancelled.",
                    reference=reference, time=when, site=site),
            gettext("You can book again at any time."),
        ], language)


def checked_in_text(reference: str, site_name: str, language: str) -> str:
    """After check-in: the sample is taken, and what happens next."""
    with force_locale(language):
        return _fit_site(site_name, lambda site: [
            gettext("Reference %(reference)s. Thank you: your sample was taken at %(site)s.",
                    reference=reference, site=site),
            gettext("It is compared with the national database. We contact you only if there is a possible match."),
        ], language)


def closure_text(reference: str, site_name: str, when: str, manage_url: str, language: str) -> str:
    """The notice that the site will be closed at the booked time, with the manage page to move.

    Within two segments: when the manage page's address does not fit (an English text with a
    Chinese site name counts as UCS-2, 134 characters), the notice says where to find the page
    on the website instead of spelling out its address.
    """
    from portal.sms.segments import fits_two_segments, shortened

    def pick(site: str) -> str:
        closed = gettext("Reference %(reference)s. %(site)s is closed on %(time)s.",
                         reference=reference, site=site, time=when)
        candidates = [
            f"{closed}{word_space(language)}" + gettext("Choose another time: %(url)s", url=manage_url),
            f"{closed}{word_space(language)}" + gettext("Choose another time on our website."),
            closed,
        ]
        return next((text for text in candidates if fits_two_segments(text)), candidates[-1])

    with force_locale(language):
        return shortened(pick, site_name)


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
        site = appointment.site
        _send(appointment, confirmation_text(appointment.item.reference, site.name,
                                             _when(appointment, appointment.language), appointment.language),
              CONFIRMATION_PURPOSE)
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
    site = appointment.site
    message = _send(
        appointment,
        reminder_text(appointment.item.reference, site.name, _when(appointment, appointment.language), appointment.language),
        REMINDER_PURPOSE,
        not_before=due,
    )
    if message is not None:
        db.session.flush()
        appointment.reminder_message_id = message.id


def queue_change(appointment: Appointment) -> None:
    """Queue the notice of the new time, and a reminder for it."""
    site = appointment.site
    _send(appointment, change_text(appointment.item.reference, site.name, _when(appointment, appointment.language),
                                   appointment.language), CHANGE_PURPOSE)
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


def queue_closure_notice(appointment: Appointment) -> None:
    """Queue the notice that the site is closed at the booked time, pointing to the manage page."""
    site = appointment.site
    _send(appointment, closure_text(appointment.item.reference, site.name, _when(appointment, appointment.language),
                                    manage_url(), appointment.language), CLOSURE_PURPOSE)


@send_check(REMINDER_PURPOSE)
def reminder_still_due(message_id: int) -> bool:
    """True when the reminder `message_id` is its booking's current reminder, the booking is still
    booked and its slot has not started. Called by the outbox worker just before sending."""
    appointment = db.session.query(Appointment).filter(Appointment.reminder_message_id == message_id).first()
    return (
        appointment is not None
        and appointment.status == AppointmentStatus.BOOKED.value
        and appointment.slot is not None
        and appointment.slot.starts_at > utcnow()
    )

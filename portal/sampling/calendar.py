"""The booking's calendar file (iCalendar, RFC 5545, with the `icalendar` library) and its
check-in QR code (SVG, with the `qrcode` library). Neither carries personal data: the
reference, the site (with its phones) and the time only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from flask_babel import force_locale, gettext, ngettext
from icalendar import Calendar, Event

from portal.core.i18n import word_space
from portal.core.models import Appointment, AppointmentStatus, utcnow
from portal.sampling.site_phones import site_phone_numbers


def reference_qr_svg(reference: str) -> bytes:
    """An SVG QR code (error correction M) that decodes to `reference` exactly, e.g. TY-7K3M-9Q2P.

    The reference uses only upper-case letters, digits and a hyphen, so the code is in QR's
    compact alphanumeric mode and stays small enough for a cheap phone's screen.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(reference)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode").encode("utf-8")


def appointment_ics(appointment: Appointment, language: str) -> bytes:
    """The booking as one VEVENT, always the same event: UID from the reference, and SEQUENCE the
    booking's `calendar_sequence` (one higher after each move or the cancellation), so a calendar
    that imported an earlier copy replaces it (RFC 5545 §3.8.4.7, §3.8.7.4).

    From the slot's start to its end, with times in the site's zone (TZID, and the zone's
    VTIMEZONE added), the site's address as LOCATION, the reference in the summary and the site's
    phones (display form, `site_phones.site_phone_numbers`) after the description. STATUS is
    CONFIRMED while booked (also once checked in or missed: the visit itself is not undone), and
    CANCELLED, with the summary starting "Cancelled:", once cancelled. `language`: 'zh' or 'en'.
    """
    site = appointment.site
    slot = appointment.slot
    assert slot is not None
    zone = ZoneInfo(site.timezone)
    reference = appointment.item.reference
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    with force_locale(language):
        summary = gettext("Free blood sampling, reference %(reference)s", reference=reference)
        if cancelled:
            summary = gettext("Cancelled: %(summary)s", summary=summary)
            description = gettext(
                "This appointment is cancelled. Do not go to the sampling site for it. Reference %(reference)s.",
                reference=reference,
            )
        else:
            description = gettext(
                "Bring the identity documents of everyone giving a sample. Reference %(reference)s.",
                reference=reference,
            )
        phones = [phone.display for phone in site_phone_numbers(site)]
        if phones:
            description += word_space(language) + ngettext("The sampling site's phone: %(phones)s.",
                                          "The sampling site's phones: %(phones)s.", len(phones),
                                          phones=("、" if language == "zh" else ", ").join(phones))
    calendar = Calendar()
    calendar.add("prodid", "-//Tuanyuan Portal//Sampling//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{reference}@tuanyuan-portal")
    event.add("sequence", appointment.calendar_sequence or 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("dtstamp", utcnow())
    event.add("dtstart", slot.starts_at.astimezone(zone))
    event.add("dtend", slot.ends_at.astimezone(zone))
    event.add("summary", f"{summary} – {site.name}")
    event.add("location", ", ".join(part for part in (site.name, site.address or site.city) if part))
    event.add("description", description)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def local_start(appointment: Appointment) -> datetime:
    """The appointment's start in the site's local time."""
    return appointment.slot.starts_at.astimezone(ZoneInfo(appointment.site.timezone))  # type: ignore[union-attr]

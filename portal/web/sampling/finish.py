"""Booking free DNA sampling on the web, second half: consent, check your answers, the booking
itself, the "just taken" page, and the confirmation with its QR code, calendar file and print view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response as FlaskResponse
from flask import current_app, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.core.extensions import client_key, db, limiter, public_post_limit
from portal.core.identity import display_mobile
from portal.core.i18n import current_language, format_local_datetime
from portal.core.intake import find_by_reference
from portal.core.partial_dates import partial_date_words
from portal.core.models import ApplicantRole, Appointment, AppointmentStatus, Channel, ItemKind, SamplingSite, Slot
from portal.sampling import draft
from portal.sampling.journey import needs_guardian, party_size, people_from
from portal.web.sampling.blueprint import bp
from portal.sampling.booking import (
    AlreadyBooked,
    PartyTooLarge,
    RepeatedIdentityNumber,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    TooManyBookingsForPhone,
    UnderAge,
    book_appointment,
    own_active_booking,
)
from portal.sampling.calendar import appointment_ics, reference_qr_svg
from portal.sampling.content import after_sampling, what_to_bring
from portal.forms import ConfirmForm, flat_errors
from portal.forms.sampling import DOCUMENT_LABELS, RELATIONSHIP_LABELS
from portal.web.sampling.forms import ROLE_LABELS, SAMPLED_BEFORE_LABELS, SEX_LABELS, ConsentForm, TimeForm
from portal.sampling.messages import public_message_for
from portal.sampling.slots import local_day, nearest_free_slots
from portal.web.language import drop_unsent, switch_requested
from portal.web.sampling.pages import QUESTION_FORM, first_missing_step, slot_label, switch_language, typed_before
from portal.core.security.browser import browser_key, browser_secret
from portal.core.security.masking import last_digits, mask_identity_number

SESSION_KEY = "sampling_reference"
BOOKING_BROWSER_PURPOSE = "booking-browser"


def _identity_refusal_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_sampling_identity_refusals


def _was_identity_refusal(response: Response) -> bool:
    return bool(g.get("sampling_identity_refused"))


# Only refusals count (an identity number or the mobile number already has bookings): a family
# that books, or fixes a typo, never meets it; someone testing identity numbers one after another
# is stopped after a few (RATELIMIT_SAMPLING_IDENTITY_REFUSALS, per client address).
identity_refusal_limit = limiter.shared_limit(
    _identity_refusal_limit, scope="sampling-identity-refusal", methods=["POST"], key_func=client_key,
    deduct_when=_was_identity_refusal,
)


def _slot_of(answers: dict[str, Any]) -> Slot | None:
    slot_id = answers.get("slot_id")
    return db.session.get(Slot, slot_id) if isinstance(slot_id, int) else None


@bp.route("/consent", methods=["GET", "POST"])
@public_post_limit
def consent() -> str | Response:
    """Page 5: consent to the use of the samples, separate from everything else; a guardian's
    consent too when someone in the party is under 14."""
    answers = draft.load()
    missing = first_missing_step(answers, "consent")
    slot = _slot_of(answers)
    if missing or slot is None:
        return redirect(missing or url_for("sampling.choose_site", change="1"))
    guardian = needs_guardian(answers, slot)
    language = switch_requested()
    if language is not None:
        return switch_language("consent", answers, language)
    typed = typed_before(answers, "consent")
    form = ConsentForm(formdata=typed) if typed is not None else ConsentForm(
        data={"consent": answers.get("consent"), "guardian_consent": answers.get("guardian_consent")})
    if form.validate_on_submit():
        if guardian and not form.guardian_consent.data:
            form.guardian_consent.errors = [
                _("Tick the box to agree as parent or guardian, so that we can take the sample of a child under 14")
            ]
        else:
            answers = drop_unsent(answers, "consent")
            answers.update(consent=True, guardian_consent=bool(guardian and form.guardian_consent.data))
            draft.save(answers)
            return redirect(url_for("sampling.check"))
    # Back goes to the page the person has just left: the chosen day's times, that time selected.
    time_url = url_for("sampling.choose_time", site_id=slot.site_id,
                       day=local_day(slot.site, slot.starts_at).isoformat())
    return render_template("sampling/consent.html", form=form, guardian=guardian, errors=flat_errors(form),
                           time_url=time_url, language_form=QUESTION_FORM)


def _last_seen_words(case: dict[str, Any]) -> str:
    """When and where the person was last seen, each as far as the family gave it:
    2008年6月1日，四川省成都市 · 1 June 2008, Chengdu; one of them alone; or "Not given"."""
    when = partial_date_words(case.get("last_seen_on"))
    where = case.get("last_seen_place") or ""
    if when and where:
        return _("%(first)s, %(second)s", first=when, second=where)
    return when or where or _("Not given")


def summary(answers: dict[str, Any], slot: Slot | None) -> list[dict[str, Any]]:
    """The check-your-answers sections: [{"title", "change_url", "rows": [(label, value)]}];
    "Not given" for what the person did not give."""
    role = answers.get("role")
    not_given = _("Not given")
    sections: list[dict[str, Any]] = [{
        "title": _("Who is booking"), "change_url": url_for("sampling.who", change="1"),
        "rows": [(_("Who is booking"), str(ROLE_LABELS[ApplicantRole(role)]) if role else "")],
    }]
    case = answers.get("case") or {}
    if role == ApplicantRole.SEEKING_BIRTH_FAMILY:
        sections.append({"title": _("What you remember"), "change_url": url_for("sampling.about", change="1"), "rows": [
            (_("What you remember"), case.get("remembered", "")),
            (_("Date of birth"), partial_date_words(case.get("missing_born")) or not_given),
            (_("Where you were born or lived as a child"), case.get("last_seen_place") or _("Not given")),
            (_("Police report number"), case.get("police_report") or _("Not given")),
            (_("Sampled before"), str(SAMPLED_BEFORE_LABELS.get(case.get("sampled_before"), ""))),  # type: ignore[arg-type]  # get(None) gives the default
        ]})
    elif role != ApplicantRole.AGENCY:
        sections.append({"title": _("The person you are looking for"), "change_url": url_for("sampling.about", change="1"), "rows": [
            (_("Name"), case.get("missing_name", "")),
            (_("Sex"), str(SEX_LABELS.get(case.get("missing_sex"), not_given))),  # type: ignore[arg-type]  # get(None) gives the default
            (_("Date of birth"), partial_date_words(case.get("missing_born")) or not_given),
            (_("Last seen"), _last_seen_words(case)),
            (_("Police report number"), case.get("police_report") or _("Not given")),
            (_("Sampled before"), str(SAMPLED_BEFORE_LABELS.get(case.get("sampled_before"), ""))),  # type: ignore[arg-type]  # get(None) gives the default
        ]})
    if role == ApplicantRole.AGENCY:
        agency = answers.get("agency") or {}
        sections.append({"title": _("Your agency and the person you bring"), "change_url": url_for("sampling.attendees", change="1"),
                         "rows": [
                             (_("Agency"), agency.get("agency_name", "")),
                             (_("Your name"), agency.get("contact_name", "")),
                             (_("Your mobile number"), display_mobile(agency.get("phone"))),
                             (_("Approximate age"), str(agency.get("person_age", ""))),
                             (_("Sex"), str(SEX_LABELS.get(agency.get("person_sex"), ""))),  # type: ignore[arg-type]  # get(None) gives the default
                             (_("Cared for at"), agency.get("cared_for_at", "")),
                         ]})
    else:
        for number, person in enumerate(answers.get("attendees") or [], start=1):
            rows = [
                (_("Full name"), person.get("name", "")),
                (_("Relationship"), str(RELATIONSHIP_LABELS.get(person.get("relationship"), ""))),
                (str(DOCUMENT_LABELS.get(person.get("document_type"), "")), person.get("document_number", "")),
            ]
            if person.get("phone"):
                rows.append((_("Mobile number"), display_mobile(person["phone"])))
            sections.append({"title": _("Person %(number)d", number=number), "change_url": url_for("sampling.attendees", change="1"),
                             "rows": rows})
    if slot is not None:
        sections.append({"title": _("Place and time"), "change_url": url_for("sampling.choose_site", change="1"), "rows": [
            (_("Sampling site"), slot.site.name),
            (_("Time"), format_local_datetime(slot.starts_at, slot.site.timezone)),
            (_("Number of people"), str(party_size(answers))),
        ]})
    return sections


def _book(answers: dict[str, Any], slot_id: int) -> Appointment:
    people = people_from(answers)
    if answers.get("role") == ApplicantRole.AGENCY:
        agency = answers["agency"]
        applicant_name, applicant_phone = agency["contact_name"], agency["phone"]
        case_details: dict[str, Any] = {"agency_name": agency["agency_name"]}
    else:
        applicant_name, applicant_phone = people[0].name or "", people[0].phone or ""
        case_details = dict(answers.get("case") or {})
    return book_appointment(
        slot_id=slot_id,
        applicant_role=ApplicantRole(answers["role"]),
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        attendees=people,
        consent=bool(answers.get("consent")),
        guardian_consent=bool(answers.get("guardian_consent")),
        language=current_language(),
        channel=Channel.WEB,
        applicant_attends=answers.get("role") != ApplicantRole.AGENCY,
        browser_key=browser_key(BOOKING_BROWSER_PURPOSE),
        case_details=case_details,
    )


def _try_booking(answers: dict[str, Any], slot: Slot) -> tuple[Response | None, str | None]:
    """Book; return (redirect, None) when booked or sent to the "just taken" page, or
    (None, message) for a problem the person must fix on the check page."""
    try:
        appointment = _book(answers, slot.id)
    except (SlotFull, SiteClosed, SlotInPast, SlotNotFound) as error:
        db.session.rollback()
        draft.update(refused=type(error).__name__, wanted_at=slot.starts_at.isoformat(), taken_slot_id=slot.id)
        return redirect(url_for("sampling.taken"), code=303), None
    except AlreadyBooked as error:
        db.session.rollback()
        own = own_active_booking([p.identity_hash for p in people_from(answers) if p.identity_hash],
                                 browser_key(BOOKING_BROWSER_PURPOSE))
        if own is not None:
            # A second click of "Book", or a resent form: show the booking it duplicates.
            session[SESSION_KEY] = own.item.reference
            draft.save({"booked": own.item.reference})
            return redirect(url_for("sampling.confirmation"), code=303), None
        g.sampling_identity_refused = True
        return None, public_message_for(error)
    except TooManyBookingsForPhone as error:
        db.session.rollback()
        g.sampling_identity_refused = True
        return None, public_message_for(error)
    except (UnderAge, RepeatedIdentityNumber, PartyTooLarge) as error:
        db.session.rollback()
        return None, public_message_for(error)
    reference = appointment.item.reference
    db.session.commit()
    session[SESSION_KEY] = reference
    # The answers are forgotten; what stays is that this browser booked, so that the same form
    # sent again (the back button, a second click) shows this booking instead of starting over.
    draft.save({"booked": reference})
    return redirect(url_for("sampling.confirmation"), code=303), None


@bp.route("/check", methods=["GET", "POST"])
@public_post_limit
@identity_refusal_limit
def check() -> str | Response:
    """Page 6: check your answers, then book. If the last places went meanwhile, the person is
    sent to the "just taken" page with every answer kept."""
    answers = draft.load()
    if answers.get("booked"):
        session[SESSION_KEY] = answers["booked"]
        return redirect(url_for("sampling.confirmation"), code=303)
    missing = first_missing_step(answers, "check")
    slot = _slot_of(answers)
    if missing or slot is None:
        return redirect(missing or url_for("sampling.choose_site", change="1"))
    form = ConfirmForm()
    browser_secret()  # set on the GET, so that a double click's two posts carry the same one
    problem = None
    if form.validate_on_submit():
        done, problem = _try_booking(answers, slot)
        if done is not None:
            return done
    return render_template("sampling/check.html", form=form, sections=summary(answers, slot), problem=problem,
                           errors=[])


@bp.route("/taken", methods=["GET", "POST"])
@public_post_limit
@identity_refusal_limit
def taken() -> str | Response:
    """The "just taken" page: the chosen time can no longer be booked; the nearest free times at
    the same site with room for the party are offered, every answer kept, and booking one of
    them needs one click."""
    answers = draft.load()
    if answers.get("booked"):
        session[SESSION_KEY] = answers["booked"]
        return redirect(url_for("sampling.confirmation"), code=303)
    missing = first_missing_step(answers, "check")
    site = db.session.get(SamplingSite, answers.get("site_id")) if isinstance(answers.get("site_id"), int) else None
    if missing or site is None or "wanted_at" not in answers:
        return redirect(missing or url_for("sampling.choose_site", change="1"))
    wanted = datetime.fromisoformat(answers["wanted_at"])
    places = party_size(answers)
    offered = nearest_free_slots(site, wanted, places, exclude=answers.get("taken_slot_id"))
    form = TimeForm()
    form.slot.choices = [
        SelectChoice(str(slot.id), f"{format_local_datetime(slot.starts_at, site.timezone)} – {slot_label(slot).split(' – ', 1)[-1]}")
        for slot in offered
    ]
    problem = None
    if form.validate_on_submit():
        chosen = next((slot for slot in offered if str(slot.id) == form.slot.data), None)
        if chosen is None:
            form.slot.errors = [_("Choose one of the times shown")]
        else:
            draft.update(slot_id=chosen.id)
            answers["slot_id"] = chosen.id
            done, problem = _try_booking(answers, chosen)
            if done is not None:
                return done
    refused = answers.get("refused")
    reason = {
        "SlotFull": _("Sorry, someone else has just taken the last places at that time."),
        "SiteClosed": _("Sorry, the sampling site is closed at that time."),
        "SlotInPast": _("Sorry, that time is now too soon to book."),
    }.get(refused, _("Sorry, that time can no longer be booked."))  # type: ignore[arg-type]  # get(None) gives the default
    return render_template("sampling/taken.html", form=form, site=site, reason=reason, problem=problem,
                           sections=summary(answers, None), errors=flat_errors(form))


def _confirmed() -> Appointment | None:
    item = find_by_reference(session.get(SESSION_KEY, ""))
    if item is None or item.kind != ItemKind.APPOINTMENT or item.appointment is None:
        return None
    return item.appointment


def _status_heading(appointment: Appointment) -> str:
    """The confirmation's heading for the booking's state now (it may have changed elsewhere)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        return _("Appointment cancelled")
    if appointment.status == AppointmentStatus.BOOKED:
        # A move raises the calendar sequence (portal.sampling.booking): say so, not "booked" again.
        return _("Appointment moved") if appointment.calendar_sequence else _("Appointment booked")
    return _("Your appointment")


def _confirmation_context(appointment: Appointment) -> dict[str, Any]:
    # Read afresh: the booking may have been moved or cancelled from another browser or by SMS.
    db.session.refresh(appointment)
    site = appointment.site
    return dict(
        reference=appointment.item.reference,
        appointment=appointment,
        booked=appointment.status == AppointmentStatus.BOOKED,
        moved=appointment.status == AppointmentStatus.BOOKED and bool(appointment.calendar_sequence),
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
        heading=_status_heading(appointment),
        slot=appointment.slot,
        site=site,
        phone_last_digits=last_digits(appointment.applicant_phone),
        what_to_bring=what_to_bring(appointment.applicant_role),
        after_sampling=after_sampling(),
        attendee_lines=[
            (attendee.name or _("Person whose identity is unknown"),
             mask_identity_number(attendee.id_number, current_language()) if attendee.id_number else "")
            for attendee in appointment.attendees
        ],
    )


@bp.get("/confirmation")
def confirmation() -> str | Response:
    """The booking's confirmation (from the session), as the booking is now: while booked, the
    reference, QR code, site, local time, what to bring, what happens after sampling, the
    calendar file and the print view; once cancelled (from any browser, by SMS or at the desk),
    "Appointment cancelled" without the QR code; moved, the new time and site."""
    appointment = _confirmed()
    if appointment is None:
        return redirect(url_for("sampling.start"))
    return render_template("sampling/confirmation.html", **_confirmation_context(appointment))


@bp.get("/confirmation/print")
def confirmation_print() -> str | Response:
    """The confirmation on one plain page for printing, in the booking's current state (no QR
    code once it is no longer booked)."""
    appointment = _confirmed()
    if appointment is None:
        return redirect(url_for("sampling.start"))
    return render_template("sampling/print.html", **_confirmation_context(appointment))


@bp.get("/confirmation/qr.svg")
def confirmation_qr() -> Response:
    """The QR code of the booking reference (SVG), for check-in at the site; 404 once the booking
    is no longer booked (a cancelled booking shows no code to travel with)."""
    appointment = _confirmed()
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return FlaskResponse(status=404)
    return FlaskResponse(reference_qr_svg(appointment.item.reference), mimetype="image/svg+xml")


@bp.get("/confirmation/appointment.ics")
def confirmation_ics() -> Response:
    """The appointment as an iCalendar file, in the site's time zone: one event that a move
    updates (same UID, higher SEQUENCE) and a cancellation marks STATUS:CANCELLED."""
    appointment = _confirmed()
    if appointment is None or appointment.slot is None:
        return FlaskResponse(status=404)
    body = appointment_ics(appointment, current_language())
    response = FlaskResponse(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="sampling-{appointment.item.reference}.ics"'
    return response



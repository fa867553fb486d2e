"""Booking free DNA sampling on the web: choose a site, a day, a time; then the confirmation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.extensions import db, public_post_limit
from portal.i18n import current_language, format_day, format_local_time, join_list, weekday_name
from portal.intake import find_by_reference
from portal.models import ApplicantRole, Channel, ItemKind, SamplingSite, Slot
from portal.sampling import bp
from portal.sampling.booking import (
    AlreadyBooked,
    AttendeeDetails,
    BookingError,
    RepeatedIdentityNumber,
    TooManyBookingsForPhone,
    UnderAge,
    book_appointment,
    own_active_booking,
)
from portal.sampling.forms import BookingForm
from portal.security.browser import browser_key, browser_secret
from portal.security.masking import last_digits
from portal.sampling.messages import CHOOSE_A_SHOWN_TIME, message_for
from portal.sampling.slots import BOOKING_HORIZON_DAYS, available_days, local_day, slots_for_day

SESSION_KEY = "sampling_reference"
BOOKING_BROWSER_PURPOSE = "booking-browser"

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id in a URL would be a database error, not a 404


def _active_site(site_id: int) -> SamplingSite:
    site = db.session.get(SamplingSite, site_id) if site_id <= MAX_ID else None
    if site is None or not site.active:
        abort(404)
    return site


def _bookable_day(site: SamplingSite, text: str) -> date:
    # Only days the journey can offer have a page: local today to BOOKING_HORIZON_DAYS ahead.
    # (Far dates would also overflow the day arithmetic: 9999-12-31 + 1 day.)
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        abort(404)
    today = datetime.now(ZoneInfo(site.timezone)).date()
    if not today <= chosen <= today + timedelta(days=BOOKING_HORIZON_DAYS):
        abort(404)
    return chosen


def opening_hours(site: SamplingSite) -> list[str]:
    """The site's weekly hours as lines to show: "Monday to Friday 09:00–17:00" when the weekdays share them."""
    by_day: dict[int, list[str]] = {}
    for period in site.opening_periods:
        by_day.setdefault(period.weekday, []).append(
            f"{period.opens_at:%H:%M}–{period.closes_at:%H:%M}"
        )
    if not by_day:
        return []
    if set(by_day) == set(range(5)) and len({tuple(p) for p in by_day.values()}) == 1:
        return [_("Monday to Friday %(hours)s", hours=join_list(by_day[0]))]
    return [f"{weekday_name(day)} {join_list(periods)}" for day, periods in sorted(by_day.items())]


def _slot_label(slot: Slot) -> str:
    clock = format_local_time(slot.starts_at, slot.site.timezone)
    left = slot.places_left
    if left == 1:
        return _("%(time)s – 1 place left", time=clock)
    return _("%(time)s – %(count)d places left", time=clock, count=left)


@bp.get("/")
def choose_site() -> str:
    """Step 1 of booking: the active sampling sites with their published phone and hours."""
    sites = db.session.scalars(
        select(SamplingSite)
        .where(SamplingSite.active.is_(True))
        .order_by(SamplingSite.province, SamplingSite.id)
        .options(selectinload(SamplingSite.opening_periods))  # one query for all sites' hours
    ).all()
    return render_template("sampling/choose_site.html", sites=sites, opening_hours=opening_hours)


@bp.get("/site/<int:site_id>")
def choose_day(site_id: int) -> str | Response:
    """Step 2: the site's days that still have places, in its local calendar (404 for an unknown site)."""
    site = _active_site(site_id)
    chosen = request.args.get("day")
    if chosen:
        return redirect(url_for("sampling.book", site_id=site.id, day=chosen))
    return render_template(
        "sampling/choose_day.html", site=site, days=available_days(site),
        opening_hours=opening_hours(site),
    )


@bp.route("/site/<int:site_id>/<day>", methods=["GET", "POST"])
@public_post_limit
def book(site_id: int, day: str) -> str | Response:
    """Step 3: choose a time and give the applicant's details and consent; books on a valid POST.

    A time taken meanwhile, a closed day or an identity number already booked is shown as a
    form error with everything typed kept; the booking and its SMS are committed before the
    redirect to the confirmation."""
    site = _active_site(site_id)
    chosen_day = _bookable_day(site, day)
    form = BookingForm()
    browser_secret()  # set on the GET, so a double click's two posts carry the same one
    slots = slots_for_day(site, chosen_day)
    form.slot.choices = [SelectChoice(str(slot.id), _slot_label(slot)) for slot in slots]

    if form.validate_on_submit():
        slot = db.session.get(Slot, int(form.slot.data))
        # A slot of another site or day was never offered on this page.
        if slot is None or slot.site_id != site.id or local_day(site, slot.starts_at) != chosen_day:
            form.slot.errors = [str(CHOOSE_A_SHOWN_TIME)]
        else:
            role = ApplicantRole(form.role.data)
            try:
                appointment = book_appointment(
                    slot_id=slot.id,
                    applicant_role=role,
                    applicant_name=form.name.data,
                    applicant_phone=form.phone.data,
                    attendees=[AttendeeDetails(form.name.data, role, form.id_number.data, form.phone.data)],
                    consent=True,
                    language=current_language(),
                    channel=Channel.WEB,
                    browser_key=browser_key(BOOKING_BROWSER_PURPOSE),
                )
            except AlreadyBooked as error:
                db.session.rollback()
                own = own_active_booking(form.id_number.data, browser_key(BOOKING_BROWSER_PURPOSE))
                if own is not None:
                    # A second click of "Book", or a resent form: show the booking it duplicates.
                    session[SESSION_KEY] = own.item.reference
                    return redirect(url_for("sampling.confirmation"), code=303)
                form.id_number.errors = [message_for(error)]
            except (UnderAge, RepeatedIdentityNumber) as error:
                db.session.rollback()
                # About the identity number, not the time: the chosen time stays chosen.
                form.id_number.errors = [message_for(error)]
            except TooManyBookingsForPhone as error:
                db.session.rollback()
                form.phone.errors = [message_for(error)]
            except BookingError as error:
                db.session.rollback()
                form.slot.errors = [message_for(error)]
                # Offer what is left now, without the time that was just taken.
                form.slot.choices = [SelectChoice(str(s.id), _slot_label(s)) for s in slots_for_day(site, chosen_day)]
                form.slot.data = None
            else:
                reference = appointment.item.reference
                db.session.commit()
                session[SESSION_KEY] = reference
                return redirect(url_for("sampling.confirmation"), code=303)

    return render_template("sampling/book.html", site=site, day=chosen_day, day_text=format_day(chosen_day), form=form)


@bp.get("/confirmation")
def confirmation() -> str | Response:
    """The booking's confirmation: reference, site, local time, what to bring (from the session)."""
    item = find_by_reference(session.get(SESSION_KEY, ""))
    if item is None or item.kind != ItemKind.APPOINTMENT.value or item.appointment is None:
        return redirect(url_for("sampling.choose_site"))
    appointment = item.appointment
    return render_template(
        "sampling/confirmation.html",
        reference=item.reference,
        appointment=appointment,
        slot=appointment.slot,
        site=appointment.slot.site,
        phone_last_digits=last_digits(appointment.applicant_phone),
        is_family=appointment.applicant_role in (ApplicantRole.PARENT.value, ApplicantRole.RELATIVE.value),
    )

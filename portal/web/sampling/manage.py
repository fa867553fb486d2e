"""/sampling/manage: a family finds their booking with its reference and the mobile number used
to book, and moves or cancels it. Wrong combinations are rate-limited and all get one answer, so
nobody learns whether a reference exists (docs/threat-model.md#reading-someone-elses-tip-or-booking)."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.core.extensions import client_key, db, limiter, public_post_limit
from portal.core.i18n import format_day
from portal.core.models import Appointment, AppointmentStatus, SamplingSite, Slot
from portal.core.query_args import query_id
from portal.web.sampling.blueprint import bp
from portal.sampling.booking import (
    BookingError,
    NotChangeable,
    SlotNotFound,
    cancel_appointment,
    find_for_manage,
    move_appointment,
)
from portal.forms import ConfirmForm, flat_errors
from portal.web.sampling.forms import ManageForm, TimeForm
from portal.sampling.content import opening_hours
from portal.sampling.messages import message_for, party_too_large_message
from portal.sampling.slots import available_days, closed_days, local_day, slots_for_day
from portal.web.sampling.pages import bookable_day, site_list, slot_label

MANAGE_KEY = "sampling_manage"
MANAGE_DONE_KEY = "sampling_manage_done"


def _manage_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_sampling_manage


manage_limit = limiter.shared_limit(_manage_limit, scope="sampling-manage", methods=["POST"], key_func=client_key)


def _managed() -> Appointment | None:
    appointment_id = session.get(MANAGE_KEY)
    return db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None


def booking_found() -> bool:
    """Whether this browser's session still holds the booking found on the manage page: what the
    move and cancel forms need."""
    return _managed() is not None


@bp.route("/manage", methods=["GET", "POST"])
@manage_limit
def manage() -> str | Response:
    """Find a booking by reference and mobile number (both must match)."""
    form = ManageForm()
    not_found = False
    if form.validate_on_submit():
        appointment = find_for_manage(form.reference.data, form.phone.data)
        if appointment is None:
            not_found = True
        else:
            session[MANAGE_KEY] = appointment.id
            return redirect(url_for("sampling.manage_booking"), code=303)
    return render_template("sampling/manage.html", form=form, not_found=not_found, errors=flat_errors(form))


@bp.get("/manage/booking")
def manage_booking() -> str | Response:
    """The booking found: its time and place, and the ways to move or cancel it."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    site = appointment.site
    day_closed = False
    if appointment.slot is not None:
        day = local_day(site, appointment.slot.starts_at)
        day_closed = day in closed_days(site, day, day)
    changeable = appointment.status == AppointmentStatus.BOOKED
    done = session.pop(MANAGE_DONE_KEY, None)
    return render_template("sampling/manage_booking.html", appointment=appointment, site=site,
                           reference=appointment.item.reference, changeable=changeable, day_closed=day_closed,
                           done=done)


def _move_site(appointment: Appointment) -> SamplingSite:
    """The site the move page works on: `?site=ID` (an active site; 404 otherwise), or the
    booking's own site."""
    raw = request.args.get("site")
    if raw is None:
        return appointment.site
    site_id = query_id(raw)
    site = db.session.get(SamplingSite, site_id) if site_id is not None else None
    if site is None or not site.active:
        abort(404)
    return site


def _site_args(site: SamplingSite, appointment: Appointment) -> dict[str, int]:
    """The query argument that keeps another site on the move pages' links and form."""
    return {} if site.id == appointment.slot.site_id else {"site": site.id}  # type: ignore[union-attr]


@bp.get("/manage/move/sites")
def manage_move_sites() -> str | Response:
    """Move the booking to another site: the active sites, filtered by city and district as on the
    booking journey, each too small for the party marked so and without a "Choose" button."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    if appointment.status != AppointmentStatus.BOOKED:
        return redirect(url_for("sampling.manage_booking"))
    listing = site_list(request.args, appointment.party_size)
    return render_template("sampling/manage_sites.html", appointment=appointment, site=appointment.site,
                           sites=listing.sites, filters=listing.filters, too_small=listing.too_small,
                           none_fit=listing.none_fit, opening_hours=opening_hours,
                           reference=appointment.item.reference)


@bp.route("/manage/move", methods=["GET", "POST"])
@public_post_limit
def manage_move() -> str | Response:
    """Move the booking: choose a day, then a time, at the booking's site or (`?site=ID`, chosen
    on the sites page) another one; the old places are freed and the new ones taken in one step,
    under every rule of a booking (portal.sampling.booking.move_appointment)."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    if appointment.status != AppointmentStatus.BOOKED:
        return redirect(url_for("sampling.manage_booking"))
    site = _move_site(appointment)
    site_args = _site_args(site, appointment)
    places = appointment.party_size
    too_small = party_too_large_message(site.places_per_slot) if site.places_per_slot < places else None
    chosen_text = request.args.get("day", "")
    if not chosen_text:
        days = [] if too_small else available_days(site, places=places)
        return render_template("sampling/manage_days.html", appointment=appointment, site=site, days=days,
                               too_small=too_small, site_args=site_args, reference=appointment.item.reference)
    chosen_day: date = bookable_day(site, chosen_text)
    form = TimeForm()

    def offered() -> list[Slot]:
        return [slot for slot in slots_for_day(site, chosen_day, places=places) if slot.id != appointment.slot_id]

    slots = offered()
    form.slot.choices = [SelectChoice(str(slot.id), slot_label(slot)) for slot in slots]
    if form.validate_on_submit():
        try:
            # A time of the site and day this page is about (full meanwhile or not: the move says).
            wanted = db.session.get(Slot, int(form.slot.data))
            if wanted is None or wanted.site_id != site.id or local_day(site, wanted.starts_at) != chosen_day:
                raise SlotNotFound(int(form.slot.data))
            move_appointment(appointment, int(form.slot.data), actor_kind="public")
        except BookingError as error:
            db.session.rollback()
            form.slot.errors = [message_for(error) if not isinstance(error, NotChangeable)
                                else _("This booking can no longer be changed.")]
            form.slot.choices = [SelectChoice(str(slot.id), slot_label(slot)) for slot in offered()]
            form.slot.data = None
        else:
            db.session.commit()
            session[MANAGE_DONE_KEY] = "moved"
            return redirect(url_for("sampling.manage_booking"), code=303)
    return render_template("sampling/manage_time.html", appointment=appointment, site=site, form=form,
                           day=chosen_day, day_text=format_day(chosen_day), errors=flat_errors(form),
                           site_args=site_args, reference=appointment.item.reference)


@bp.route("/manage/cancel", methods=["GET", "POST"])
@public_post_limit
def manage_cancel() -> str | Response:
    """Cancel the booking, after asking once more (a status change with an audit record)."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    form = ConfirmForm()
    problem = None
    if appointment.status != AppointmentStatus.BOOKED:
        return redirect(url_for("sampling.manage_booking"))
    if form.validate_on_submit():
        try:
            cancel_appointment(appointment, actor_kind="public")
        except NotChangeable:
            db.session.rollback()
            problem = _("This booking can no longer be changed.")
        else:
            db.session.commit()
            session[MANAGE_DONE_KEY] = "cancelled"
            return redirect(url_for("sampling.manage_booking"), code=303)
    return render_template("sampling/manage_cancel.html", appointment=appointment, site=appointment.site,
                           form=form, problem=problem, reference=appointment.item.reference, errors=[])

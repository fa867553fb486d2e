"""/sampling/manage: a family finds their booking with its reference and the mobile number used
to book, and moves or cancels it. Wrong combinations are rate-limited and all get one answer, so
nobody learns whether a reference exists (THREATS.md: reading someone else's booking)."""

from __future__ import annotations

from datetime import date

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.extensions import client_key, db, limiter, public_post_limit
from portal.i18n import format_day
from portal.models import Appointment, AppointmentStatus
from portal.sampling import bp
from portal.sampling.booking import (
    BookingError,
    NotChangeable,
    cancel_appointment,
    find_for_manage,
    move_appointment,
)
from portal.sampling.forms import ConfirmForm, ManageForm, TimeForm, flat_errors
from portal.sampling.messages import message_for
from portal.sampling.slots import available_days, closed_days, local_day, nearest_free_slots, slots_for_day
from portal.sampling.views import bookable_day, slot_label

MANAGE_KEY = "sampling_manage"


def _manage_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_sampling_manage


manage_limit = limiter.shared_limit(_manage_limit, scope="sampling-manage", methods=["POST"], key_func=client_key)


def _managed() -> Appointment | None:
    appointment_id = session.get(MANAGE_KEY)
    return db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None


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
    changeable = appointment.status == AppointmentStatus.BOOKED.value
    done = session.pop("sampling_manage_done", None)
    return render_template("sampling/manage_booking.html", appointment=appointment, site=site,
                           reference=appointment.item.reference, changeable=changeable, day_closed=day_closed,
                           done=done)


@bp.route("/manage/move", methods=["GET", "POST"])
@public_post_limit
def manage_move() -> str | Response:
    """Move the booking: choose a day, then a time; the old places are freed and the new ones
    taken in one step."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    if appointment.status != AppointmentStatus.BOOKED.value:
        return redirect(url_for("sampling.manage_booking"))
    site = appointment.site
    places = appointment.party_size
    chosen_text = request.args.get("day", "")
    if not chosen_text:
        days = [day for day in available_days(site, places=places)]
        suggestions = nearest_free_slots(site, appointment.slot.starts_at, places, exclude=appointment.slot_id)  # type: ignore[union-attr]
        return render_template("sampling/manage_days.html", appointment=appointment, site=site, days=days,
                               suggestions=suggestions, reference=appointment.item.reference)
    chosen_day: date = bookable_day(site, chosen_text)
    form = TimeForm()
    slots = [slot for slot in slots_for_day(site, chosen_day, places=places) if slot.id != appointment.slot_id]
    form.slot.choices = [SelectChoice(str(slot.id), slot_label(slot)) for slot in slots]
    if form.validate_on_submit():
        try:
            move_appointment(appointment, int(form.slot.data), actor_kind="public")
        except BookingError as error:
            db.session.rollback()
            form.slot.errors = [message_for(error) if not isinstance(error, NotChangeable)
                                else _("This booking can no longer be changed.")]
            slots = [s for s in slots_for_day(site, chosen_day, places=places) if s.id != appointment.slot_id]
            form.slot.choices = [SelectChoice(str(slot.id), slot_label(slot)) for slot in slots]
            form.slot.data = None
        else:
            db.session.commit()
            session["sampling_manage_done"] = "moved"
            return redirect(url_for("sampling.manage_booking"), code=303)
    return render_template("sampling/manage_time.html", appointment=appointment, site=site, form=form,
                           day=chosen_day, day_text=format_day(chosen_day), errors=flat_errors(form),
                           reference=appointment.item.reference)


@bp.route("/manage/cancel", methods=["GET", "POST"])
@public_post_limit
def manage_cancel() -> str | Response:
    """Cancel the booking, after asking once more (a status change with an audit record)."""
    appointment = _managed()
    if appointment is None:
        return redirect(url_for("sampling.manage"))
    form = ConfirmForm()
    problem = None
    if appointment.status != AppointmentStatus.BOOKED.value:
        return redirect(url_for("sampling.manage_booking"))
    if form.validate_on_submit():
        try:
            cancel_appointment(appointment, actor_kind="public")
        except NotChangeable:
            db.session.rollback()
            problem = _("This booking can no longer be changed.")
        else:
            db.session.commit()
            session["sampling_manage_done"] = "cancelled"
            return redirect(url_for("sampling.manage_booking"), code=303)
    return render_template("sampling/manage_cancel.html", appointment=appointment, site=appointment.site,
                           form=form, problem=problem, reference=appointment.item.reference, errors=[])

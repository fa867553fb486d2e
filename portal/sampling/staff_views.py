"""Staff sampling pages, on the staff blueprint (so its deny-by-default guard covers them; each
view declares its permission): site administration (admin), and the sampling desk for site
staff (day list, check-in, samples, walk-ins, no-shows, booking for a family).

Site staff see only their own sites: another site's pages answer 404, like a site that does
not exist. Every page that shows personal data records an audit event.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal import audit
from portal.extensions import db
from portal.forms.fields import display_mobile
from portal.i18n import current_language, format_day, format_local_datetime
from portal.models import ApplicantRole, Appointment, AppointmentStatus, Channel, SamplingSite, Slot, utcnow
from portal.permissions import Permission, Role, requires
from portal.query_args import query_date
from portal.sampling import desk
from portal.sampling.booking import (
    AttendeeDetails,
    BookingError,
    NotChangeable,
    book_appointment,
    cancel_appointment,
    move_appointment,
)
from portal.sampling.content import status_label
from portal.sampling.forms import AttendeesForm, ConfirmForm, flat_errors
from portal.sampling.importer import SiteFileError, import_sites, parse_weekday_hours
from portal.sampling.messages import message_for
from portal.sampling.site_admin import (
    add_closure,
    export_sites_csv,
    periods_text,
    remove_closure,
    set_opening_periods,
)
from portal.sampling.slots import nearest_free_slots, open_slots, reopen_future_slots
from portal.sampling.staff_forms import (
    WEEKDAY_FIELDS,
    CheckInForm,
    ClosureForm,
    ImportForm,
    RemoveClosureForm,
    SiteForm,
    StaffSlotForm,
)
from portal.security.masking import mask_identity_number
from portal.staff import bp

MAX_ID = 2**31 - 1


# ---- scope -------------------------------------------------------------------------------

def _my_site_ids() -> list[int] | None:
    """The sites the signed-in user works at; None means every site (admin)."""
    if current_user.role == Role.ADMIN.value:
        return None
    return [site.id for site in current_user.sites]


def _my_site(site_id: str | int) -> SamplingSite:
    # Ids come from the URL as text (the route walk in tests/test_permissions.py fills every
    # argument with a reference): anything but a plain number is simply not found.
    text = str(site_id)
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        abort(400)
    number = int(text)
    site = db.session.get(SamplingSite, number) if 0 < number <= MAX_ID else None
    allowed = _my_site_ids()
    if site is None or (allowed is not None and site.id not in allowed):
        abort(404)
    return site


def _my_appointment(reference: str) -> Appointment:
    allowed = _my_site_ids()
    site_ids = allowed if allowed is not None else list(db.session.scalars(select(SamplingSite.id)))
    appointment = desk.find_at_site(reference, site_ids)
    if appointment is None:
        from portal.staff.queue import find_visible_item

        other = find_visible_item(current_user, reference)
        if other is not None and other.kind != "appointment":
            # Not a sampling appointment (a tip, an SMS): its own page, if this user may see it.
            abort(redirect(url_for("staff.item", reference=other.reference)))
        abort(404)
    return appointment


def _local_today(site: SamplingSite) -> date:
    return utcnow().astimezone(ZoneInfo(site.timezone)).date()


# ---- site administration (admin) ---------------------------------------------------------

@bp.get("/sampling/sites")
@requires(Permission.MANAGE_SITES)
def sampling_sites() -> str:
    """Every sampling site, with links to edit it, its closures and its day list."""
    sites = db.session.scalars(select(SamplingSite).order_by(SamplingSite.province, SamplingSite.city,
                                                             SamplingSite.id)).all()
    return render_template("staff/sampling/sites.html", sites=sites)


def _site_form_data(site: SamplingSite) -> dict[str, Any]:
    data = {name: getattr(site, name) for name in (
        "name", "province", "city", "district", "address", "phone", "accessibility_notes", "timezone",
        "slot_minutes", "places_per_slot", "booking_horizon_days", "minimum_notice_minutes", "active")}
    for weekday, name in enumerate(WEEKDAY_FIELDS):
        data[name] = periods_text(site, weekday)
    return data


@bp.route("/sampling/sites/new", methods=["GET", "POST"])
@bp.route("/sampling/sites/<site_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_site_edit(site_id: str | None = None) -> str | Response:
    """Create or edit a site: details, opening periods per weekday (several a day), slot length,
    places, booking horizon and minimum notice. Future slots nobody booked are opened again
    under the new settings."""
    site = _my_site(site_id) if site_id is not None else None
    form = SiteForm(data=_site_form_data(site) if site is not None and request.method == "GET" else None)
    if form.validate_on_submit():
        if site is None:
            site = SamplingSite()
            db.session.add(site)
        for name in ("name", "province", "city", "timezone", "slot_minutes", "places_per_slot",
                     "booking_horizon_days", "minimum_notice_minutes", "active"):
            setattr(site, name, getattr(form, name).data)
        for name in ("district", "address", "phone", "accessibility_notes"):
            setattr(site, name, getattr(form, name).data or None)
        set_opening_periods(site, {
            weekday: parse_weekday_hours(getattr(form, name).data)
            for weekday, name in enumerate(WEEKDAY_FIELDS) if getattr(form, name).data
        })
        db.session.flush()
        reopen_future_slots(site)
        audit.record("site_saved", actor_id=current_user.id)
        db.session.commit()
        flash(_("Site saved. Its free times are opened again up to its booking horizon."))
        return redirect(url_for("staff.sampling_sites"), code=303)
    return render_template("staff/sampling/site_form.html", form=form, site=site, errors=flat_errors(form))


@bp.route("/sampling/sites/<site_id>/closures", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_closures(site_id: str) -> str | Response:
    """A site's closures, and adding one (a day or a range); families booked on those days are
    told by SMS and offered other times through the manage page."""
    site = _my_site(site_id)
    form = ClosureForm()
    if form.validate_on_submit():
        result = add_closure(site, form.starts_on.data, form.ends_on.data or form.starts_on.data, form.reason.data,
                             actor_id=current_user.id)
        db.session.commit()
        flash(_("Closure added. %(count)d families with bookings on those days are being told by text message.",
                count=result.families_told))
        return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)
    from portal.models import SiteClosure

    closures = db.session.scalars(select(SiteClosure).where(SiteClosure.site_id == site.id)
                                  .order_by(SiteClosure.starts_on.desc())).all()
    return render_template("staff/sampling/closures.html", site=site, form=form, closures=closures,
                           remove_form=RemoveClosureForm(),
                           errors=flat_errors(form))


@bp.post("/sampling/sites/<site_id>/closures/<closure_id>/remove")
@requires(Permission.MANAGE_SITES)
def sampling_closure_remove(site_id: str, closure_id: str) -> Response:
    """Remove a closure of the site (admin only, CSRF-checked, audited); the days it covered are
    opened for booking again."""
    from portal.models import SiteClosure

    site = _my_site(site_id)
    text = str(closure_id)
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    closure = db.session.get(SiteClosure, number) if 0 < number <= MAX_ID else None
    if closure is None or closure.site_id != site.id:
        abort(404)
    form = RemoveClosureForm()
    if not form.validate_on_submit():
        abort(400)
    remove_closure(site, closure, actor_id=current_user.id)
    db.session.commit()
    flash(_("Closure removed. Families can book those days again."))
    return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)


@bp.route("/sampling/sites/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_import() -> str | Response:
    """Import a published list of sites (CSV); bad rows are listed with their line numbers."""
    form = ImportForm()
    result = None
    problem = None
    if form.validate_on_submit():
        text = form.file.data.read().decode("utf-8-sig", errors="replace")
        try:
            result = import_sites(io.StringIO(text))
        except SiteFileError as exc:
            problem = str(exc)
            db.session.rollback()
        else:
            today = utcnow().date()
            for site in result.created:
                open_slots(site, today, 28)
            audit.record("sites_imported", actor_id=current_user.id)
            db.session.commit()
    return render_template("staff/sampling/import.html", form=form, result=result, problem=problem,
                           errors=flat_errors(form))


@bp.get("/sampling/sites/export.csv")
@requires(Permission.MANAGE_SITES)
def sampling_export() -> Response:
    """Every site as CSV, in the import's columns plus the details staff completed."""
    sites = db.session.scalars(select(SamplingSite).order_by(SamplingSite.id)).all()
    audit.record("sites_exported", actor_id=current_user.id)
    db.session.commit()
    response = FlaskResponse("\ufeff" + export_sites_csv(sites), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="sampling-sites.csv"'
    return response


# ---- the sampling desk (site staff) ------------------------------------------------------

@bp.route("/sampling/desk", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_desk() -> str | Response:
    """The site staff's start: their sites, and check-in by reference or QR code scan (a
    scanner types the code into the box)."""
    allowed = _my_site_ids()
    query = select(SamplingSite).order_by(SamplingSite.id)
    if allowed is not None:
        query = query.where(SamplingSite.id.in_(allowed))
    sites = db.session.scalars(query).all()
    form = CheckInForm()
    not_found = False
    if form.validate_on_submit():
        site_ids = [site.id for site in sites]
        appointment = desk.find_at_site(form.reference.data, site_ids)
        if appointment is None:
            not_found = True
        else:
            return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    return render_template("staff/sampling/desk.html", sites=sites, form=form, not_found=not_found,
                           errors=flat_errors(form))


@bp.get("/sampling/sites/<site_id>/day")
@requires(Permission.SAMPLING_DESK)
def sampling_day(site_id: str) -> str:
    """Who is expected at the site on a day (default: local today), with party size and status."""
    site = _my_site(site_id)
    day = query_date(request.args.get("day")) if request.args.get("day") else _local_today(site)
    if day is None:
        abort(404)
    rows = desk.day_list(site, day)
    for row in rows:
        audit.record("view_day_list", actor_id=current_user.id, item_id=row.appointment.item_id,
                     fields=["applicant_name"])
    db.session.commit()
    return render_template("staff/sampling/day.html", site=site, day=day, day_text=format_day(day), rows=rows,
                           status_label=status_label, can_mark_no_shows=day < _local_today(site),
                           form=ConfirmForm(), previous_day=(day - timedelta(days=1)).isoformat(),
                           next_day=(day + timedelta(days=1)).isoformat())


@bp.post("/sampling/sites/<site_id>/no-shows")
@requires(Permission.SAMPLING_DESK)
def sampling_no_shows(site_id: str) -> Response:
    """Mark the site's bookings of past days that were not checked in as no-show."""
    site = _my_site(site_id)
    if ConfirmForm().validate_on_submit():
        count = desk.mark_no_shows(site=site, actor_id=current_user.id)
        db.session.commit()
        flash(_("%(count)d bookings marked as did not come.", count=count))
    return redirect(url_for("staff.sampling_day", site_id=site.id, day=request.args.get("day", "")), code=303)


def _attendee_rows(appointment: Appointment) -> list[dict[str, Any]]:
    rows = []
    for attendee in appointment.attendees:
        rows.append({
            "id": attendee.id,
            "name": attendee.name or _("Person whose identity is unknown"),
            "document": mask_identity_number(attendee.id_number) if attendee.id_number else "–",
            "tube": attendee.sample_tube_number or "",
            "taken": attendee.sample_taken_at,
        })
    return rows


def _render_appointment(appointment: Appointment, *, move_form: StaffSlotForm | None = None,
                        problem: str | None = None) -> str:
    site = appointment.site
    audit.record("view_appointment", actor_id=current_user.id, item_id=appointment.item_id,
                 fields=["applicant_name", "applicant_phone", "attendee_name", "attendee_id_number_masked"])
    db.session.commit()
    if move_form is None:
        move_form = StaffSlotForm(formdata=None)
    if appointment.status == AppointmentStatus.BOOKED.value:
        move_form.slot.choices = [
            SelectChoice(str(slot.id), _("%(text)s (%(note)s)", text=format_local_datetime(slot.starts_at, site.timezone), note=slot.places_left))
            for slot in nearest_free_slots(site, appointment.slot.starts_at, appointment.party_size, limit=20,
                                           exclude=appointment.slot_id)
        ]
    is_today = appointment.slot.starts_at.astimezone(ZoneInfo(site.timezone)).date() == _local_today(site)
    return render_template(
        "staff/sampling/appointment.html", appointment=appointment, site=site, reference=appointment.item.reference,
        attendees=_attendee_rows(appointment), status_label=status_label, move_form=move_form,
        applicant_phone=display_mobile(appointment.applicant_phone), is_today=is_today, problem=problem,
        form=ConfirmForm(formdata=None), errors=flat_errors(move_form) if move_form.errors else [],
        day_iso=appointment.slot.starts_at.astimezone(ZoneInfo(site.timezone)).date().isoformat(),
    )


@bp.get("/sampling/appointments/<reference>")
@requires(Permission.SAMPLING_DESK)
def sampling_appointment(reference: str) -> str:
    """One appointment at the desk: check in, record samples, move or cancel (audited view)."""
    return _render_appointment(_my_appointment(reference))


@bp.post("/sampling/appointments/<reference>/check-in")
@requires(Permission.SAMPLING_DESK)
def sampling_check_in(reference: str) -> str | Response:
    """Check the family in (only on the appointment's local day, at its site)."""
    appointment = _my_appointment(reference)
    if not ConfirmForm().validate_on_submit():
        return _render_appointment(appointment)
    try:
        desk.check_in(appointment, appointment.site, actor_id=current_user.id)
    except desk.NotHere:
        db.session.rollback()
        return _render_appointment(appointment, problem=_("This booking is for another day. Check the reference."))
    except NotChangeable:
        db.session.rollback()
        return _render_appointment(appointment, problem=_("This booking is not waiting for check-in."))
    db.session.commit()
    flash(_("Checked in. Record each sample with its tube number."))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


@bp.post("/sampling/appointments/<reference>/samples")
@requires(Permission.SAMPLING_DESK)
def sampling_samples(reference: str) -> str | Response:
    """Record the sample tube number of each attendee."""
    appointment = _my_appointment(reference)
    if not ConfirmForm().validate_on_submit():
        return _render_appointment(appointment)
    tubes = {attendee.id: request.form.get(f"tube-{attendee.id}", "")[:40] for attendee in appointment.attendees}
    try:
        count = desk.record_samples(appointment, tubes, actor_id=current_user.id)
    except NotChangeable:
        db.session.rollback()
        return _render_appointment(appointment, problem=_("Check the family in before recording samples."))
    db.session.commit()
    flash(_("%(count)d samples recorded.", count=count))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


@bp.post("/sampling/appointments/<reference>/move")
@requires(Permission.SAMPLING_DESK)
def sampling_move(reference: str) -> str | Response:
    """Move the booking for the family (the same rules as the public manage page)."""
    appointment = _my_appointment(reference)
    form = StaffSlotForm()
    if form.validate_on_submit():
        try:
            move_appointment(appointment, int(form.slot.data), actor_id=current_user.id, actor_kind="staff")
        except BookingError as error:
            db.session.rollback()
            return _render_appointment(appointment, problem=message_for(error) if not isinstance(error, NotChangeable)
                                       else _("This booking can no longer be changed."))
        db.session.commit()
        flash(_("Booking moved. The family is told by text message."))
        return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)
    return _render_appointment(appointment, move_form=form)


@bp.post("/sampling/appointments/<reference>/cancel")
@requires(Permission.SAMPLING_DESK)
def sampling_cancel(reference: str) -> str | Response:
    """Cancel the booking for the family."""
    appointment = _my_appointment(reference)
    if ConfirmForm().validate_on_submit():
        try:
            cancel_appointment(appointment, actor_id=current_user.id, actor_kind="staff")
        except NotChangeable:
            db.session.rollback()
            return _render_appointment(appointment, problem=_("This booking can no longer be changed."))
        db.session.commit()
        flash(_("Booking cancelled. The family is told by text message."))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


def _people_from(form: AttendeesForm) -> list[AttendeeDetails]:
    return [AttendeeDetails(e.form.name.data, e.form.relationship.data, e.form.document_number.data,
                            e.form.phone.data or None, document_type=e.form.document_type.data)
            for e in form.attendees.entries]


def _party_size_arg() -> int:
    try:
        return min(max(int(request.args.get("people", "1")), 1), 4)
    except ValueError:
        return 1


def _attendees_form(size: int) -> AttendeesForm:
    """The attendees form for a party of `size` (from ?people=), with one entry per person also
    when a POST left some out."""
    form = AttendeesForm(data={"attendees": [{"relationship": "parent", "document_type": "resident_id"}] * size})
    if request.method == "POST":
        while len(form.attendees.entries) < size:
            form.attendees.append_entry()
    return form


@bp.route("/sampling/sites/<site_id>/walk-in", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_walk_in(site_id: str) -> str | Response:
    """Register people who came without a booking; they are checked in at once."""
    site = _my_site(site_id)
    size = _party_size_arg()
    form = _attendees_form(size)
    if form.validate_on_submit():
        people = _people_from(form)
        appointment = desk.register_walk_in(site, people, applicant_phone=people[0].phone,
                                            language=current_language(), actor_id=current_user.id)
        db.session.commit()
        return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    return render_template("staff/sampling/walk_in.html", site=site, form=form, size=size, errors=flat_errors(form))


@bp.route("/sampling/sites/<site_id>/book", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_book(site_id: str) -> str | Response:
    """Book for a family (by phone or at the desk), under the same rules as the web."""
    site = _my_site(site_id)
    size = _party_size_arg()
    form = _attendees_form(size)
    slot_form = StaffSlotForm()
    slot_form.slot.choices = [
        SelectChoice(str(slot.id), _("%(text)s (%(note)s)", text=format_local_datetime(slot.starts_at, site.timezone), note=slot.places_left))
        for slot in nearest_free_slots(site, utcnow(), size, limit=40)
    ]
    problem = None
    consent = request.form.get("consent") == "y"
    if request.method == "POST" and not consent:
        problem = _("Ask the family for their consent, then tick the box.")
    chosen = None
    if slot_form.validate_on_submit():
        chosen = db.session.get(Slot, int(slot_form.slot.data))
        if chosen is None or chosen.site_id != site.id:
            # Only this site's times are offered; a forged slot id (another site's) is refused.
            chosen, problem = None, _("Choose one of the times shown")
    if chosen is not None and form.validate() and consent:
        people = _people_from(form)
        try:
            appointment = book_appointment(
                slot_id=int(slot_form.slot.data), applicant_role=ApplicantRole(people[0].relationship),
                applicant_name=people[0].name or "", applicant_phone=people[0].phone or "", attendees=people,
                consent=True, guardian_consent=request.form.get("guardian_consent") == "y",
                language=current_language(), channel=Channel.STAFF,
            )
        except BookingError as error:
            db.session.rollback()
            problem = message_for(error)
        else:
            audit.record("booked_for_family", actor_id=current_user.id, item_id=appointment.item_id)
            db.session.commit()
            return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    return render_template("staff/sampling/book.html", site=site, form=form, slot_form=slot_form, size=size,
                           problem=problem, errors=flat_errors(form) + flat_errors(slot_form))



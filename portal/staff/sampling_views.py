"""Staff sampling pages, on the staff blueprint (so its deny-by-default guard covers them; each
view declares its permission): site administration (admin), and the sampling desk for site
staff (day list, check-in, samples, walk-ins, no-shows, booking for a family).

Site staff see only their own sites: another site's pages answer 404, like a site that does
not exist. Every page that shows personal data records an audit event.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.core import audit, regions
from portal.core.extensions import db
from portal.core.i18n import current_language, format_day, format_local_datetime
from portal.core.identity import display_mobile
from portal.core.models import (
    ApplicantRole,
    Appointment,
    AppointmentStatus,
    Channel,
    IntakeItem,
    SamplingSite,
    SiteClosure,
    Slot,
    utcnow,
)
from portal.core.permissions import Permission, Role, requires
from portal.core.query_args import query_date
from portal.sampling import desk, notices, samples, visits
from portal.sampling.case_details import case_rows
from portal.sampling.booking import (
    AttendeeDetails,
    BookingError,
    NotChangeable,
    UnderAge,
    book_appointment,
    cancel_appointment,
    move_appointment,
)
from portal.sampling.content import status_label
from portal.forms import ConfirmForm, flat_errors
from portal.forms.sampling import AttendeesForm
from portal.sampling.importer import SiteFileError, import_sites, parse_weekday_hours
from portal.sampling.messages import message_for, tube_problem_message
from portal.sampling.site_phones import (
    MAX_PHONES,
    PhoneNotRecognised,
    ReadPhone,
    phones_text,
    read_phone,
    set_site_phones,
)
from portal.sampling.site_admin import (
    export_sites_csv,
    periods_text,
    remove_closure,
    set_opening_periods,
)
from portal.sampling.slots import (
    available_days,
    closed_days,
    horizon,
    local_day,
    nearest_open_days,
    reopen_future_slots,
    slots_for_day,
)
from portal.staff.sampling_forms import (
    WEEKDAY_FIELDS,
    CheckInForm,
    FamilyConsentForm,
    ImportForm,
    RemoveClosureForm,
    SiteForm,
    SmsLanguageForm,
    StaffSlotForm,
    TubeCorrectionForm,
    WalkInCaseForm,
    close_visit_form,
    samples_form,
)
from portal.core.security.masking import mask_identity_number
from portal.staff.blueprint import bp
from portal.staff.labels import LABELS, label
from portal.staff.holiday_views import holiday_warning
from portal.staff.closure_views import booking_day_closure, day_list_closure, waiting_proposals
from portal.staff.queue import find_visible_item, visible_items_filter
from portal.core.tube_numbers import LabelFormat, parse_label_format


# ---- scope -------------------------------------------------------------------------------

def _my_site_ids() -> list[int] | None:
    """The sites the signed-in user works at; None means every site (admin)."""
    if current_user.role == Role.ADMIN:
        return None
    return [site.id for site in current_user.sites]


def _my_site(site_id: int) -> SamplingSite:
    # `site_id` comes from an `<int:…>` URL part (portal.core.query_args.IdConverter): a URL with
    # anything but an id there is not found before this view runs.
    site = db.session.get(SamplingSite, site_id)
    allowed = _my_site_ids()
    if site is None or (allowed is not None and site.id not in allowed):
        abort(404)
    return site


def readable_site(site_id: int) -> SamplingSite:
    """The site `site_id` when the signed-in user may read its pages: every site for admins and
    supervisors (who read everything), their own for site staff; 404 otherwise, as for a site
    that does not exist."""
    if current_user.role == Role.SUPERVISOR:
        site = db.session.get(SamplingSite, site_id)
        if site is None:
            abort(404)
        return site
    return _my_site(site_id)


def readable_sites() -> list[SamplingSite]:
    """The sites whose pages the signed-in user may read (see `readable_site`), by province, city
    and name."""
    query = select(SamplingSite).order_by(SamplingSite.province, SamplingSite.city, SamplingSite.name)
    allowed = None if current_user.role == Role.SUPERVISOR else _my_site_ids()
    if allowed is not None:
        query = query.where(SamplingSite.id.in_(allowed))
    return list(db.session.scalars(query))


def _my_appointment(reference: str) -> Appointment:
    allowed = _my_site_ids()
    site_ids = allowed if allowed is not None else list(db.session.scalars(select(SamplingSite.id)))
    appointment = desk.find_at_site(reference, site_ids)
    if appointment is None:
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
    return render_template("staff/sampling/sites.html", sites=sites, holiday_warning=holiday_warning(list(sites)),
                           proposals=waiting_proposals())


def _site_form_data(site: SamplingSite) -> dict[str, Any]:
    data = {name: getattr(site, name) for name in (
        "name", "province", "city", "district", "address", "contact_person", "accessibility_notes", "timezone",
        "slot_minutes", "places_per_slot", "booking_horizon_days", "minimum_notice_minutes", "active",
        "tube_label_format")}
    data["tube_check_algorithm"] = site.tube_check_algorithm or ""
    data["phones"] = phones_text(site)
    for weekday, name in enumerate(WEEKDAY_FIELDS):
        data[name] = periods_text(site, weekday)
    return data


@bp.route("/sampling/sites/new", methods=["GET", "POST"])
@bp.route("/sampling/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_site_edit(site_id: int | None = None) -> str | Response:
    """Create or edit a site: details, opening periods per weekday (several a day), slot length,
    places, booking horizon and minimum notice. Future slots nobody booked are opened again
    under the new settings."""
    site = _my_site(site_id) if site_id is not None else None
    form = SiteForm(data=_site_form_data(site) if site is not None and request.method == "GET" else None)
    valid = form.validate_on_submit()
    typed_phones = _typed_phones(form) if valid else None
    valid = valid and typed_phones is not None
    typed_format = _typed_label_format(form)
    if valid and typed_format is not None:
        other = samples.site_with_same_labels(typed_format, other_than=site.id if site is not None else None)
        if other is not None:
            form.tube_label_format.errors = [_(
                "%(site)s already uses this label format. Labels must differ between sites: start this site's "
                "format with letters of its own, a site prefix.", site=other.name)]
            valid = False
    if valid:
        if site is None:
            site = SamplingSite()
            db.session.add(site)
        for name in ("name", "province", "city", "timezone", "slot_minutes", "places_per_slot",
                     "booking_horizon_days", "minimum_notice_minutes", "active"):
            setattr(site, name, getattr(form, name).data)
        for name in ("district", "address", "contact_person", "accessibility_notes"):
            setattr(site, name, getattr(form, name).data or None)
        set_site_phones(site, typed_phones or [])
        site.tube_label_format = typed_format.template if typed_format else None
        site.tube_check_algorithm = typed_format.check.code if typed_format and typed_format.check else None
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
    # The example of the format as typed when it can be read, else of the one saved.
    shown_format = typed_format if request.method == "POST" else None
    if shown_format is None and site is not None:
        shown_format = samples.site_label_format(site)
    today = _local_today(site) if site is not None else utcnow().date()
    return render_template("staff/sampling/site_form.html", form=form, site=site, errors=flat_errors(form),
                           label_example=shown_format.example(today) if shown_format else None,
                           holiday_warning=holiday_warning([site]) if site is not None else None)


def _typed_phones(form: SiteForm) -> list[ReadPhone] | None:
    """The phones typed in the site form, one a line, read with the city typed (an office number
    without its area code gets the city's); None when a line cannot be read (the form says which)."""
    lines = [line.strip() for line in (form.phones.data or "").splitlines() if line.strip()]
    if len(lines) > MAX_PHONES:
        form.phones.errors = [_("Enter at most %(count)d phones, one a line", count=MAX_PHONES)]
        return None
    phones: list[ReadPhone] = []
    for number, line in enumerate(lines, start=1):
        try:
            phones.append(read_phone(line, form.province.data, form.city.data, form.district.data or None))
        except PhoneNotRecognised:
            form.phones.errors = [_(
                "Line %(line)d, “%(text)s”: enter each phone on its own line with its area code, like "
                "0513-8330 9663, or a mobile number, like 138 0013 8000", line=number, text=line)]
            return None
    return phones


def _typed_label_format(form: SiteForm) -> LabelFormat | None:
    """The label format typed in the site form, read; None when empty or it cannot be read (the
    form says why)."""
    try:
        return parse_label_format(form.tube_label_format.data, form.tube_check_algorithm.data or None)
    except ValueError:
        return None


@bp.post("/sampling/sites/<int:site_id>/closures/<int:closure_id>/remove")
@requires(Permission.MANAGE_SITES)
def sampling_closure_remove(site_id: int, closure_id: int) -> Response:
    """Remove a closure of the site (admin only, CSRF-checked, audited); the days it covered are
    opened for booking again."""
    site = _my_site(site_id)
    closure = db.session.get(SiteClosure, closure_id)
    if closure is None or closure.site_id != site.id:
        abort(404)
    form = RemoveClosureForm()
    if not form.validate_on_submit():
        abort(400)
    remove_closure(site, closure, actor_id=current_user.id)
    db.session.commit()
    flash(_("Closure removed. Families can book those days again."))
    return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)


def _deployment_place(code: str) -> dict[str, str]:
    """The province and city names of the deployment's division (DEPLOYMENT_REGION, a six-digit
    code: 320600 → 江苏省, 南通市; a municipality is its own city: 110105 → 北京市, 北京市), as the
    import form's defaults; empty when it is not set."""
    names: dict[str, str] = {}
    current = regions.division(code)
    while current is not None:
        if current.level in (1, 2):
            names["province" if current.level == 1 else "city"] = current.name
        current = regions.division(current.parent)
    if "city" not in names and names.get("province", "").endswith("市"):
        names["city"] = names["province"]
    return names


@bp.route("/sampling/sites/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_import() -> str | Response:
    """Import a published list of sites (.xlsx, or .csv in UTF-8 or GBK, English or Chinese
    headers); every row is reported: loaded (with what was guessed), already known, or refused.
    At most SITE_IMPORT_MAX_ROWS sites an upload; the worker opens the new sites' slots."""
    settings = current_app.config["SETTINGS"]
    form = ImportForm(data=None if request.method == "POST" else _deployment_place(settings.deployment_region))
    result = None
    problem = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = import_sites(upload.read(), filename=upload.filename or "", timezone=settings.site_timezone,
                                  max_rows=settings.site_import_max_rows, province=form.province.data or "",
                                  city=form.city.data or "")
        except SiteFileError as exc:
            problem = exc.message
            db.session.rollback()
        else:
            # The new sites' slots are opened by the worker within minutes
            # (sampling.jobs.open_slots_for_new_sites): opening them here took 15 s for 400 sites.
            audit.record("sites_imported", actor_id=current_user.id)
            db.session.commit()
    return render_template("staff/sampling/import.html", form=form, result=result, problem=problem,
                           errors=flat_errors(form), max_rows=settings.site_import_max_rows)


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
    not_found = None
    if form.validate_on_submit():
        site_ids = [site.id for site in sites]
        appointment = desk.find_at_site(form.reference.data, site_ids)
        if appointment is None:
            not_found = _not_found_message(form.reference.data)
        else:
            return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    # The box comes back empty (and focused): the next scan must stand alone, never be added to
    # what was refused. The message quotes what was scanned.
    form.reference.data, form.reference.raw_data = "", []
    return render_template("staff/sampling/desk.html", sites=sites, form=form, not_found=not_found,
                           errors=flat_errors(form))


# What the desk's refusal quotes of a scan holding no reference: its first characters.
_QUOTED_SCAN_LENGTH = 60


def _not_found_message(scanned: str) -> str:
    """The desk's refusal of a scan or typed text that finds no booking at the user's sites,
    quoting it: the reference read from it, or else the text itself (shortened)."""
    reference = desk.reference_in_scan(scanned)
    if reference is not None:
        return _("No booking %(reference)s at your sites. Check the reference, then scan or type it again.",
                 reference=reference)
    text = " ".join(scanned.split())
    if len(text) > _QUOTED_SCAN_LENGTH:
        text = text[:_QUOTED_SCAN_LENGTH] + "…"
    return _("“%(text)s” holds no booking reference. Scan the QR code again or type the reference, like "
             "TY-7K3M-9Q2P.", text=text)


@bp.get("/sampling/sites/<int:site_id>/day")
@requires(Permission.SAMPLING_DESK)
def sampling_day(site_id: int) -> str:
    """Who is expected at the site on a day (default: local today), with party size and status,
    the bookings arrived out of those expected, and on each row its actions: check in (today)
    and "did not come" (once its time has come).

    The applicants' names are personal data: a day list shown is one audited view
    ("view_day_list") naming the ids of the bookings' items listed, never one event per booking."""
    site = _my_site(site_id)
    today = _local_today(site)
    typed = (request.args.get("day") or "").strip()
    day = query_date(typed) if typed else today
    day_problem = None
    if day is None and _is_iso_day(typed):
        abort(404)  # a real date out of the range any list can hold (query_args.FIRST_DAY … LAST_DAY)
    if day is None:
        # A date typed in "Go to day" that cannot be read: today's list, the box as typed, and why.
        day, day_problem = today, _("Enter a real day as year-month-day, like %(example)s", example=today.isoformat())
    rows = desk.day_list(site, day)
    html = render_template("staff/sampling/day.html", site=site, day=day, day_text=format_day(day), rows=rows,
                           status_label=status_label, can_mark_no_shows=day < today,
                           can_check_in=desk.can_check_in, can_mark_no_show=desk.can_mark_no_show,
                           is_today=day == today, typed_day=typed if day_problem else day.isoformat(),
                           day_problem=day_problem,
                           arrivals=desk.arrivals(rows),
                           form=ConfirmForm(), previous_day=(day - timedelta(days=1)).isoformat(),
                           next_day=(day + timedelta(days=1)).isoformat(),
                           **day_list_closure(site, day, [row.appointment for row in rows]))
    if rows:
        # One event for the list shown, naming its bookings' item ids (not personal values), which
        # the audit log's filter by item finds (portal.core.audit.record); recorded after rendering,
        # as the queue does, since committing expires the rows the page reads.
        audit.record("view_day_list", actor_id=current_user.id, fields=["applicant_name"],
                     numbers={"items": [row.appointment.item_id for row in rows], "site_id": site.id})
        db.session.commit()
    return html


def _is_iso_day(text: str) -> bool:
    """Whether `text` is a real calendar date written YYYY-MM-DD (in range or not)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return text.isascii() and len(text) == 10


@bp.post("/sampling/sites/<int:site_id>/no-shows")
@requires(Permission.SAMPLING_DESK)
def sampling_no_shows(site_id: int) -> Response:
    """Mark the site's bookings of past days that were not checked in as no-show."""
    site = _my_site(site_id)
    if ConfirmForm().validate_on_submit():
        count = desk.mark_no_shows(site=site, actor_id=current_user.id)
        db.session.commit()
        flash(_("%(count)d bookings marked as did not come.", count=count))
    return redirect(url_for("staff.sampling_day", site_id=site.id, day=request.args.get("day", "")), code=303)


def _attendee_rows(appointment: Appointment) -> list[dict[str, Any]]:
    rows = []
    for position, attendee in enumerate(appointment.attendees, start=1):
        name = attendee.name or _("Person whose identity is unknown")
        document = mask_identity_number(attendee.id_number, current_language()) if attendee.id_number else "–"
        rows.append({
            "id": attendee.id,
            "position": position,
            "name": name,
            "document": document,
            "label": _("Tube number for %(name)s (document %(document)s)", name=name, document=document),
            "tube": attendee.sample_tube_number or "",
            "taken": attendee.sample_taken_at,
            "relationship": label("applicant_role", attendee.relationship_to_missing),
            "not_sampled": str(visits.NOT_SAMPLED_REASONS.get(attendee.not_sampled_reason or "", "")),
            "not_sampled_note": attendee.not_sampled_note or "",
        })
    return rows


def _label_example(appointment: Appointment) -> str | None:
    """Today's first label in the site's format (the desk's hint), or None: any label."""
    label_format = samples.site_label_format(appointment.site)
    return label_format.example(_local_today(appointment.site)) if label_format else None


def _samples_form(appointment: Appointment, formdata: Any = None) -> Any:
    """The tube number boxes of the people with no number saved yet (`formdata`: as posted). A
    posted box of someone whose number was saved meanwhile (a page opened before) is kept too, so
    that what was typed in it is refused by its box, never dropped."""
    example = _label_example(appointment)
    posted = formdata if formdata is not None else {}
    closed_out = {attendee.id for attendee in appointment.attendees if samples.reported_not_sampled(attendee)}
    people = [(row["id"], row["label"]) for row in _attendee_rows(appointment)
              if (not row["tube"] and row["id"] not in closed_out) or str(posted.get(f"tube-{row['id']}") or "").strip()]
    return samples_form(people, hint=_("Like %(example)s", example=example) if example else None, formdata=formdata)


def _correction_form(appointment: Appointment, formdata: Any = None) -> TubeCorrectionForm:
    """The tube-correction form: the people with a saved tube number, and those the closed visit
    reported as not sampled (their tube, if they came late after all, is recorded here)."""
    form = TubeCorrectionForm(formdata=formdata)
    closed_out = {attendee.id for attendee in appointment.attendees if samples.reported_not_sampled(attendee)}
    people = [SelectChoice(str(row["id"]), _("%(name)s: %(tube)s", name=row["name"], tube=row["tube"]) if row["tube"]
                           else _("%(name)s: not sampled (%(reason)s)", name=row["name"], reason=row["not_sampled"]))
              for row in _attendee_rows(appointment) if row["tube"] or row["id"] in closed_out]
    form.attendee.choices = [SelectChoice("", _("Choose the person")), *people] if people else []
    return form


def _close_form(appointment: Appointment, formdata: Any = None) -> Any:
    """The close-the-visit form: a reason and a note for each person with no sample recorded."""
    return close_visit_form([(row["id"], row["name"]) for row in _attendee_rows(appointment) if not row["taken"]],
                            formdata=formdata)


def _visible_reference(item_id: int | None) -> str | None:
    """The reference of item `item_id` when the signed-in staff member may see it, else None."""
    if item_id is None:
        return None
    return db.session.scalar(select(IntakeItem.reference).where(IntakeItem.id == item_id,
                                                                 visible_items_filter(current_user)))


def _tube_errors(refused: samples.TubeNumbersRefused, appointment: Appointment, field_for: Any) -> None:
    """Put each refused number's message on its box (`field_for(attendee id)` gives the field);
    the booking holding a number is named only to staff who may open it."""
    example = _label_example(appointment)
    for attendee_id, problem in refused.problems.items():
        item_id = getattr(problem, "item_id", None)
        field_for(attendee_id).errors = [tube_problem_message(problem, reference=_visible_reference(item_id),
                                                              example=example)]


def _render_appointment(appointment: Appointment, *, move_form: StaffSlotForm | None = None,
                        tubes_form: Any = None, correction_form: TubeCorrectionForm | None = None,
                        close_form: Any = None, problem: str | None = None) -> str:
    site = appointment.site
    # The language switch on a page answering a refused POST returns to the booking's desk page.
    g.language_return = url_for("staff.sampling_appointment", reference=appointment.item.reference)
    case = case_rows(appointment.case_details, appointment.applicant_role)
    attendees = _attendee_rows(appointment)
    fields = ["applicant_name", "applicant_phone", "attendee_name", "attendee_id_number_masked"]
    if case:
        fields.append("case_details")
    if any(row["not_sampled_note"] for row in attendees):
        fields.append("not_sampled_note")
    audit.record("view_appointment", actor_id=current_user.id, item_id=appointment.item_id, fields=fields)
    db.session.commit()
    if close_form is None and visits.visit_can_close(appointment):
        close_form = _close_form(appointment)
    if move_form is None:
        move_form = StaffSlotForm(formdata=None)
    if tubes_form is None:
        tubes_form = _samples_form(appointment)
    if correction_form is None:
        correction_form = _correction_form(appointment)
    booked_day = local_day(site, appointment.slot.starts_at)
    picked = None
    if appointment.status == AppointmentStatus.BOOKED:
        # "Move for the family": the booking's own day first, or a day chosen in "Show times for".
        picked = _booking_day(site, appointment.party_size, default=booked_day)
        move_form.slot.choices = [SelectChoice("", _("Choose a time"))] + [
            _slot_choice(slot, site)
            for slot in (slots_for_day(site, picked["day"], places=appointment.party_size) if picked["day"] else [])
            if slot.id != appointment.slot_id
        ]
    # A booking of a day to come: its page says when check-in opens, rather than boxes to wait on.
    check_in_opens = (format_day(booked_day) if appointment.status == AppointmentStatus.BOOKED
                      and booked_day > _local_today(site) else None)
    errors = (_day_problem(picked) if picked else []) + flat_errors(tubes_form) + flat_errors(correction_form) + flat_errors(move_form)
    if close_form is not None:
        errors += flat_errors(close_form)
    return render_template(
        "staff/sampling/appointment.html", appointment=appointment, site=site, reference=appointment.item.reference,
        attendees=attendees, status_label=status_label, move_form=move_form,
        samples_form=tubes_form, correction_form=correction_form, case_rows=case, close_form=close_form,
        applicant_phone=display_mobile(appointment.applicant_phone), can_check_in=desk.can_check_in(appointment),
        check_in_opens=check_in_opens, problem=problem,
        form=ConfirmForm(formdata=None), errors=errors, can_mark_no_show=desk.can_mark_no_show(appointment),
        late_sample=any(samples.reported_not_sampled(attendee) for attendee in appointment.attendees),
        day_iso=booked_day.isoformat(), picked=picked,
        **booking_day_closure(appointment),
    )


@bp.get("/sampling/appointments/<reference>")
@requires(Permission.SAMPLING_DESK)
def sampling_appointment(reference: str) -> str:
    """One appointment at the desk: check in, record samples, move or cancel (audited view)."""
    return _render_appointment(_my_appointment(reference))


LABELS["action"]["print_sampling_record"] = _l("Opened the sampling record to print")


@bp.get("/sampling/appointments/<reference>/record")
@requires(Permission.SAMPLING_DESK)
def sampling_record(reference: str) -> str:
    """The booking's sampling record as a page to print (print styles, as the case file's): the
    booking, each person's tube number, sample time or why none was taken (with the desk's note),
    and the case details. Audited ("print_sampling_record", naming the personal fields shown)."""
    appointment = _my_appointment(reference)
    site = appointment.site
    case = case_rows(appointment.case_details, appointment.applicant_role)
    attendees = _attendee_rows(appointment)
    html = render_template(
        "staff/sampling/record.html", appointment=appointment, site=site, reference=appointment.item.reference,
        attendees=attendees, case_rows=case, status_label=status_label, printed_at=utcnow(),
        printed_by=current_user.username, applicant_phone=display_mobile(appointment.applicant_phone))
    fields = ["applicant_name", "applicant_phone", "attendee_name", "attendee_id_number_masked", "sample_tube_number"]
    if case:
        fields.append("case_details")
    if any(row["not_sampled_note"] for row in attendees):
        fields.append("not_sampled_note")
    audit.record("print_sampling_record", actor_id=current_user.id, item_id=appointment.item_id, fields=fields)
    db.session.commit()
    return html
def _from_day_list() -> bool:
    """Whether the form was sent from a row of the day list (its hidden `back` field), so that
    the answer returns there rather than to the booking's page."""
    return request.form.get("back") == "day"


def _day_list_of(appointment: Appointment) -> Response:
    """Back to the day list of the appointment's local day (after an action on one of its rows)."""
    site = appointment.site
    day = appointment.slot.starts_at.astimezone(ZoneInfo(site.timezone)).date()
    return redirect(url_for("staff.sampling_day", site_id=site.id, day=day.isoformat()), code=303)


@bp.post("/sampling/appointments/<reference>/check-in")
@requires(Permission.SAMPLING_DESK)
def sampling_check_in(reference: str) -> str | Response:
    """Check the family in (only on the appointment's local day, at its site; also after it was
    marked "did not come" that day), from its page or from its row on the day list (`back=day`:
    the answer is a message on the day list)."""
    appointment = _my_appointment(reference)
    if not ConfirmForm().validate_on_submit():
        return _render_appointment(appointment)
    reference = appointment.item.reference
    try:
        desk.check_in(appointment, appointment.site, actor_id=current_user.id)
    except desk.NotHere:
        db.session.rollback()
        problem = _("Booking %(reference)s is for another day. Check the reference.", reference=reference)
    except NotChangeable:
        db.session.rollback()
        problem = _("Booking %(reference)s is not waiting for check-in.", reference=reference)
    else:
        db.session.commit()
        if _from_day_list():
            flash(_("Booking %(reference)s checked in.", reference=reference))
            return _day_list_of(appointment)
        flash(_("Checked in. Record each sample with its tube number."))
        return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)
    return _refused_at_desk(appointment, problem)


def _refused_at_desk(appointment: Appointment, problem: str) -> str | Response:
    """A desk action on `appointment` refused with `problem` (translated): said on the day list
    when the form came from one of its rows (`back=day`), else on the booking's page."""
    if _from_day_list():
        flash(problem, "warning")
        return _day_list_of(appointment)
    return _render_appointment(appointment, problem=problem)


@bp.post("/sampling/appointments/<reference>/no-show")
@requires(Permission.SAMPLING_DESK)
def sampling_no_show(reference: str) -> str | Response:
    """Mark this one booking as "did not come" once its time has come (audited like the day's
    bulk action), from its page or from its row on the day list (`back=day`)."""
    appointment = _my_appointment(reference)
    if not ConfirmForm().validate_on_submit():
        return _render_appointment(appointment)
    reference = appointment.item.reference
    try:
        desk.mark_no_show(appointment, appointment.site, actor_id=current_user.id)
    except desk.NotStartedYet:
        db.session.rollback()
        problem = _("The time of booking %(reference)s has not come yet. The family may still arrive.",
                    reference=reference)
    except NotChangeable:
        db.session.rollback()
        problem = _("Booking %(reference)s is not waiting for check-in.", reference=reference)
    else:
        db.session.commit()
        flash(_("Booking %(reference)s marked as did not come.", reference=reference))
        if _from_day_list():
            return _day_list_of(appointment)
        return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)
    return _refused_at_desk(appointment, problem)


@bp.post("/sampling/appointments/<reference>/samples")
@requires(Permission.SAMPLING_DESK)
def sampling_samples(reference: str) -> str | Response:
    """Record the sample tube number of each attendee. A refused number (already used, not the
    site's label format, a wrong check character, typed twice) shows the page again with every
    box as typed and the reason by the box; nothing is saved then."""
    appointment = _my_appointment(reference)
    form = _samples_form(appointment, formdata=request.form)
    if not form.validate_on_submit():
        return _render_appointment(appointment, tubes_form=form)
    tubes = {attendee.id: form[f"tube-{attendee.id}"].data for attendee in appointment.attendees
             if f"tube-{attendee.id}" in form}
    try:
        count = samples.record_samples(appointment, tubes, actor_id=current_user.id)
    except NotChangeable:
        db.session.rollback()
        return _render_appointment(appointment, tubes_form=form,
                                   problem=_("Check the family in before recording samples."))
    except samples.TubeNumbersRefused as refused:
        db.session.rollback()
        _tube_errors(refused, appointment, lambda attendee_id: form[f"tube-{attendee_id}"])
        return _render_appointment(appointment, tubes_form=form)
    if count == 0:
        db.session.rollback()
        first_box = next(f for f in form if f.type != "CSRFTokenField")
        first_box.errors = [_("Enter the tube number of at least one person")]
        return _render_appointment(appointment, tubes_form=form)
    db.session.commit()
    flash(ngettext("%(num)d sample recorded.", "%(num)d samples recorded.", count))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


@bp.post("/sampling/appointments/<reference>/tube-correction")
@requires(Permission.SAMPLING_DESK)
def sampling_tube_correction(reference: str) -> str | Response:
    """Correct or remove a saved tube number, with a reason: kept as an internal note on the
    booking, and audited (who, when, which attendee; never the numbers)."""
    appointment = _my_appointment(reference)
    form = _correction_form(appointment, formdata=request.form)
    if not form.validate_on_submit():
        return _render_appointment(appointment, correction_form=form)
    attendee = next(a for a in appointment.attendees if str(a.id) == form.attendee.data)
    late = samples.reported_not_sampled(attendee)
    try:
        tube = samples.correct_tube_number(attendee, form.tube_number.data, form.reason.data,
                                           actor_id=current_user.id)
    except samples.NothingToCorrect:
        db.session.rollback()
        form.tube_number.errors = [_("Type the tube number of the sample taken.") if late
                                   else _("That is the tube number already saved. Type the right one.")]
        return _render_appointment(appointment, correction_form=form)
    except samples.TubeNumbersRefused as refused:
        db.session.rollback()
        _tube_errors(refused, appointment, lambda _attendee_id: form.tube_number)
        return _render_appointment(appointment, correction_form=form)
    db.session.commit()
    if late:
        flash(_("Sample recorded. The family is told by text message that it was taken after all. "
                "The reason is kept as a note on this booking."))
    else:
        flash(_("Tube number corrected. The reason is kept as a note on this booking.") if tube else
              _("Tube number removed. The reason is kept as a note on this booking."))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


@bp.post("/sampling/appointments/<reference>/close-visit")
@requires(Permission.SAMPLING_DESK)
def sampling_close_visit(reference: str) -> str | Response:
    """Close a checked-in visit with someone not sampled (they did not come, brought a parent's
    belongings instead...), a reason for each: the family gets one SMS naming whose sample was not
    taken, the booking's item is closed, and it is audited. A visit already done (closed before,
    or every sample recorded) is said so, and nothing is sent again."""
    appointment = _my_appointment(reference)
    if not visits.visit_can_close(appointment):
        db.session.rollback()
        problem = (_("Check the family in before closing the visit.") if appointment.status == AppointmentStatus.BOOKED
                   else _("This visit is already closed. The family was told once; nothing more is sent."))
        return _render_appointment(appointment, problem=problem)
    form = _close_form(appointment, formdata=request.form)
    if not form.validate_on_submit():
        return _render_appointment(appointment, close_form=form)
    reasons = {attendee.id: (form[f"reason-{attendee.id}"].data, form[f"note-{attendee.id}"].data)
               for attendee in appointment.attendees if f"reason-{attendee.id}" in form}
    try:
        not_sampled = visits.close_visit(appointment, reasons, actor_id=current_user.id)
    except visits.VisitAlreadyDone:
        db.session.rollback()
        return _render_appointment(appointment, problem=_(
            "This visit is already closed. The family was told once; nothing more is sent."))
    except visits.ReasonsNeeded:
        # Not expected (the form asks for everyone not sampled), but never a 500: the form again.
        db.session.rollback()
        return _render_appointment(appointment, close_form=_close_form(appointment, formdata=request.form))
    db.session.commit()
    belongings = sum(1 for attendee in not_sampled if attendee.not_sampled_reason == notices.BELONGINGS_REASON)
    if belongings == len(not_sampled):
        flash(ngettext("Visit closed. The family is told by text message that %(num)d person's belongings were "
                       "received for testing.",
                       "Visit closed. The family is told by text message that %(num)d people's belongings were "
                       "received for testing.", belongings))
    elif belongings:
        flash(_("Visit closed. The family is told by text message whose belongings were received for testing and "
                "whose sample was not taken."))
    else:
        flash(ngettext("Visit closed. The family is told by text message that %(num)d person's sample was not taken.",
                       "Visit closed. The family is told by text message that %(num)d people's samples were not "
                       "taken.", len(not_sampled)))
    return redirect(url_for("staff.sampling_appointment", reference=reference), code=303)


@bp.post("/sampling/appointments/<reference>/move")
@requires(Permission.SAMPLING_DESK)
def sampling_move(reference: str) -> str | Response:
    """Move the booking for the family (the same rules as the public manage page)."""
    appointment = _my_appointment(reference)
    form = StaffSlotForm()
    if form.validate_on_submit():
        try:
            move_appointment(appointment, int(form.slot.data), actor_id=current_user.id, actor_kind="staff",
                             site_id=appointment.slot.site_id)
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


@bp.route("/sampling/sites/<int:site_id>/walk-in", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_walk_in(site_id: int) -> str | Response:
    """Register people who came without a booking; they are checked in at once."""
    site = _my_site(site_id)
    size = _party_size_arg()
    form = _attendees_form(size)
    case_form = WalkInCaseForm(prefix="case")
    consent_form = FamilyConsentForm()
    sms_language_form = SmsLanguageForm()
    # Every form is checked, so that every mistake is listed at once.
    people_valid = form.validate_on_submit()
    case_valid = case_form.validate_on_submit()
    language_valid = sms_language_form.validate_on_submit()
    if consent_form.validate_on_submit() and case_valid and people_valid and language_valid:
        people = _people_from(form)
        try:
            appointment = desk.register_walk_in(
                site, people, applicant_phone=people[0].phone, language=sms_language_form.sms_language.data,
                actor_id=current_user.id,
                consent=True, guardian_consent=consent_form.guardian_consent.data,
                case_details={name: field.data for name, field in case_form._fields.items()})
        except UnderAge as under_age:
            db.session.rollback()
            consent_form.guardian_consent.errors = [_guardian_needed(under_age.position)]
        else:
            db.session.commit()
            return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    return render_template("staff/sampling/walk_in.html", site=site, form=form, case_form=case_form,
                           consent_form=consent_form, sms_language_form=sms_language_form, size=size,
                           errors=flat_errors(form) + flat_errors(case_form) + flat_errors(sms_language_form)
                           + flat_errors(consent_form))


def _guardian_needed(position: int) -> str:
    """The consent form's refusal when person `position` (0-based) is under 14 and no parent or
    guardian agreed."""
    return _("Person %(number)d is under 14: ask a parent or guardian for their consent, then tick the box.",
             number=position + 1)


def _slot_choice(slot: Slot, site: SamplingSite) -> SelectChoice:
    """A free time as a select option: its local date and time, with the places left in brackets."""
    return SelectChoice(str(slot.id), _("%(text)s (%(note)s)", text=format_local_datetime(slot.starts_at, site.timezone),
                                        note=slot.places_left))


def _booking_day(site: SamplingSite, size: int, *, default: date | None = None) -> dict[str, Any]:
    """The day whose free times "Book for a family" or "Move for the family" lists, from `?day=`
    (ISO 8601 local date); else `default` when families may book that day, else the first day
    with free times for `size` people (None when there is none).

    Returns the page's day values: `day` (date or None), `typed_day` (the box's text: as typed
    when refused), `day_problem` (a translated refusal or None), `first_day` and `last_day` (ISO
    local dates a family may book: the site's local today to the end of its booking horizon),
    `first_day_text`, `last_day_text` and `day_text` (the same and the day in words),
    `day_closed` (the site is closed that day) and `other_days` (for a day without free times,
    up to three nearest days that have some, as (ISO date, words))."""
    now = utcnow()
    first_day, last_day = _local_today(site), local_day(site, now + horizon(site))
    free_days = available_days(site, now, size)
    day = default if default is not None and first_day <= default <= last_day else None
    if day is None and free_days:
        day = free_days[0]
    typed = (request.args.get("day") or "").strip()
    problem = None
    if typed:
        asked = query_date(typed)
        if asked is None:
            problem = _("Enter a real day as year-month-day, like %(example)s", example=first_day.isoformat())
        elif not first_day <= asked <= last_day:
            problem = _("Choose a day from %(first)s to %(last)s: families can book only that far ahead.",
                        first=format_day(first_day), last=format_day(last_day))
        else:
            day = asked
    closed = day is not None and day in closed_days(site, day, day)
    other_days = ([] if day is None or day in free_days
                  else nearest_open_days(site, day, size, now=now))
    return {"day": day, "typed_day": typed if problem else (day.isoformat() if day else ""),
            "day_problem": problem, "first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
            "first_day_text": format_day(first_day), "last_day_text": format_day(last_day),
            "day_text": format_day(day) if day else None, "day_closed": closed,
            "other_days": [(other.isoformat(), format_day(other)) for other in other_days]}


def _day_problem(picked: dict[str, Any]) -> list[tuple[str, str]]:
    """The error summary's line for a refused "Show times for" day (see `_booking_day`), if any."""
    return [("show-times-for", picked["day_problem"])] if picked["day_problem"] else []


@bp.route("/sampling/sites/<int:site_id>/book", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_book(site_id: int) -> str | Response:
    """Book for a family (by phone or at the desk), under the same rules as the web: first the
    day (`?day=`, see `_booking_day`), then one of that day's free times for the party (no time
    chosen beforehand), the people, the optional case questions of a walk-in, the language of
    their text messages and their consent."""
    site = _my_site(site_id)
    size = _party_size_arg()
    form = _attendees_form(size)
    picked = _booking_day(site, size)
    slot_form = StaffSlotForm()
    day = picked["day"]
    slot_form.slot.choices = [SelectChoice("", _("Choose a time"))] + [
        _slot_choice(slot, site) for slot in (slots_for_day(site, day, places=size) if day else [])
    ]
    case_form = WalkInCaseForm(prefix="case")
    consent_form = FamilyConsentForm()
    sms_language_form = SmsLanguageForm()
    problem = None
    # Every form is checked, so that every mistake is listed at once.
    people_valid = form.validate_on_submit()
    case_valid = case_form.validate_on_submit()
    consent = consent_form.validate_on_submit()
    language_valid = sms_language_form.validate_on_submit()
    chosen = None
    if slot_form.validate_on_submit():
        chosen = db.session.get(Slot, int(slot_form.slot.data))
        if chosen is None or chosen.site_id != site.id:
            # Only this site's times are offered; a forged slot id (another site's) is refused.
            chosen, problem = None, _("Choose one of the times shown")
    if chosen is not None and people_valid and consent and language_valid and case_valid:
        people = _people_from(form)
        try:
            appointment = book_appointment(
                slot_id=int(slot_form.slot.data), applicant_role=ApplicantRole(people[0].relationship),
                applicant_name=people[0].name or "", applicant_phone=people[0].phone or "", attendees=people,
                consent=True, guardian_consent=consent_form.guardian_consent.data,
                language=sms_language_form.sms_language.data, channel=Channel.STAFF,
                case_details={name: field.data for name, field in case_form._fields.items()},
            )
        except UnderAge as under_age:
            db.session.rollback()
            consent_form.guardian_consent.errors = [_guardian_needed(under_age.position)]
        except BookingError as error:
            db.session.rollback()
            problem = message_for(error)
        else:
            audit.record("booked_for_family", actor_id=current_user.id, item_id=appointment.item_id)
            db.session.commit()
            return redirect(url_for("staff.sampling_appointment", reference=appointment.item.reference), code=303)
    return render_template("staff/sampling/book.html", site=site, form=form, slot_form=slot_form, size=size,
                           case_form=case_form, consent_form=consent_form, sms_language_form=sms_language_form,
                           problem=problem, picked=picked,
                           errors=_day_problem(picked) + flat_errors(slot_form) + flat_errors(form) + flat_errors(case_form)
                           + flat_errors(sms_language_form) + flat_errors(consent_form))



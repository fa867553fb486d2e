"""Booking free DNA sampling on the web, first half: who is booking, about the person looked
for, who will attend, then site, day and time. The answers are kept in an encrypted draft
(portal.sampling.draft) until the booking is made on the check-your-answers page (finish.py).
The order of the pages and what each needs are portal.sampling.journey's; what the pages share
is in pages.py."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.core import public_holidays
from portal.core.extensions import db, public_post_limit
from portal.core.i18n import format_day
from portal.core.models import ApplicantRole, SamplingSite, Slot
from portal.core.query_args import MAX_ID
from portal.sampling import draft, journey
from portal.sampling.content import opening_hours, status_label
from portal.web.language import drop_unsent, switch_requested
from portal.web.sampling.blueprint import bp
from portal.sampling.booking import BookingError, check_slot_takes
from portal.forms import ConfirmForm, flat_errors
from portal.forms.sampling import AttendeesForm
from portal.web.sampling.forms import AgencyForm, MemoriesForm, MissingPersonForm, TimeForm, WhoForm
from portal.web.sampling.pages import (
    QUESTION_FORM,
    bookable_day,
    change_args,
    continue_to,
    first_missing_step,
    site_list,
    slot_label,
    step_url,
    switch_language,
    typed_before,
)
from portal.sampling.messages import CHOOSE_A_SHOWN_TIME, party_too_large_message, public_message_for
from portal.sampling.slots import available_days, closed_days, local_day, nearest_open_days, slots_for_day
from portal.sampling.site_phones import site_phone_numbers


# The draft's key for the site chosen before the journey began (start_at_site).
PRESELECTED_SITE = "preselected_site_id"


def _active_site(site_id: int) -> SamplingSite:
    site = db.session.get(SamplingSite, site_id) if site_id <= MAX_ID else None
    if site is None or not site.active:
        abort(404)
    return site


@bp.get("/")
def start() -> str:
    """The start page: what sampling is, who can book, and the way to change a booking."""
    return render_template("sampling/start.html")


@bp.route("/at/<int:site_id>", methods=["GET", "POST"])
@public_post_limit
def start_at_site(site_id: int) -> str | Response:
    """The start page for booking at one site, where a site's poster QR code leads: the site is
    named, and "Start now" keeps it in the draft so that, once the people are named, the journey
    goes straight to the site's days instead of the list of sites (which stays one link away).

    An unknown site is not found (404). A site no longer taking bookings (inactive) answers 200
    with a page saying so and leading to the booking's start, where the other sites are offered:
    its printed posters stay on walls, and a QR code's address is a real address whose true
    answer is this page, not an error (an in-app QR scanner may also show its own page in place
    of an error's). Nothing is kept from a POST to it."""
    site = db.session.get(SamplingSite, site_id) if site_id <= MAX_ID else None
    if site is None:
        abort(404)
    if not site.active:
        return render_template("sampling/site_not_taking_bookings.html", site=site)
    form = ConfirmForm()
    if form.validate_on_submit():
        answers = draft.load()
        if answers.get("booked"):
            answers = {}  # a new booking after one made in this browser starts afresh
        answers[PRESELECTED_SITE] = site.id
        draft.save(answers)
        return redirect(url_for("sampling.who"), code=303)
    return render_template("sampling/start.html", site=site, form=form)


@bp.route("/who", methods=["GET", "POST"])
@public_post_limit
def who() -> str | Response:
    """Page 1: who is booking and how many people will give a sample."""
    answers = draft.load()
    language = switch_requested()
    if language is not None:
        return switch_language("who", answers, language)
    typed = typed_before(answers, "who")
    form = WhoForm(formdata=typed) if typed is not None else WhoForm(
        data={"role": answers.get("role"), "party_size": str(answers.get("party_size") or "")})
    if form.validate_on_submit():
        answers = drop_unsent(answers, "who")
        role = form.role.data
        size = 1 if role == ApplicantRole.AGENCY else int(form.party_size.data)
        if answers.pop("booked", None):
            answers = {}  # a new booking after one made in this browser starts afresh
        changed_role = answers.get("role") != role
        answers.update(role=role, party_size=size)
        if changed_role:
            answers.pop("case", None)
            answers.pop("agency", None)
            answers.pop("attendees", None)
            # What a language switch kept of the next pages was typed into another role's questions.
            answers = drop_unsent(drop_unsent(answers, "about"), "attendees")
        elif answers.get("attendees"):
            answers["attendees"] = answers["attendees"][:size]
        draft.save(answers)
        return continue_to(answers, journey.next_step("who", answers))
    return render_template("sampling/who.html", form=form, errors=flat_errors(form), language_form=QUESTION_FORM)


@bp.route("/about", methods=["GET", "POST"])
@public_post_limit
def about() -> str | Response:
    """Page 2: about the person looked for (families), or what they remember (seeking their family)."""
    answers = draft.load()
    role = answers.get("role")
    if not role:
        return redirect(url_for("sampling.who"))
    if not journey.applies("about", answers):
        return redirect(step_url(journey.next_step("about", answers)))
    form_class = MemoriesForm if role == ApplicantRole.SEEKING_BIRTH_FAMILY else MissingPersonForm
    language = switch_requested()
    if language is not None:
        return switch_language("about", answers, language)
    typed = typed_before(answers, "about")
    form = form_class(formdata=typed) if typed is not None else form_class(data=answers.get("case") or {})
    if form.validate_on_submit():
        answers = drop_unsent(answers, "about")
        answers["case"] = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        draft.save(answers)
        return continue_to(answers, journey.next_step("about", answers))
    return render_template("sampling/about.html", form=form, role=role, errors=flat_errors(form),
                           language_form=QUESTION_FORM)


@bp.route("/attendees", methods=["GET", "POST"])
@public_post_limit
def attendees() -> str | Response:
    """Page 3: the people who will give a sample, each with an identity document; or, for an
    agency, the person whose identity is unknown."""
    answers = draft.load()
    missing = first_missing_step(answers, "attendees")
    if missing:
        return redirect(missing)
    role = answers["role"]
    language = switch_requested()
    if language is not None:
        return switch_language("attendees", answers, language)
    typed = typed_before(answers, "attendees")
    if role == ApplicantRole.AGENCY:
        form: Any = AgencyForm(formdata=typed) if typed is not None else AgencyForm(data=answers.get("agency") or {})
        if form.validate_on_submit():
            answers = drop_unsent(answers, "attendees")
            answers["agency"] = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
            draft.save(answers)
            return continue_to(answers, journey.next_step("attendees", answers))
        return render_template("sampling/agency.html", form=form, errors=flat_errors(form), language_form=QUESTION_FORM)

    size = int(answers.get("party_size") or 1)
    kept = list(answers.get("attendees") or [])
    default_relationship = {
        ApplicantRole.PARENT: ApplicantRole.PARENT,
        ApplicantRole.RELATIVE: ApplicantRole.RELATIVE,
        ApplicantRole.SEEKING_BIRTH_FAMILY: ApplicantRole.SEEKING_BIRTH_FAMILY,
    }[role]
    while len(kept) < size:
        kept.append({"relationship": default_relationship, "document_type": "resident_id"})
    form = AttendeesForm(formdata=typed) if typed is not None else AttendeesForm(data={"attendees": kept[:size]})
    if request.method == "POST" or typed is not None:
        while len(form.attendees.entries) < size:
            form.attendees.append_entry()
    if form.validate_on_submit():
        answers = drop_unsent(answers, "attendees")
        answers["attendees"] = [
            {key: entry.form[key].data for key in ("name", "relationship", "document_type", "document_number", "phone")}
            for entry in form.attendees.entries[:size]
        ]
        draft.save(answers)
        return continue_to(answers, journey.next_step("attendees", answers))
    return render_template("sampling/attendees.html", form=form, role=role, errors=flat_errors(form),
                           language_form=QUESTION_FORM)


@bp.get("/sites")
def choose_site() -> str | Response:
    """Page 4a: the active sampling sites, filtered by city and district (a GET form)."""
    answers = draft.load()
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(missing)
    preselected = answers.pop(PRESELECTED_SITE, None)
    if preselected is not None:
        # Once only: the "Back to sampling sites" link of the day page shows the list.
        draft.save(answers)
        site = db.session.get(SamplingSite, preselected)
        if site is not None and site.active:
            return redirect(url_for("sampling.choose_day", site_id=site.id))
    places = journey.party_size(answers)
    listing = site_list(request.args, places)
    return render_template("sampling/choose_site.html", sites=listing.sites, filters=listing.filters,
                           opening_hours=opening_hours, too_small=listing.too_small, none_fit=listing.none_fit,
                           places=places)


@bp.get("/site/<int:site_id>")
def choose_day(site_id: int) -> str | Response:
    """Page 4b: the site's days that still have room for the party, in its local calendar."""
    site = _active_site(site_id)
    answers = draft.load()
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(missing)
    places = journey.party_size(answers)
    too_small = party_too_large_message(site.places_per_slot) if site.places_per_slot < places else None
    return render_template(
        "sampling/choose_day.html", site=site, days=[] if too_small else available_days(site, places=places),
        opening_hours=opening_hours(site), too_small=too_small,
    )


@bp.route("/site/<int:site_id>/<day>", methods=["GET", "POST"])
@public_post_limit
def choose_time(site_id: int, day: str) -> str | Response:
    """Page 4c: the day's times with room for the party, showing places left. A closed day, a
    time of another site or day, or one without room is refused even when posted directly."""
    site = _active_site(site_id)
    chosen_day = bookable_day(site, day)
    answers = draft.load()
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(missing)
    places = journey.party_size(answers)
    form = TimeForm()
    slots = slots_for_day(site, chosen_day, places=places)
    form.slot.choices = [SelectChoice(str(slot.id), slot_label(slot)) for slot in slots]
    if request.method == "GET" and answers.get("slot_id") in {slot.id for slot in slots}:
        form.slot.data = str(answers["slot_id"])
    if form.validate_on_submit():
        slot = db.session.get(Slot, int(form.slot.data))
        if slot is None or slot.site_id != site.id or local_day(site, slot.starts_at) != chosen_day:
            form.slot.errors = [str(CHOOSE_A_SHOWN_TIME)]
        else:
            try:
                check_slot_takes(slot, places)
            except BookingError as error:
                form.slot.errors = [public_message_for(error)]
                form.slot.data = None
            else:
                answers = draft.update(site_id=site.id, slot_id=slot.id)
                return continue_to(answers, journey.next_step("time", answers))
    closed = not slots and chosen_day in closed_days(site, chosen_day, chosen_day)
    return render_template("sampling/choose_time.html", site=site, day=chosen_day, day_text=format_day(chosen_day),
                           form=form, errors=flat_errors(form), places=places, closed=closed,
                           holiday=public_holidays.days_off(chosen_day, chosen_day).get(chosen_day) if closed else None,
                           open_days=nearest_open_days(site, chosen_day, places) if closed else [])


@bp.context_processor
def _sampling_template_helpers() -> dict[str, Any]:
    return {"status_label": status_label, "keep_change": change_args(), "site_phone_numbers": site_phone_numbers}

"""Booking free DNA sampling on the web, first half: who is booking, about the person looked
for, who will attend, then site, day and time. The answers are kept in an encrypted draft
(portal.sampling.draft) until the booking is made on the check-your-answers page (finish.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.extensions import db, public_post_limit
from portal.i18n import format_day, format_hours, format_local_time, join_list, weekday_name
from portal.models import ApplicantRole, SamplingSite, Slot
from portal.sampling import bp, draft
from portal.sampling.booking import BookingError, check_slot_takes
from portal.sampling.forms import (
    AgencyForm,
    AttendeesForm,
    MemoriesForm,
    MissingPersonForm,
    SiteFilterForm,
    TimeForm,
    WhoForm,
    flat_errors,
)
from portal.sampling.messages import CHOOSE_A_SHOWN_TIME, party_too_large_message, public_message_for
from portal.sampling.slots import available_days, horizon, local_day, slots_for_day
from portal.tips import regions

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id in a URL would be a database error, not a 404


def party_size(answers: dict[str, Any]) -> int:
    """How many places the draft's party needs (1 to 4)."""
    if answers.get("role") == ApplicantRole.AGENCY.value:
        return 1
    return len(answers.get("attendees") or []) or int(answers.get("party_size") or 1)


def first_missing_step(answers: dict[str, Any], upto: str) -> str | None:
    """The URL of the first unanswered page before page `upto` (who, about, attendees, time,
    consent, check), or None when every earlier page is answered."""
    order = ["who", "about", "attendees", "time", "consent", "check"]
    role = answers.get("role")
    people = answers.get("attendees") or []
    needs = {
        "who": bool(role),
        "about": role == ApplicantRole.AGENCY.value or bool(answers.get("case")),
        # A party made bigger after the people were named needs the new people named too.
        "attendees": bool(answers.get("agency")) if role == ApplicantRole.AGENCY.value
        else bool(people) and len(people) >= int(answers.get("party_size") or 1),
        "time": bool(answers.get("slot_id")),
        "consent": bool(answers.get("consent")),
    }
    urls = {"who": "sampling.who", "about": "sampling.about", "attendees": "sampling.attendees",
            "time": "sampling.choose_site", "consent": "sampling.consent"}
    for step in order[: order.index(upto)]:
        if not needs[step]:
            return url_for(urls[step])
    return None


def changing() -> bool:
    """Whether the page was opened from a "Change" link of the check-your-answers page."""
    return request.args.get("change") == "1"


def _change_args() -> dict[str, str]:
    return {"change": "1"} if changing() else {}


def _slot_still_fits(answers: dict[str, Any]) -> Slot | None:
    slot_id = answers.get("slot_id")
    slot = db.session.get(Slot, slot_id) if isinstance(slot_id, int) and 0 < slot_id <= MAX_ID else None
    if slot is None:
        return None
    try:
        check_slot_takes(slot, party_size(answers))
    except BookingError:
        return None
    return slot


def continue_to(answers: dict[str, Any], endpoint: str, **values: Any) -> Response:
    """Where a page sends the person after saving its answers: the next page (`endpoint`) on the
    way through; from a "Change" link, straight back to the check page, unless the change made
    later answers invalid (a new role, more people, a time that no longer fits the party, a child
    needing a guardian's consent): then the first page to answer again, still in change mode."""
    if not changing():
        return redirect(url_for(endpoint, **values))
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(f"{missing}?change=1")
    if _slot_still_fits(answers) is None:
        site_id = answers.get("site_id")
        site = db.session.get(SamplingSite, site_id) if isinstance(site_id, int) and site_id <= MAX_ID else None
        if site is not None and site.active and site.places_per_slot >= party_size(answers):
            return redirect(url_for("sampling.choose_day", site_id=site.id, change="1"))
        return redirect(url_for("sampling.choose_site", change="1"))
    from portal.sampling.finish import needs_guardian

    slot = db.session.get(Slot, answers["slot_id"])
    if not answers.get("consent") or (needs_guardian(answers, slot) and not answers.get("guardian_consent")):
        return redirect(url_for("sampling.consent", change="1"))
    return redirect(url_for("sampling.check"))


def _active_site(site_id: int) -> SamplingSite:
    site = db.session.get(SamplingSite, site_id) if site_id <= MAX_ID else None
    if site is None or not site.active:
        abort(404)
    return site


def bookable_day(site: SamplingSite, text: str) -> date:
    """The local day named by `text` (YYYY-MM-DD) when it is between local today and the site's
    booking horizon; 404 otherwise (far dates would also overflow the day arithmetic)."""
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        abort(404)
    today = datetime.now(ZoneInfo(site.timezone)).date()
    last = today + max(horizon(site), timedelta(days=1))
    if not today <= chosen <= min(last, today + timedelta(days=366)):
        abort(404)
    return chosen


@lru_cache(maxsize=1024)
def filter_area(province: str, city: str, district: str | None) -> tuple[str, str | None]:
    """The (city, district) a site is listed under in the site filter, as divisions the person
    knows: a site published as 南通市通州区 → ("南通市", "通州区"); a county-level city or county
    (如皋市, 如东县) → ("南通市", "如皋市"); a prefecture-level city itself → ("南通市", None).

    Looked up in China's division list (portal.tips.regions) within the site's province; a name
    it does not know is kept as published (city, district).
    """
    if district and city.endswith(district) and len(city) > len(district):
        return city[: -len(district)], district
    for place in regions.search(city, limit=50):
        if place.province is None or place.province.name != province or place.city is None:
            continue
        if place.district is not None and place.district.name == city:
            return place.city.name, city
        if place.district is None and place.city.name == city:
            return city, None
    return city, district


def opening_hours(site: SamplingSite) -> list[str]:
    """The site's weekly hours as lines to show: "Monday to Friday 9:00am–5:00pm" when the weekdays share them."""
    by_day: dict[int, list[str]] = {}
    for period in site.opening_periods:
        by_day.setdefault(period.weekday, []).append(format_hours(period.opens_at, period.closes_at))
    if not by_day:
        return []
    if set(by_day) == set(range(5)) and len({tuple(p) for p in by_day.values()}) == 1:
        return [_("Monday to Friday %(hours)s", hours=join_list(by_day[0]))]
    return [f"{weekday_name(day)} {join_list(periods)}" for day, periods in sorted(by_day.items())]


def slot_label(slot: Slot) -> str:
    """"09:20 – 2 places left", in the site's local time."""
    clock = format_local_time(slot.starts_at, slot.site.timezone)
    left = slot.places_left
    if left == 1:
        return _("%(time)s – 1 place left", time=clock)
    return _("%(time)s – %(count)d places left", time=clock, count=left)


@bp.get("/")
def start() -> str:
    """The start page: what sampling is, who can book, and the way to change a booking."""
    return render_template("sampling/start.html")


@bp.route("/who", methods=["GET", "POST"])
@public_post_limit
def who() -> str | Response:
    """Page 1: who is booking and how many people will give a sample."""
    answers = draft.load()
    form = WhoForm(data={"role": answers.get("role"), "party_size": str(answers.get("party_size") or "")})
    if form.validate_on_submit():
        role = form.role.data
        size = 1 if role == ApplicantRole.AGENCY.value else int(form.party_size.data)
        if answers.pop("booked", None):
            answers = {}  # a new booking after one made in this browser starts afresh
        changed_role = answers.get("role") != role
        answers.update(role=role, party_size=size)
        if changed_role:
            answers.pop("case", None)
            answers.pop("agency", None)
            answers.pop("attendees", None)
        elif answers.get("attendees"):
            answers["attendees"] = answers["attendees"][:size]
        draft.save(answers)
        return continue_to(answers, "sampling.attendees" if role == ApplicantRole.AGENCY.value else "sampling.about")
    return render_template("sampling/who.html", form=form, errors=flat_errors(form))


@bp.route("/about", methods=["GET", "POST"])
@public_post_limit
def about() -> str | Response:
    """Page 2: about the person looked for (families), or what they remember (seeking their family)."""
    answers = draft.load()
    role = answers.get("role")
    if not role:
        return redirect(url_for("sampling.who"))
    if role == ApplicantRole.AGENCY.value:
        return redirect(url_for("sampling.attendees"))
    form_class = MemoriesForm if role == ApplicantRole.SEEKING_BIRTH_FAMILY.value else MissingPersonForm
    form = form_class(data=answers.get("case") or {})
    if form.validate_on_submit():
        answers["case"] = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        draft.save(answers)
        return continue_to(answers, "sampling.attendees")
    return render_template("sampling/about.html", form=form, role=role, errors=flat_errors(form))


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
    if role == ApplicantRole.AGENCY.value:
        form: Any = AgencyForm(data=answers.get("agency") or {})
        if form.validate_on_submit():
            answers["agency"] = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
            draft.save(answers)
            return continue_to(answers, "sampling.choose_site")
        return render_template("sampling/agency.html", form=form, errors=flat_errors(form))

    size = int(answers.get("party_size") or 1)
    kept = list(answers.get("attendees") or [])
    default_relationship = {
        ApplicantRole.PARENT.value: ApplicantRole.PARENT.value,
        ApplicantRole.RELATIVE.value: ApplicantRole.RELATIVE.value,
        ApplicantRole.SEEKING_BIRTH_FAMILY.value: ApplicantRole.SEEKING_BIRTH_FAMILY.value,
    }[role]
    while len(kept) < size:
        kept.append({"relationship": default_relationship, "document_type": "resident_id"})
    form = AttendeesForm(data={"attendees": kept[:size]})
    if request.method == "POST":
        while len(form.attendees.entries) < size:
            form.attendees.append_entry()
    if form.validate_on_submit():
        answers["attendees"] = [
            {key: entry.form[key].data for key in ("name", "relationship", "document_type", "document_number", "phone")}
            for entry in form.attendees.entries[:size]
        ]
        draft.save(answers)
        return continue_to(answers, "sampling.choose_site")
    return render_template("sampling/attendees.html", form=form, role=role, errors=flat_errors(form))


@bp.get("/sites")
def choose_site() -> str | Response:
    """Page 4a: the active sampling sites, filtered by city and district (a GET form)."""
    answers = draft.load()
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(missing)
    sites = db.session.scalars(
        select(SamplingSite)
        .where(SamplingSite.active.is_(True))
        .order_by(SamplingSite.province, SamplingSite.city, SamplingSite.id)
        .options(selectinload(SamplingSite.opening_periods))  # one query for all sites' hours
    ).all()
    filters = SiteFilterForm(request.args)
    # A city includes its districts, counties and county-level cities; districts are listed under their city.
    area = {site.id: filter_area(site.province, site.city, site.district) for site in sites}
    cities = sorted({area[site.id][0] for site in sites})
    city = filters.city.data if filters.city.data in cities else ""
    districts = sorted({area[site.id][1] for site in sites if area[site.id][1] and (not city or area[site.id][0] == city)})
    district = filters.district.data if filters.district.data in districts else ""
    filters.city.choices = [SelectChoice("", _("All cities"))] + [SelectChoice(c, c) for c in cities]
    filters.district.choices = [SelectChoice("", _("All districts"))] + [SelectChoice(d, d) for d in districts]
    filters.city.data, filters.district.data = city, district
    shown = [site for site in sites
             if (not city or area[site.id][0] == city) and (not district or area[site.id][1] == district)]
    places = party_size(answers)
    # A party larger than a site's places per time can never book there: say so before the person
    # picks it, instead of showing no free days (or, for a forced time, "just taken").
    too_small = {site.id: party_too_large_message(site.places_per_slot) for site in shown
                 if site.places_per_slot < places}
    none_fit = bool(shown) and len(too_small) == len(shown)
    return render_template("sampling/choose_site.html", sites=shown, filters=filters, opening_hours=opening_hours,
                           too_small=too_small, none_fit=none_fit, places=places)


@bp.get("/site/<int:site_id>")
def choose_day(site_id: int) -> str | Response:
    """Page 4b: the site's days that still have room for the party, in its local calendar."""
    site = _active_site(site_id)
    answers = draft.load()
    missing = first_missing_step(answers, "time")
    if missing:
        return redirect(missing)
    places = party_size(answers)
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
    places = party_size(answers)
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
                return continue_to(answers, "sampling.consent")
    return render_template("sampling/choose_time.html", site=site, day=chosen_day, day_text=format_day(chosen_day),
                           form=form, errors=flat_errors(form), places=places)


@bp.context_processor
def _sampling_template_helpers() -> dict[str, Any]:
    from portal.sampling.content import status_label

    return {"status_label": status_label, "keep_change": _change_args()}

"""What the booking pages (views.py, finish.py and manage.py) share: the address of each step of
the journey (its order is portal.sampling.journey), where a page sends the person once its
answers are saved, the label of a time, and a day read from a URL. No view module imports
another; they all import this one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.core.extensions import db
from portal.core.i18n import format_local_time
from portal.core.models import SamplingSite, Slot
from portal.sampling import draft, journey
from portal.sampling.messages import party_too_large_message
from portal.sampling.places import filter_area
from portal.web.language import anything_typed, keep_unsent, switched, typed_on_page, unsent_formdata
from portal.web.sampling.forms import SiteFilterForm

# The id of a question page's form, which the header's language button submits (base.html).
QUESTION_FORM = "question-form"

# The page that asks each step; "time" starts at the list of sites.
STEP_ENDPOINTS: dict[str, str] = {
    "who": "sampling.who", "about": "sampling.about", "attendees": "sampling.attendees",
    "time": "sampling.choose_site", "consent": "sampling.consent", "check": "sampling.check",
}


def step_url(step: str, **values: Any) -> str:
    """The address of the page that asks `step` (one of journey.STEPS), with `values` as query arguments."""
    return url_for(STEP_ENDPOINTS[step], **values)


def first_missing_step(answers: dict[str, Any], upto: str) -> str | None:
    """The URL of the first unanswered page before page `upto` (one of journey.STEPS), or None
    when every earlier page is answered."""
    missing = journey.first_missing(answers, upto)
    return step_url(missing) if missing else None


def changing() -> bool:
    """Whether the page was opened from a "Change" link of the check-your-answers page."""
    return request.args.get("change") == "1"


def change_args() -> dict[str, str]:
    """The query arguments that keep the change mode on the page's links and form."""
    return {"change": "1"} if changing() else {}


def continue_to(answers: dict[str, Any], step: str) -> Response:
    """Where a page sends the person after saving its answers: the page of `step` (the next one)
    on the way through; from a "Change" link, straight back to the check page, unless the change
    made later answers invalid: then the first page to answer again, still in change mode
    (journey.after_change)."""
    if not changing():
        return redirect(step_url(step))
    after, site_id = journey.after_change(answers)
    if after == "check":
        return redirect(step_url("check"))
    if site_id is not None:
        return redirect(url_for("sampling.choose_day", site_id=site_id, change="1"))
    return redirect(step_url(after, change="1"))


def switch_language(page: str, answers: dict[str, Any], language: str) -> Response:
    """The language switch of a question page (`page`: a step of journey.STEPS): keep what was
    typed, unchecked, as the page's unsent answers in the draft, and show the same page in
    `language` (portal/web/language.py). Nothing typed on the first page needs no draft."""
    typed = typed_on_page()
    if answers or anything_typed(typed):
        draft.save(keep_unsent(answers, page, typed))
    return switched(language, request.full_path.rstrip("?"))


def typed_before(answers: dict[str, Any], page: str) -> MultiDict[str, str] | None:
    """On a GET, what a language switch kept of `page`, to fill its form with; else None."""
    return unsent_formdata(answers, page) if request.method == "GET" else None


def slot_label(slot: Slot) -> str:
    """"09:20 – 2 places left", in the site's local time."""
    clock = format_local_time(slot.starts_at, slot.site.timezone)
    left = slot.places_left
    if left == 1:
        return _("%(time)s – 1 place left", time=clock)
    return _("%(time)s – %(count)d places left", time=clock, count=left)


def bookable_day(site: SamplingSite, text: str) -> date:
    """The local day named by `text` (YYYY-MM-DD) when the site takes bookings for it
    (journey.bookable_day); 404 otherwise."""
    chosen = journey.bookable_day(site, text)
    if chosen is None:
        abort(404)
    return chosen


@dataclass
class SiteList:
    """The active sites a party may choose from, filtered by city and district.

    `sites`: the sites shown; `filters`: the GET filter form, its choices and data set;
    `too_small`: {site id: the translated reason} for each shown site whose places per time are
    fewer than the party; `none_fit`: every shown site is too small (and at least one is shown).
    """

    sites: list[SamplingSite]
    filters: SiteFilterForm
    too_small: dict[int, str]
    none_fit: bool


def site_list(args: MultiDict[str, str], places: int) -> SiteList:
    """The sites page's list for a party of `places` people, filtered by the `city` and `district`
    query arguments (`args`; an unknown city or district is ignored). A city includes its
    districts, counties and county-level cities (`portal.sampling.places.filter_area`)."""
    sites = db.session.scalars(
        select(SamplingSite)
        .where(SamplingSite.active.is_(True))
        .order_by(SamplingSite.province, SamplingSite.city, SamplingSite.id)
        .options(selectinload(SamplingSite.opening_periods))  # one query for all sites' hours
    ).all()
    filters = SiteFilterForm(args)
    area = {site.id: filter_area(site.province, site.city, site.district) for site in sites}
    cities = sorted({area[site.id][0] for site in sites})
    city = filters.city.data if filters.city.data in cities else ""
    districts = sorted({area[site.id][1] for site in sites if area[site.id][1] and (not city or area[site.id][0] == city)})  # type: ignore[type-var]  # empty names are left out
    district = filters.district.data if filters.district.data in districts else ""
    filters.city.choices = [SelectChoice("", _("All cities"))] + [SelectChoice(c, c) for c in cities]
    filters.district.choices = [SelectChoice("", _("All districts"))] + [SelectChoice(d, d) for d in districts]
    filters.city.data, filters.district.data = city, district
    shown = [site for site in sites
             if (not city or area[site.id][0] == city) and (not district or area[site.id][1] == district)]
    # A party larger than a site's places per time can never book there: say so before the person
    # picks it, instead of showing no free days (or, for a forced time, "just taken").
    too_small = {site.id: party_too_large_message(site.places_per_slot) for site in shown
                 if site.places_per_slot < places}
    return SiteList(shown, filters, too_small, bool(shown) and len(too_small) == len(shown))

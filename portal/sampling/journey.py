"""The order of the web booking journey's pages, as plain functions of the answers so far.

The steps, in order (STEPS): "who" is booking and how many people will give a sample; "about"
the person looked for (or, for someone seeking their birth family, what they remember);
"attendees", the people who will come, each with an identity document (an agency names its
contact and the person whose identity is unknown instead); "time" (a site, then a day, then a
time); "consent"; and "check", the check-your-answers page where the booking is made. An agency
skips "about": it knows nothing of a family.

`answers` is the draft's dict (portal.sampling.draft): `role` (an ApplicantRole value),
`party_size` (1 to 4), `case`, `agency`, `attendees` (a list of dicts), `site_id`, `slot_id`,
`consent`, `guardian_consent`. Nothing here reads a request or builds a URL: the pages in
portal/web/sampling turn a step into an address.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import ApplicantRole, SamplingSite, Slot
from portal.core.query_args import MAX_ID
from portal.sampling.booking import MINIMUM_AGE_WITHOUT_GUARDIAN, AttendeeDetails, BookingError, check_slot_takes
from portal.sampling.slots import horizon, local_day

STEPS: tuple[str, ...] = ("who", "about", "attendees", "time", "consent", "check")


def party_size(answers: dict[str, Any]) -> int:
    """How many places the draft's party needs (1 to 4)."""
    if answers.get("role") == ApplicantRole.AGENCY:
        return 1
    return len(answers.get("attendees") or []) or int(answers.get("party_size") or 1)


def applies(step: str, answers: dict[str, Any]) -> bool:
    """Whether `step` is asked, given the answers so far: every step but "about" for an agency."""
    if step == "about":
        return answers.get("role") != ApplicantRole.AGENCY
    return step in STEPS


def next_step(step: str, answers: dict[str, Any]) -> str:
    """The first step after `step` that applies."""
    index = STEPS.index(step)
    for candidate in STEPS[index + 1 :]:
        if applies(candidate, answers):
            return candidate
    return "check"


def first_missing(answers: dict[str, Any], upto: str) -> str | None:
    """The first step before `upto` (one of STEPS) whose answers are missing, or None when every
    earlier step is answered."""
    role = answers.get("role")
    people = answers.get("attendees") or []
    needs = {
        "who": bool(role),
        "about": role == ApplicantRole.AGENCY or bool(answers.get("case")),
        # A party made bigger after the people were named needs the new people named too.
        "attendees": bool(answers.get("agency")) if role == ApplicantRole.AGENCY
        else bool(people) and len(people) >= int(answers.get("party_size") or 1),
        "time": bool(answers.get("slot_id")),
        "consent": bool(answers.get("consent")),
    }
    for step in STEPS[: STEPS.index(upto)]:
        if not needs[step]:
            return step
    return None


def people_from(answers: dict[str, Any]) -> list[AttendeeDetails]:
    """The draft's attendees as the booking domain takes them."""
    if answers.get("role") == ApplicantRole.AGENCY:
        agency = answers.get("agency") or {}
        return [AttendeeDetails(
            None, ApplicantRole.AGENCY, None, None, identity_unknown=True,
            description={"age": agency.get("person_age"), "sex": agency.get("person_sex"),
                         "cared_for_at": agency.get("cared_for_at")},
        )]
    return [
        AttendeeDetails(person["name"], person["relationship"], person["document_number"], person.get("phone") or None,
                        document_type=person["document_type"])
        for person in answers.get("attendees") or []
    ]


def needs_guardian(answers: dict[str, Any], slot: Slot) -> bool:
    """True when someone in the party is younger than MINIMUM_AGE_WITHOUT_GUARDIAN (14) on the
    slot's local day."""
    day = local_day(slot.site, slot.starts_at)
    for person in people_from(answers):
        try:
            age = person.age_on(day)
        except ValueError:
            age = None
        if age is not None and age < MINIMUM_AGE_WITHOUT_GUARDIAN:
            return True
    return False


def slot_still_fits(answers: dict[str, Any]) -> Slot | None:
    """The chosen slot when it could still be booked for the party now, else None."""
    slot_id = answers.get("slot_id")
    slot = db.session.get(Slot, slot_id) if isinstance(slot_id, int) and 0 < slot_id <= MAX_ID else None
    if slot is None:
        return None
    try:
        check_slot_takes(slot, party_size(answers))
    except BookingError:
        return None
    return slot


def after_change(answers: dict[str, Any]) -> tuple[str, int | None]:
    """Where to go once a page opened from the check page's "Change" link is saved, as
    (step, site_id): ("check", None) when every answer still fits. Otherwise the first step to
    answer again, because the change made a later answer invalid (a new role, more people, a
    time that no longer fits the party, a child needing a guardian's consent): for "time",
    `site_id` is the chosen site when its other days could still take the party (None: choose a
    site again)."""
    missing = first_missing(answers, "time")
    if missing:
        return missing, None
    slot = slot_still_fits(answers)
    if slot is None:
        site_id = answers.get("site_id")
        site = db.session.get(SamplingSite, site_id) if isinstance(site_id, int) and site_id <= MAX_ID else None
        if site is not None and site.active and site.places_per_slot >= party_size(answers):
            return "time", site.id
        return "time", None
    if not answers.get("consent") or (needs_guardian(answers, slot) and not answers.get("guardian_consent")):
        return "consent", None
    return "check", None


def bookable_day(site: SamplingSite, text: str) -> date | None:
    """The local day named by `text` (YYYY-MM-DD) when it is between the site's local today and
    its booking horizon, else None (far dates would also overflow the day arithmetic)."""
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        return None
    today = clock.local_today(site.timezone)
    last = today + max(horizon(site), timedelta(days=1))
    if not today <= chosen <= min(last, today + timedelta(days=366)):
        return None
    return chosen

"""The order of the tip journey's questions, as plain functions of the answers so far.

One question (or one small group of related questions) per page, GOV.UK style. The "where"
questions are a chain: province, then city (skipped for the four municipalities, whose next
level is the district), then district (skipped when the chosen city has none), then a free-text
place. Answering "I do not know" at any level skips the levels under it.
"""

from __future__ import annotations

from typing import Any

from portal.core import regions

STEPS: tuple[str, ...] = ("danger", "what", "province", "city", "district", "place", "when", "who", "photos", "contact")
UNKNOWN = "unknown"
# Steps whose answers are needed before the report can be sent.
REQUIRED: dict[str, tuple[str, ...]] = {"danger": ("child_in_danger",), "what": ("category", "description")}


def _city_choices(answers: dict[str, Any]) -> tuple[regions.Division, ...]:
    province = regions.division(answers.get("province"))
    if province is None:
        return ()
    return tuple(d for d in regions.children_of(province.code) if d.level == 2)


def district_parent(answers: dict[str, Any]) -> regions.Division | None:
    """The division whose districts the district question offers: the chosen city, or a
    municipality chosen as the province; None when the question does not apply."""
    province = regions.division(answers.get("province"))
    if province is None:
        return None
    if not _city_choices(answers):
        # A municipality: its children are districts.
        return province if regions.children_of(province.code) else None
    city = regions.division(answers.get("city"))
    if city is None or city.parent != province.code:
        return None
    return city if regions.children_of(city.code) else None


def applies(step: str, answers: dict[str, Any]) -> bool:
    """Whether `step` is asked, given the answers so far."""
    if step == "city":
        return bool(_city_choices(answers))
    if step == "district":
        return district_parent(answers) is not None
    return step in STEPS


def next_step(step: str, answers: dict[str, Any]) -> str:
    """The step after `step` that applies, or 'check' after the last one."""
    index = STEPS.index(step)
    for candidate in STEPS[index + 1 :]:
        if applies(candidate, answers):
            return candidate
    return "check"


def previous_step(step: str, answers: dict[str, Any]) -> str | None:
    """The step before `step` that applies ('contact' before 'check'), or None for the first."""
    if step == "check":
        return STEPS[-1]
    index = STEPS.index(step)
    for candidate in reversed(STEPS[:index]):
        if applies(candidate, answers):
            return candidate
    return None


def first_missing(answers: dict[str, Any]) -> str | None:
    """The first step whose required answers are missing, or None when the report can be sent."""
    for step, keys in REQUIRED.items():
        if any(not answers.get(key) for key in keys):
            return step
    return None


def next_after_change(step: str, answers: dict[str, Any]) -> str:
    """Where to go after changing `step` from the check page: the rest of the "where" chain when
    a level above was changed (its old answers no longer fit), otherwise back to the check page."""
    if step in ("province", "city"):
        following = next_step(step, answers)
        if following in ("city", "district"):
            return following
    return "check"

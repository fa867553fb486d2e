"""The journey's answers, read back: the rows of the check page, and the fields of the tip to create.

Answers are the draft's plain dict (see `portal.tips.drafts`); every key is optional except the
required ones named in `portal.tips.journey.REQUIRED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from flask_babel import gettext as _

from portal.core.identity import display_mobile
from portal.core.partial_dates import Precision, from_edtf, partial_date_words
from portal.core.models import TipCategory, TipPhoto
from portal.core import regions
from portal.tips.labels import CATEGORY_LABELS, SEX_LABELS, TIME_OF_DAY_LABELS
from portal.tips.service import TipDetails

WHO_FIELDS: tuple[str, ...] = (
    "child_age", "child_sex", "child_height", "child_clothing", "child_marks", "child_language",
    "adults_description", "vehicle_description", "vehicle_plate",
)


def region_question(step: str) -> str:
    """The question of a "where" page."""
    return {
        "province": _("Which province was it in?"),
        "city": _("Which city?"),
        "district": _("Which district or county?"),
    }[step]


def region_placeholder(step: str) -> str:
    """The first, empty option of a "where" list."""
    return {
        "province": _("Choose a province"),
        "city": _("Choose a city"),
        "district": _("Choose a district or county"),
    }[step]


def region_error(step: str) -> str:
    """What to do when nothing was chosen in a "where" list."""
    return {
        "province": _("Choose a province, or I do not know"),
        "city": _("Choose a city, or I do not know"),
        "district": _("Choose a district or county, or I do not know"),
    }[step]


def unknown_words() -> str:
    """The "I do not know" choice."""
    return _("I do not know")


def chosen_place(answers: dict[str, Any]) -> regions.Place:
    """The place chosen on the "where" pages (levels answered "I do not know" are None)."""
    return regions.place(answers.get("province"), answers.get("city"), answers.get("district"))


def seen_date(answers: dict[str, Any]) -> str | None:
    """The date given on the "when" page as far as the tipster knew it, as EDTF (2026-11-03,
    2026-11, 2026~...; portal.core.partial_dates), or None when not given.

    A draft saved before the page had one box holds the three boxes' answers (seen_day,
    seen_month, seen_year) instead: they are read as a day while such a draft lives."""
    if "seen_date" in answers:
        return answers["seen_date"] or None
    try:
        return date(int(answers["seen_year"]), int(answers["seen_month"]), int(answers["seen_day"])).isoformat()
    except (KeyError, TypeError, ValueError):
        return None


def seen_words(seen_date_edtf: str | None, seen_time: str | None, language: str | None = None) -> str | None:
    """When it was seen, in words, or None when neither the date nor the time was given.

    `seen_date_edtf`: the date as far as the tipster knew it (EDTF); an exact day is written with
    its weekday. `seen_time`: a key of TIME_OF_DAY_LABELS ("not_sure" says nothing).
    "Monday 3 November 2025, Evening (6pm to 10pm)" · "2025年11月3日（星期一）傍晚（18点至22点）";
    "November 2025, Evening (6pm to 10pm)" · "2025年11月，傍晚（18点至22点）"."""
    found = from_edtf(seen_date_edtf)
    date_words = partial_date_words(seen_date_edtf, language, weekday=True) or None
    time_words = str(TIME_OF_DAY_LABELS[seen_time]) if seen_time in TIME_OF_DAY_LABELS and seen_time != "not_sure" else None
    if not (date_words and time_words):
        return date_words or time_words
    if found is not None and found.precision is Precision.DAY:
        # "Sunday 29 November 2026, Morning" · "2026年11月29日（星期日）上午": each language's own joining.
        return _("%(date)s, %(time_of_day)s", date=date_words, time_of_day=time_words)
    # Not a day: Chinese needs a comma too ("2026年11月，上午", not "2026年11月上午").
    return _("%(partial_date)s, %(time_of_day)s", partial_date=date_words, time_of_day=time_words)


def when_words(answers: dict[str, Any], language: str | None = None) -> str | None:
    """The answers of the "when" page in words (see `seen_words`), or None when not given."""
    return seen_words(seen_date(answers), answers.get("seen_time"), language)


def _lines(pairs: list[tuple[str, Any]]) -> str:
    return "\n".join(_("%(label)s: %(value)s", label=label, value=value) for label, value in pairs if value)


def child_words(answers: dict[str, Any]) -> str:
    """The answers about the child, one per line with their labels."""
    sex = answers.get("child_sex")
    return _lines([
        (_("Age"), answers.get("child_age")),
        (_("Girl or boy"), str(SEX_LABELS[sex]) if sex in SEX_LABELS else None),
        (_("Height"), answers.get("child_height")),
        (_("Clothes"), answers.get("child_clothing")),
        (_("How to recognise them"), answers.get("child_marks")),
        (_("Language or dialect"), answers.get("child_language")),
    ])


def vehicle_words(answers: dict[str, Any]) -> str:
    """The vehicle and its number plate, one per line with their labels."""
    return _lines([(_("Vehicle"), answers.get("vehicle_description")), (_("Number plate"), answers.get("vehicle_plate"))])


@dataclass(frozen=True)
class CheckRow:
    """One row of the check page: question, answer, and where its Change link goes."""

    key: str
    value: str
    href: str
    change_hint: str


def check_rows(answers: dict[str, Any], photos: list[TipPhoto], step_url: Callable[..., str]) -> list[CheckRow]:
    """The check page's rows, in the order of the journey; every Change link returns to the check page."""
    not_given = _("Not given")

    def row(key: str, value: Any, step: str, hint: str) -> CheckRow:
        return CheckRow(key=key, value=str(value) if value else not_given, href=step_url(step, change=True), change_hint=hint)

    category = answers.get("category")
    try:
        category_words = CATEGORY_LABELS[TipCategory(category or "")]
    except ValueError:
        category_words = None
    place = chosen_place(answers)
    danger = {"yes": _("Yes"), "no": _("No")}.get(answers.get("child_in_danger", ""))
    phone = display_mobile(answers.get("contact_phone"))
    return [
        row(_("Is a child in danger right now?"), danger, "danger", _("whether a child is in danger")),
        row(_("What your report is about"), category_words, "what", _("what your report is about")),
        row(_("What you saw"), answers.get("description"), "what", _("what you saw")),
        row(_("Province, city and district"), place.names or _("I do not know"), "province", _("the province, city and district")),
        row(_("Where exactly"), answers.get("place"), "place", _("where exactly")),
        row(_("When"), when_words(answers) or _("Not sure"), "when", _("when")),
        row(_("The child"), child_words(answers), "who", _("the child")),
        row(_("The adults with the child"), answers.get("adults_description"), "who", _("the adults")),
        row(_("Vehicle"), vehicle_words(answers), "who", _("the vehicle")),
        row(_("Photos"), _("Photos: %(num)s", num=len(photos)) if photos else _("None"), "photos", _("the photos")),
        row(_("Your name"), answers.get("contact_name"), "contact", _("your name")),
        row(_("Your mobile number"), phone, "contact", _("your mobile number")),
        row(
            _("Text messages from the police"),
            _("Yes") if answers.get("may_contact_by_sms") else _("No"),
            "contact",
            _("whether the police may send you text messages"),
        ),
    ]


@dataclass(frozen=True)
class TipFields:
    """The answers as the tip stores them."""

    answers: dict[str, Any]

    @property
    def seen_when(self) -> str | None:
        """When, in words, in the language of the journey (staff read it as the tipster wrote it)."""
        return when_words(self.answers)

    def details(self, language: str) -> TipDetails:
        """The structured answers (where, when, who) for `create_tip`."""
        place = chosen_place(self.answers)
        time_key = self.answers.get("seen_time")
        sex = self.answers.get("child_sex")
        return TipDetails(
            region_code=place.code,
            region_name=place.names or None,
            seen_date=seen_date(self.answers),
            seen_time=time_key if time_key in TIME_OF_DAY_LABELS else None,
            child_age=self.answers.get("child_age") or None,
            child_sex=sex if sex in SEX_LABELS else None,
            child_height=self.answers.get("child_height") or None,
            child_clothing=self.answers.get("child_clothing") or None,
            child_marks=self.answers.get("child_marks") or None,
            child_language=self.answers.get("child_language") or None,
            adults_description=self.answers.get("adults_description") or None,
            vehicle_description=self.answers.get("vehicle_description") or None,
            vehicle_plate=self.answers.get("vehicle_plate") or None,
            language=language,
        )


def tip_fields(answers: dict[str, Any]) -> TipFields:
    """Wrap the answers for `create_tip`."""
    return TipFields(answers)


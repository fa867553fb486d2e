"""Every hotline reply fits in two segments and every booking notice in three
(docs/writing.md#how-long-an-sms-may-be), with the longest real values.

Every public function of `portal.hotline.replies` (each takes `language` last and returns the text),
every `*_text` notice of `portal.sampling.notices`, the staff question notice and the duty alert
are rendered in Chinese and English and counted with `portal.core.sms.segments` (Twilio's rules).

Arguments are found by PARAMETER NAME in `longest_values(language)`: the longest site name and
city in the real site list (portal/demo/sampling-sites-nantong-2021.csv), a reference and a
follow-up code (all have the same length), the longest date and time the hotline writes, and so
on. A new template whose parameters have conventional names needs nothing here; one that needs
a particular value gets an entry in OVERRIDES. The guard tests fail, naming the template and the
parameter, when a public template has a parameter that no sample covers.
"""

from __future__ import annotations

import csv
import inspect
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import ModuleType
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.i18n import DEFAULT_TIMEZONE, format_clock, format_day, format_local_datetime, format_local_datetime_without_year
from portal.core.intake import new_item
from portal.core.models import Channel, ItemKind, OutboundMessage, Priority
from portal.demo.commands import DEMO_SITES_CSV
from portal.sampling import notices
from portal.sampling.notices import person_words
from portal.sampling.importer import DEFAULT_SLOT_MINUTES, parse_weekday_hours
from portal.core.security.references import new_follow_up_code, new_reference
from portal.hotline import replies
from portal.hotline.flows.cancel import CANCEL_CHOICES
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, count, fits_segments, fits_two_segments
from portal.staff.questions import question_sms
from portal.triage.alerts import alert_duty_officers

LANGUAGES = ("zh", "en")
# The portal's own address is a deployment setting (PUBLIC_BASE_URL); this stands for a typical
# government host name, longer than most.
LONG_PUBLIC_BASE_URL = "https://tuanyuan.police.nantong.gov.cn"
# The web accepts names up to 100 characters, but an SMS should not repeat one (no personal data
# beyond the reference, the site and the time: docs/writing.md#nothing-personal-in-a-message).
# Where a template does, this is a long real name: a Uyghur given name and father's name, written
# in Chinese with the middle dot.
LONG_NAME = "买买提艾力·阿卜杜热合曼"
# Numbers shown in a reply (how many sites, which page): two digits cover any city's list.
LONG_NUMBER = 99
# How many numbered choices one message offers (sites, cities, days, times). The flows may define
# their own: `replies.OPTIONS_PER_MESSAGE` is used when it exists.
OPTIONS_PER_MESSAGE = getattr(replies, "OPTIONS_PER_MESSAGE", 3)


@lru_cache(maxsize=1)
def _site_rows() -> tuple[dict[str, str], ...]:
    with DEMO_SITES_CSV.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def _longest_first(values: list[str]) -> list[str]:
    """Distinct values, longest first; equals keep the file's order."""
    return sorted(dict.fromkeys(values), key=len, reverse=True)


def _slot_clocks() -> list[time]:
    """Every slot start the real sites publish (their weekday hours, in DEFAULT_SLOT_MINUTES steps)."""
    clocks = set()
    for row in _site_rows():
        for opens, closes in parse_weekday_hours(row["weekday_hours"]):
            moment = datetime.combine(date(2000, 1, 3), opens)
            while moment.time() < closes:
                clocks.add(moment.time())
                moment += timedelta(minutes=DEFAULT_SLOT_MINUTES)
    return sorted(clocks)


def _longest(texts: list[tuple[str, Any]]) -> Any:
    """The value whose text is longest (the first of equals), from (text, value) pairs."""
    return max(texts, key=lambda pair: len(pair[0]))[1]


@lru_cache(maxsize=2)
def _longest_day_and_clock(language: str) -> tuple[date, time]:
    """The date (over a whole year) and slot time whose written forms are longest in `language`."""
    start = date(date.today().year, 1, 1)
    days = [start + timedelta(days=n) for n in range(366)]
    day = _longest([(format_day(d, language), d) for d in days])
    clock = _longest([(format_clock(c, language), c) for c in _slot_clocks()])
    return day, clock


def longest_values(language: str) -> dict[str, Any]:
    """Sample arguments by parameter name: the longest real value of each, written for `language`."""
    site_names = _longest_first([row["name"] for row in _site_rows()])
    cities = _longest_first([row["city"] for row in _site_rows()])
    day, clock = _longest_day_and_clock(language)
    instant = datetime.combine(day, clock, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    page_of_days = [format_day(day, language)] * OPTIONS_PER_MESSAGE
    page_of_times = [format_clock(clock, language)] * OPTIONS_PER_MESSAGE
    return {
        # Every reference and code has the same length and only GSM basic characters.
        "reference": new_reference(),
        "follow_up_code": new_follow_up_code(),
        "code": new_follow_up_code(),
        "site_name": site_names[0],
        "site": site_names[0],
        "city": cities[0],
        # Where a notice says the site is: its address, or (the published lists give none) its
        # city; the longest real one is a city the site's name does not contain.
        "place": cities[0],
        # How many people a booking is for: two or more get the longer, plural advice.
        "people": 2,
        "when": format_local_datetime(instant, DEFAULT_TIMEZONE, language),
        "day": format_day(day, language),
        "time": format_clock(clock, language),
        "name": LONG_NAME,
        # A page of numbered choices: the longest of all, a page of the longest site names.
        "options": site_names[:OPTIONS_PER_MESSAGE],
        "sites": site_names[:OPTIONS_PER_MESSAGE],
        "cities": cities[:OPTIONS_PER_MESSAGE],
        "days": page_of_days,
        "times": page_of_times,
        "count": LONG_NUMBER,
        "page": LONG_NUMBER,
        "pages": LONG_NUMBER,
        "base_url": LONG_PUBLIC_BASE_URL,
        "url": f"{LONG_PUBLIC_BASE_URL}/tips/status",
        "manage_url": f"{LONG_PUBLIC_BASE_URL}{notices.MANAGE_PATH}",
        # A lock lasts FOLLOW_UP_LOCK_MINUTES (30 by default): any two-digit setting.
        "minutes": LONG_NUMBER,
        # Wrong follow-up codes warn at 2 tries left, then 1 (portal.tips.followup.WARN_WHEN_TRIES_LEFT).
        "tries_left": 2,
        # The longest list of upcoming bookings one phone can hold, each with its local time.
        "bookings": [(new_reference(), format_local_datetime_without_year(instant, DEFAULT_TIMEZONE, language))]
        * CANCEL_CHOICES,
    }


# Per-template samples, for a parameter whose conventional name does not say its longest value:
# {"function_name": {"parameter": value}}. A value may be a function of the language.
def _longest_booking_note(language: str) -> str:
    """The longest note the booking flow puts before a question it asks again."""
    return max((getattr(replies, name)(language) for name in dir(replies) if name.startswith("book_note_")), key=len)


def _one_longest(key: str) -> Callable[[str], list[str]]:
    # The booking flow pages its lists by rendered length (book.page_of, tested below and in
    # tests/hotline/flows/test_book.py): a page always has room for one option, so render one, the longest.
    return lambda language: longest_values(language)[key][:1]


def _people(count: int) -> Callable[[str], list[str]]:
    # The longest way an SMS names a person of the booking (never by name: notices.person_words).
    return lambda language: [person_words(n, "seeking_birth_family", language) for n in range(1, count + 1)]


_BOOKING_LIST = {"first": LONG_NUMBER, "more": True, "note": _longest_booking_note}
OVERRIDES: dict[str, dict[str, Any]] = {
    "book_ask_role": {"note": _longest_booking_note},
    "book_ask_city": {**_BOOKING_LIST, "cities": _one_longest("cities")},
    "book_ask_site": {**_BOOKING_LIST, "sites": _one_longest("sites")},
    "book_ask_day": {**_BOOKING_LIST, "days": _one_longest("days")},
    "book_ask_time": {**_BOOKING_LIST, "times": _one_longest("times")},
    # In English a Chinese site name would make the text UCS-2: the flow then leaves the name out
    # (the question before names the site), as `site=None`.
    # A family of four closed with every one of them not sampled (the longest list of people).
    "visit_closed_text": {"not_sampled": _people(4), "any_sampled": True, "belongings": lambda language: []},
    "sampled_after_all_text": {"person": lambda language: _people(4)(language)[-1]},
    "book_confirm": {"note": _longest_booking_note, "id_last4": "123X",
                     "site": lambda language: longest_values(language)["site"] if language == "zh" else None},
}


def templates(module: ModuleType, suffix: str = "") -> list[Callable[..., str]]:
    """The public functions defined in `module` (whose names end with `suffix`)."""
    return [
        function for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_") and name.endswith(suffix)
    ]


REPLY_TEMPLATES = templates(replies)
NOTICE_TEMPLATES = templates(notices, suffix="_text")


def missing_samples(function: Callable[..., str]) -> list[str]:
    """Problems that stop `function` from being rendered by name: its last parameter is not
    `language`, or a parameter has no sample."""
    parameters = list(inspect.signature(function).parameters)
    problems = []
    if not parameters or parameters[-1] != "language":
        problems.append(f"{function.__name__}: its last parameter must be `language`")
    known = set(longest_values("en")) | set(OVERRIDES.get(function.__name__, {}))
    problems += [
        f"{function.__name__}: no sample for parameter `{name}` (add it to longest_values or OVERRIDES)"
        for name in parameters[:-1] if name not in known and name != "language"
    ]
    return problems


def render(function: Callable[..., str], language: str) -> str:
    """`function` rendered in `language` with the longest value of each parameter."""
    values = {**longest_values(language), **OVERRIDES.get(function.__name__, {})}
    names = list(inspect.signature(function).parameters)[:-1]
    arguments = [values[name](language) if callable(values[name]) else values[name] for name in names]
    return function(*arguments, language)


def assert_fits(template: str, language: str, text: str) -> None:
    measured = count(text)
    assert fits_two_segments(text), (
        f"{template} in {language!r} is {measured.segments} SMS segments ({measured.encoding}, "
        f"{measured.units} units), more than two: {text!r}"
    )


def test_the_samples_come_from_the_real_site_list():
    values = longest_values("zh")
    assert values["site_name"] == "启东市公安局汇龙镇中心派出所"
    assert values["city"] == "南通市通州区"
    assert values["when"] == f"{values['day']}{values['time']}"
    assert len(values["time"]) == len("上午10:40")
    assert len(values["day"]) == len("2026年12月30日（星期三）")
    assert len(longest_values("en")["day"]) == len("Wednesday 30 September 2026")


def test_every_reply_template_takes_language_last_and_has_a_sample_for_each_parameter():
    assert REPLY_TEMPLATES, "portal.hotline.replies defines no public function"
    problems = [problem for function in REPLY_TEMPLATES for problem in missing_samples(function)]
    assert not problems, "portal.hotline.replies:\n" + "\n".join(problems)


def test_every_notice_template_has_a_sample_for_each_parameter():
    assert NOTICE_TEMPLATES
    problems = [problem for function in NOTICE_TEMPLATES for problem in missing_samples(function)]
    assert not problems, "portal.sampling.notices:\n" + "\n".join(problems)


def test_overrides_name_only_templates_that_exist():
    names = {function.__name__ for function in REPLY_TEMPLATES + NOTICE_TEMPLATES}
    assert not set(OVERRIDES) - names, f"OVERRIDES for templates that no longer exist: {set(OVERRIDES) - names}"


# Templates known to run past two segments, each with why: the test is expected to fail for
# them (strictly: it fails, asking for the entry to be removed, once the template is fixed).
KNOWN_TOO_LONG: dict[tuple[str, str], str] = {}


def _cases(functions: list[Callable[..., str]]) -> list[Any]:
    return [
        pytest.param(function, language, id=f"{function.__name__}-{language}",
                     marks=[pytest.mark.xfail(strict=True, reason=KNOWN_TOO_LONG[function.__name__, language])]
                     if (function.__name__, language) in KNOWN_TOO_LONG else [])
        for function in functions for language in LANGUAGES
    ]


@pytest.mark.parametrize(("function", "language"), _cases(REPLY_TEMPLATES))
def test_reply_fits_two_segments_with_the_longest_values(app, function, language):
    if missing_samples(function):
        pytest.fail("; ".join(missing_samples(function)))
    assert_fits(f"replies.{function.__name__}", language, render(function, language))


# Booking notices may take three segments: they carry the site's place and how to change or
# cancel (docs/writing.md#how-long-an-sms-may-be). The "sample taken" message is no booking notice.
TWO_SEGMENT_NOTICES = {"checked_in_text"}


@pytest.mark.parametrize(("function", "language"), _cases(NOTICE_TEMPLATES))
def test_booking_notice_fits_three_segments_with_the_longest_values(app, function, language):
    if missing_samples(function):
        pytest.fail("; ".join(missing_samples(function)))
    text = render(function, language)
    if function.__name__ in TWO_SEGMENT_NOTICES:
        assert_fits(f"notices.{function.__name__}", language, text)
        return
    measured = count(text)
    assert fits_segments(text, MAX_NOTICE_SEGMENTS), (
        f"notices.{function.__name__} in {language!r} is {measured.segments} SMS segments ({measured.encoding}, "
        f"{measured.units} units), more than three: {text!r}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_question_notice_fits_two_segments(app, language):
    text = question_sms(new_reference(), language, LONG_PUBLIC_BASE_URL)
    assert_fits("staff.questions.question_sms", language, text)


def test_the_urgent_tip_alert_to_duty_officers_fits_two_segments(app_factory):
    app = app_factory(duty_phone_numbers=("+8613800138000",))
    with app.app_context():
        item = new_item(ItemKind.TIP, Channel.SMS, priority=Priority.URGENT, deadline_days=7)
        db.session.flush()
        assert alert_duty_officers(item) is not None
        reference = item.reference
        body = db.session.scalars(select(OutboundMessage.body).where(OutboundMessage.item_id == item.id)).one()
        db.session.rollback()
    assert reference in body
    assert_fits("triage.alerts.alert_duty_officers", "zh", body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_the_longest_real_site_list_fits_two_segments(app, language):
    from portal.hotline.flows.book import page_of

    values = longest_values(language)
    names = _longest_first([row["name"] for row in _site_rows()])
    note = _longest_booking_note(language)
    start, shown = 0, ""
    while True:
        page = page_of(names, start, lambda labels, first, more: replies.book_ask_site(
            values["city"], labels, first, more, note, language))
        assert_fits("book_ask_site", language, page.text)
        shown += page.text
        if not page.next_start:
            break
        start = page.next_start
    assert all(name in shown for name in names)  # every site on some page, none cut short

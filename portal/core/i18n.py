"""Language: Simplified Chinese (default) and English, from a cookie or the browser's Accept-Language.

The switcher on every page links to `/language/<code>`, which sets the cookie and returns to the
page; on a question page of the tip and booking journeys it is a button of the page's own form
instead, so that what was typed is kept (`portal/web/language.py`). Both set the cookie with
`remember_language`. `<html lang>` comes from `html_lang()`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import Flask, current_app, g, request
from flask_babel import format_timedelta, get_locale, gettext
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.core.extensions import babel
from portal.core.redaction_marks import show_marks, show_marks_html

LANGUAGES = ("zh", "en")
LANGUAGE_COOKIE = "lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
# Sampling sites and the campaign are in mainland China; each site can name its own zone.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def select_locale() -> str:
    """The visitor's language: the `lang` cookie if valid, else the best Accept-Language match, else Chinese."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def remember_language(response: Response, code: str) -> Response:
    """Set the language cookie to `code` ('zh' or 'en'; anything else is ignored) for a year on
    `response`. HttpOnly, SameSite=Lax, and Secure wherever the session cookie is (production),
    so that it never travels over plain HTTP, where it would tell an onlooker which language a
    visitor of this site reads."""
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def current_language() -> str:
    """'zh' or 'en' for the current request."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def html_lang() -> str:
    """The BCP 47 tag for `<html lang>`: zh-CN or en."""
    return HTML_LANG[current_language()]


def time_ago(elapsed: timedelta) -> str:
    """How long ago something happened, `elapsed` before now, in the current language: "just now"
    (刚刚) under a minute (a negative `elapsed`, a clock a little ahead, too), else whole minutes,
    hours or days in Babel's words ("2 minutes ago", "3 hours ago", "2天前": the largest unit of
    which there are at least 2). Seconds are never shown. The one "… ago" of the staff console:
    the urgent banner (drawn by the server and in the live alerts' JSON) and the queue's last
    activity."""
    if elapsed < timedelta(minutes=1):
        return gettext("just now")
    return format_timedelta(-elapsed, add_direction=True, threshold=2, granularity="minute")


def format_local_datetime(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Format a UTC instant in the site's local time with date, weekday and time (docs/writing.md#dates-and-times).

    zh: 2026年12月3日（星期四）上午9:20 · en: Thursday 3 December 2026, 9:20am.
    `instant` must be timezone-aware; `tz` is an IANA zone name.
    """
    language = language or current_language()
    day = format_local_date(instant, tz, language)
    clock = format_local_time(instant, tz, language)
    return f"{day}{clock}" if language == "zh" else f"{day}, {clock}"


def format_local_datetime_without_year(
    instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None
) -> str:
    """Like `format_local_datetime` without the year, for a numbered list of times in one SMS
    (the weekday keeps each date unambiguous within the booking horizon):
    12月3日（星期四）上午9:20 · Thursday 3 December, 9:20am. `instant` timezone-aware; `tz` IANA."""
    language = language or current_language()
    day = instant.astimezone(ZoneInfo(tz)).date()
    pattern = "M月d日（EEEE）" if language == "zh" else "EEEE d MMMM"
    written = format_date(day, pattern, locale=_babel_locale(language))
    clock = format_local_time(instant, tz, language)
    return f"{written}{clock}" if language == "zh" else f"{written}, {clock}"


def format_local_date(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Date with weekday in the site's local time: 2026年12月3日（星期四） · Thursday 3 December 2026."""
    return format_day(instant.astimezone(ZoneInfo(tz)).date(), language)


def format_local_time(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Clock time in the site's local time: 上午9:20 · 9:20am (see `format_clock`)."""
    return format_clock(instant.astimezone(ZoneInfo(tz)).time(), language)


def format_clock(clock: time, language: str | None = None) -> str:
    """A wall-clock time (already local), written the one way every page writes times:
    上午9:20, 中午12:30, 下午5:00 · 9:20am, midday, 12:30pm, 5:00pm (midnight for 00:00).

    Chinese takes its 上午/下午 from CLDR (via Babel) but says 中午 for the hour from 12:00, where
    CLDR's plain am/pm marker would say 下午12:00. English follows GOV.UK: midday and midnight
    rather than 12pm and 12am, which many readers confuse.
    """
    language = language or current_language()
    if language == "zh":
        if clock.hour == 12:
            return f"中午{clock:%H:%M}"
        if clock.hour == 0 and clock.minute == 0:
            return "午夜12:00"
        return format_time(clock, "ah:mm", locale="zh_Hans_CN")
    if clock.minute == 0 and clock.hour in (0, 12):
        return "midday" if clock.hour == 12 else "midnight"
    return f"{clock:%I:%M}".lstrip("0") + ("am" if clock.hour < 12 else "pm")


def format_hours(opens: time, closes: time, language: str | None = None) -> str:
    """Opening hours written like every other time: 上午9:00–下午5:00 · 9:00am–5:00pm."""
    return f"{format_clock(opens, language)}–{format_clock(closes, language)}"


def _babel_locale(language: str) -> str:
    return "zh_Hans_CN" if language == "zh" else "en"


def format_day(day: date, language: str | None = None) -> str:
    """A calendar date with its weekday: 2026年12月3日（星期四） · Thursday 3 December 2026."""
    language = language or current_language()
    pattern = "y年M月d日（EEEE）" if language == "zh" else "EEEE d MMMM y"
    return format_date(day, pattern, locale=_babel_locale(language))


def format_plain_date(day: date, language: str | None = None) -> str:
    """A calendar date without its weekday (for past dates people give): 2008年6月1日 · 1 June 2008."""
    language = language or current_language()
    pattern = "y年M月d日" if language == "zh" else "d MMMM y"
    return format_date(day, pattern, locale=_babel_locale(language))


def weekday_name(weekday: int, language: str | None = None) -> str:
    """The weekday's full name from CLDR (via Babel): 0 → 星期一 · Monday."""
    return str(get_day_names("wide", locale=_babel_locale(language or current_language()))[weekday])


def join_list(items: list[str], language: str | None = None) -> str:
    """Join items the way the language does (CLDR list patterns): 甲、乙和丙 · A, B and C."""
    return format_list(list(items), locale=_babel_locale(language or current_language()))


def format_file_size(byte_count: int, language: str | None = None) -> str:
    """A file's size for reading, in the units people know (1 KB = 1,024 bytes, as operating
    systems show them): "820 bytes", "350 KB", "1.2 MB" · "820字节", "350 KB", "1.2 MB"."""
    language = language or current_language()
    locale = _babel_locale(language)
    if byte_count < 1024:
        number = format_decimal(byte_count, locale=locale)
        return f"{number}字节" if language == "zh" else f"{number} bytes"
    if byte_count < 1024 * 1024:
        return f"{format_decimal(round(byte_count / 1024), locale=locale)} KB"
    return f"{format_decimal(round(byte_count / (1024 * 1024), 1), format='#,##0.#', locale=locale)} MB"


def word_space(language: str | None = None) -> str:
    """The space between words or sentences: " " in English, none in Chinese (so 电话。如果 and
    “地方？（选填）” have no space: full-width punctuation, docs/writing.md#simplified-chinese)."""
    return "" if (language or current_language()) == "zh" else " "


def sentences(*parts: str) -> Markup:
    """Translated sentences (or a phrase and its bracketed note) shown one after another: joined
    by a space in English and directly in Chinese. Parts are escaped unless already Markup."""
    return Markup(word_space()).join(Markup.escape(part) for part in parts if part)  # noqa: S704 - a space or nothing


def tel_link(number: str) -> Markup:
    """A `tel:` link for a phone number, to place inside a translated sentence as %(number)s,
    so that each language keeps its own punctuation around it."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return Markup('<a href="tel:{}">{}</a>').format(digits, number)


def sms_link(number: str) -> Markup:
    """An `sms:` link (opens a new text message to `number`), placed like `tel_link`: for the
    12110 text-message line, which is for people who cannot speak, so it must not dial."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return Markup('<a href="sms:{}">{}</a>').format(digits, number)


def language_switch_next() -> str:
    """Where the language switch returns to (its `next`): the page as it is for a GET. A page
    shown in answer to a POST (a form refused) returns to its GET page: the one a view named in
    `g.language_return`, else the same path if it answers GET, else the page the form was
    posted from (the referrer, when it is on this site), else the start page. A POST-only URL
    opened by a GET would be 404."""
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    named = g.get("language_return")
    if named:
        return str(named)
    adapter = current_app.create_url_adapter(request)
    if adapter is not None:
        try:
            adapter.match(request.path, method="GET")
        except HTTPException:
            pass
        else:
            return request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return "/"


@pass_eval_context
def _show_marks_in_output(context: EvalContext, value: object) -> object:
    """The Jinja `finalize` hook: `show_marks_html` where the template escapes HTML, else `show_marks`."""
    return show_marks_html(value) if context.autoescape else show_marks(value)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel's locale selection, the template helpers for language and dates, and the
    showing of removed passages (`portal.core.redaction_marks`) in every template's output."""
    babel.init_app(app, locale_selector=select_locale)
    # Every value a template prints shows a removed passage's mark in the reader's language
    # (on an HTML page, set apart from typed words; in a plain-text template, the words only).
    app.jinja_env.finalize = _show_marks_in_output
    app.jinja_env.globals.update(
        html_lang=html_lang, current_language=current_language, LANGUAGES=LANGUAGES, tel_link=tel_link, sms_link=sms_link,
        join_list=join_list, format_day=format_day, format_plain_date=format_plain_date,
        word_space=word_space, sentences=sentences, language_switch_next=language_switch_next,
    )
    app.jinja_env.filters.update(
        local_datetime=format_local_datetime, local_date=format_local_date, local_time=format_local_time, clock=format_clock,
        file_size=format_file_size,
    )

"""Language: Simplified Chinese (default) and English, from a cookie or the browser's Accept-Language.

The switcher on every page links to `/language/<code>`, which sets the cookie and returns to the
page. `<html lang>` comes from `html_lang()`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.lists import format_list
from flask import Flask, request
from flask_babel import get_locale
from markupsafe import Markup

from portal.extensions import babel

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


def current_language() -> str:
    """'zh' or 'en' for the current request."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def html_lang() -> str:
    """The BCP 47 tag for `<html lang>`: zh-CN or en."""
    return HTML_LANG[current_language()]


def format_local_datetime(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Format a UTC instant in the site's local time with date, weekday and time (WRITING.md).

    zh: 2026年12月3日（星期四）上午9:20 · en: Thursday 3 December 2026, 9:20am.
    `instant` must be timezone-aware; `tz` is an IANA zone name.
    """
    language = language or current_language()
    day = format_local_date(instant, tz, language)
    clock = format_local_time(instant, tz, language)
    return f"{day}{clock}" if language == "zh" else f"{day}, {clock}"


def format_local_date(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Date with weekday in the site's local time: 2026年12月3日（星期四） · Thursday 3 December 2026."""
    return format_day(instant.astimezone(ZoneInfo(tz)).date(), language)


def format_local_time(instant: datetime, tz: str = DEFAULT_TIMEZONE, language: str | None = None) -> str:
    """Clock time in the site's local time: 上午9:20 · 9:20am."""
    language = language or current_language()
    local = instant.astimezone(ZoneInfo(tz))
    if language == "zh":
        return format_datetime(local, "ah:mm", locale="zh_Hans_CN")
    return local.strftime("%I:%M").lstrip("0") + ("am" if local.hour < 12 else "pm")


def _babel_locale(language: str) -> str:
    return "zh_Hans_CN" if language == "zh" else "en"


def format_day(day: date, language: str | None = None) -> str:
    """A calendar date with its weekday: 2026年12月3日（星期四） · Thursday 3 December 2026."""
    language = language or current_language()
    pattern = "y年M月d日（EEEE）" if language == "zh" else "EEEE d MMMM y"
    return format_date(day, pattern, locale=_babel_locale(language))


def weekday_name(weekday: int, language: str | None = None) -> str:
    """The weekday's full name from CLDR (via Babel): 0 → 星期一 · Monday."""
    return str(get_day_names("wide", locale=_babel_locale(language or current_language()))[weekday])


def join_list(items: list[str], language: str | None = None) -> str:
    """Join items the way the language does (CLDR list patterns): 甲、乙和丙 · A, B and C."""
    return format_list(list(items), locale=_babel_locale(language or current_language()))


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


def init_app(app: Flask) -> None:
    """Set up Flask-Babel's locale selection and the template helpers for language and dates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        html_lang=html_lang, current_language=current_language, LANGUAGES=LANGUAGES, tel_link=tel_link, sms_link=sms_link,
        join_list=join_list, format_day=format_day,
    )
    app.jinja_env.filters.update(
        local_datetime=format_local_datetime, local_date=format_local_date, local_time=format_local_time
    )

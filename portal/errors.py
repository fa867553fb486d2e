"""Error pages. No stack trace ever reaches a visitor. A refused form (an expired CSRF token, too
many attempts) says once, and truly, what is kept and what must be typed again."""

from __future__ import annotations

import math
import re
import time
from datetime import timedelta

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.core.extensions import limiter
from portal.core.i18n import current_language, join_list
from portal.sampling import draft as sampling_draft
from portal.staff import attachments as staff_attachments
from portal.tips.drafts import draft_in_progress
from portal.web.language import SWITCH_FIELD
from portal.web.sampling.manage import booking_found
from portal.web.tips.status_views import has_follow_up_access

# Never echoed back into a page, even as a hidden field: tokens, secrets, codes, identity and
# phone numbers. Matched on the last part of a field name, so that the fields of a repeated
# subform (`attendees-0-document_number`, `attendees-2-phone`) and variants (`contact_phone`,
# `new_password`, `totp_code`) are covered too.
_NOT_KEPT = re.compile(
    r"(^|[-_.])(csrf_token|token|secret|password\w*|\w*password|totp|code|id_number|document_number|phone)$",
    re.IGNORECASE,
)


def is_kept(field_name: str) -> bool:
    """Whether an answer named `field_name` may be written back into an error page (see _NOT_KEPT)."""
    return not _NOT_KEPT.search(field_name)


def _kept_answers() -> list[tuple[str, str]]:
    """The posted form's answers as (name, value) pairs, without tokens, secrets, identity and phone numbers."""
    return [(key, value) for key, values in request.form.lists() for value in values if is_kept(key)]


# What the page names when it leaves a typed answer out, by the field name's last part; any other
# left out is a code (a sign-in code, a token).
_LEFT_OUT_WORDS: tuple[tuple[re.Pattern[str], Callable[[], str]], ...] = (
    (re.compile(r"(^|[-_.])phone$", re.IGNORECASE), lambda: _("phone numbers")),
    (re.compile(r"(^|[-_.])(id_number|document_number)$", re.IGNORECASE), lambda: _("identity numbers")),
    (re.compile(r"(^|[-_.])follow_up_code$", re.IGNORECASE), lambda: _("follow-up codes")),
    (re.compile(r"password", re.IGNORECASE), lambda: _("passwords")),
)


def _left_out() -> str:
    """What the person typed that _kept_answers leaves out (and they must type again), in words:
    "phone numbers and identity numbers"; "" when nothing was."""
    names = [key for key, value in request.form.items(multi=True)
             if key != "csrf_token" and not is_kept(key) and value.strip()]
    kinds: list[str] = []
    for name in names:
        words = next((words for pattern, words in _LEFT_OUT_WORDS if pattern.search(name)), None)
        kind = words() if words is not None else _("codes")
        if kind not in kinds:
            kinds.append(kind)
    return join_list(kinds) if kinds else ""


@dataclass(frozen=True)
class Resend:
    """What the page for a refused form offers to send again (templates/components/resend.html).

    `kept`: (name, value) pairs for hidden fields; `action`: where the form posted to;
    `earlier_saved`: the answers of the journey's earlier pages are kept in its draft;
    `left_out`: the phone or identity numbers, codes or passwords typed, which are not kept, in
    words ("" for none); `show_again`:
    sending again opens the question page again with what was kept, to type those; `had_files`:
    files were chosen, and are not kept.
    """

    kept: list[tuple[str, str]]
    action: str
    earlier_saved: bool
    left_out: str
    show_again: bool
    had_files: bool


@dataclass(frozen=True)
class Journey:
    """Form pages whose answers build on what the browser's cookies lead back to: a journey's
    server-side draft, or a session key. Sent again without it, a page of `pages` (endpoints)
    cannot work: its view sends the person back to `start` (an endpoint), and what they typed on
    it is gone. `in_progress()` tells whether this request still has it. `lost` says, in one or
    two translated sentences, what could not be found and where to go from here (the page's title
    has said that its answers were not received); `start_words` is the link there."""

    pages: frozenset[str]
    in_progress: Callable[[], bool]
    start: str
    lost: Callable[[], str]
    start_words: Callable[[], str]
    # Its earlier pages' answers are kept server-side (a draft), not only in the session.
    drafted: bool = True


JOURNEYS: tuple[Journey, ...] = (
    Journey(
        pages=frozenset({"tips.what", "tips.province", "tips.city", "tips.district", "tips.region_search",
                         "tips.place", "tips.when", "tips.who", "tips.photos", "tips.contact", "tips.check"}),
        in_progress=draft_in_progress, start="tips.report",
        lost=lambda: _("We could not find the answers you gave before this page. Your report starts again at the "
                       "first question."),
        start_words=lambda: _("Start the report again"),
    ),
    Journey(
        pages=frozenset({"sampling.about", "sampling.attendees", "sampling.choose_time", "sampling.consent",
                         "sampling.check"}),
        in_progress=sampling_draft.in_progress, start="sampling.who",
        lost=lambda: _("We could not find the answers you gave before this page. Your booking starts again at the "
                       "first question."),
        start_words=lambda: _("Start the booking again"),
    ),
    Journey(
        pages=frozenset({"tips.status_report"}), in_progress=has_follow_up_access, start="tips.status",
        lost=lambda: _("We no longer know which report you were looking at. To see it, enter its reference number "
                       "and follow-up code again."),
        start_words=lambda: _("Find your report"), drafted=False,
    ),
    Journey(
        pages=frozenset({"sampling.manage_move", "sampling.manage_cancel"}), in_progress=booking_found,
        start="sampling.manage",
        lost=lambda: _("We no longer know which booking you were changing, so nothing was changed. To change or "
                       "cancel it, find your booking again with its reference number and mobile number."),
        start_words=lambda: _("Find your booking"), drafted=False,
    ),
)

# Question pages that keep what was typed without checking it and show themselves again when
# posted with `switch_language` (portal/web/language.py): sent again without the phone and
# identity numbers left out, they open again for the person to type those, rather than go on
# without an optional one.
SHOWS_AGAIN: frozenset[str] = frozenset({
    "tips.report", "tips.what", "tips.place", "tips.when", "tips.who", "tips.contact",
    "sampling.who", "sampling.about", "sampling.attendees",
})


def _journey() -> Journey | None:
    """The journey whose later pages include the page posted to, or None."""
    return next((journey for journey in JOURNEYS if request.endpoint in journey.pages), None)


def _refused_form(template: str, status: int, **context: object) -> tuple[str, int]:
    """The page for a refused form post, saying once and truly what is kept and what is not.

    Earlier answers lost (a page that builds on them, its cookies gone): nothing can be sent
    again; the page says so and links to where the journey starts. Otherwise the answers of this
    page go back into a form to send again, without tokens, phone and identity numbers and codes
    (never written into a page), and without files (which cannot be); on a question page that
    left some out, sending again opens the page again with the rest, for the person to type them.
    """
    journey = _journey()
    kept = _kept_answers()
    if journey is not None and not journey.in_progress():
        return _page(template, lost=journey.lost(), start_url=url_for(journey.start),
                     start_words=journey.start_words(), resend=None, **context), status
    left_out = _left_out()
    show_again = bool(left_out) and request.endpoint in SHOWS_AGAIN
    if show_again and not any(name == SWITCH_FIELD for name, _value in kept):
        kept.append((SWITCH_FIELD, current_language()))
    resend = Resend(
        kept=kept, action=request.full_path.rstrip("?"), earlier_saved=journey is not None and journey.drafted,
        left_out=left_out, show_again=show_again, had_files=bool(request.files),
    )
    return _page(template, resend=resend, lost=None, **context), status


def _page(template: str, **context: object) -> str:
    """Render an error page; outside the staff area it carries the "Exit this page" link (base.html)."""
    public = request.blueprint != "staff" and not request.path.startswith("/staff")
    return render_template(template, layout="base.html" if public else "errors/staff_layout.html", **context)


def came_from_this_site() -> bool:
    """True unless the browser says, or lets us infer, that another site sent the request.

    Modern browsers send `Sec-Fetch-Site`; older ones an `Origin` on a POST (`null` from a
    sandboxed frame or a privacy redirect: not ours), or at least a `Referer` (our pages send
    one to us only: Referrer-Policy same-origin). With none of them (scripts, very old browsers)
    there is no sign of another site.
    """
    own = request.host_url.rstrip("/")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.rstrip("/") == own
    referer = request.headers.get("Referer")
    if referer is not None:
        return referer == own or referer.startswith(own + "/")
    return True


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    """The form's token did not match the session (the session cookie is gone: the browser was
    closed, or its cookies deleted). Say what is kept and offer to send it again with a fresh
    token (`_refused_form`), or, when the page's earlier answers are gone too, say that nothing
    was received and where to start.

    The answers go back only to the browser that just sent them, as hidden fields of a form
    that posts to the same address. A post from another site gets a plain error instead: offering
    it a fresh token would turn the page into a one-click way to submit forms from anywhere, and
    writing the token into the session would sign a member of staff out.
    """
    if not came_from_this_site():
        return _page(
            "errors/error.html",
            title=_("Something went wrong with that request"),
            message=_("Go back to the form and send it again."),
        ), 400
    return _refused_form("errors/csrf.html", 400)


def retry_after_seconds() -> int | None:
    """Seconds until the rate limit that refused this request lets the next one through (the
    limiter's own reset time for the moving window, as in its Retry-After header), or None when
    no limit was hit in this request."""
    current = limiter.current_limit
    if current is None or not current.breached:
        return None
    # Flask-Limiter's reset_at is the window's end plus one second (rounded for its header); the
    # limiter's clock is the wall clock, not portal.core.clock.
    return max(1, current.reset_at - 1 - int(time.time()))


def wait_words() -> str:
    """How long to wait before trying again, in the page's language ("1 hour", "25 minutes",
    "1小时"), from `retry_after_seconds`; "a moment" when the limiter does not say. A limit per
    hour or per day must not be announced as "a minute"."""
    seconds = retry_after_seconds()
    if seconds is None:
        return _("a moment")
    # Rounded up to whole minutes, hours or days, so that the wait said is never shorter than
    # the real one; babel words it in the page's language.
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        wait = timedelta(minutes=minutes)
    elif minutes < 24 * 60:
        wait = timedelta(hours=math.ceil(minutes / 60))
    else:
        wait = timedelta(days=math.ceil(minutes / (24 * 60)))
    return format_timedelta(wait, threshold=1.0)


def _too_many(error: HTTPException) -> tuple[str, int] | None:
    """For a refused form post, keep what was typed so it can be sent again after the wait
    (`_refused_form`). Returns None when there is nothing to keep (a GET, or a post without answers)."""
    if request.method != "POST" or not _kept_answers():
        return None
    return _refused_form("errors/too_many.html", 429, wait=wait_words())


# Pages with files whose too-large post can be opened again with a GET (the photos question, the
# progress page's answer form).
UPLOAD_PAGES: frozenset[str] = frozenset({"tips.photos", "tips.status_report"})


# Staff pages whose too-large upload goes back to the item page, with what to do at its top (the
# item page checks the account and the item's scope as always; nothing of the post was read).
STAFF_UPLOADS: dict[str, Callable[[], str]] = {"staff.add_attachment": staff_attachments.too_large_message}


def _too_large() -> tuple[str, int] | Response:
    """A post over MAX_CONTENT_LENGTH: nothing of it was read, so the page says that nothing on it
    was received, whether the earlier answers are still there (a journey's draft), and links back
    to the page to try again with smaller or fewer photos. A staff upload (STAFF_UPLOADS) goes
    back to its item page, which says the same."""
    if request.endpoint in STAFF_UPLOADS and request.view_args and "reference" in request.view_args:
        flash(STAFF_UPLOADS[request.endpoint]())
        return redirect(url_for("staff.item", reference=request.view_args["reference"]) + "#attachments", 303)
    journey = _journey()
    earlier = journey is not None and journey.drafted and journey.in_progress()
    back = request.full_path.rstrip("?") if request.endpoint in UPLOAD_PAGES else None
    return _page("errors/too_large.html", earlier_saved=earlier, back_url=back), 413


def _http_error(error: HTTPException) -> tuple[str, int] | Response:
    code = error.code or 500
    if code == 413 and request.method == "POST":
        return _too_large()
    if code == 429:
        kept_page = _too_many(error)
        if kept_page is not None:
            return kept_page
    titles = {
        400: _("Something went wrong with that request"),
        403: _("You cannot open this page"),
        404: _("Page not found"),
        405: _("Page not found"),
        413: _("What you sent is too large"),
        429: _("Too many attempts"),
    }
    messages = {
        400: _("Go back and try again."),
        403: _("Your account does not have access to this page."),
        404: _("Check the address, or start again from the home page."),
        405: _("Check the address, or start again from the home page."),
        413: _("Send smaller photos, or fewer of them."),
    }
    if code == 429:
        messages[429] = _("Wait %(time)s, then try again. In an emergency, call 110.", time=wait_words())
    return _page(
        "errors/error.html",
        title=titles.get(code, _("Sorry, there is a problem with the service")),
        message=messages.get(code, _("Try again later. In an emergency, call 110.")),
    ), code


def _server_error(error: Exception) -> tuple[str, int]:
    return _page(
        "errors/error.html",
        title=_("Sorry, there is a problem with the service"),
        message=_("Try again later. In an emergency, call 110."),
    ), 500


def init_app(app: Flask) -> None:
    """Register the error pages: CSRF failures, HTTP errors and unexpected exceptions."""
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)

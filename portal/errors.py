"""Error pages. No stack trace ever reaches a visitor; an expired form keeps what was typed."""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def _left_out() -> bool:
    """Whether the person typed something that _kept_answers leaves out (and must type again)."""
    return any(value.strip() for key, value in request.form.items(multi=True) if key != "csrf_token" and not is_kept(key))


def _page(template: str, **context: object) -> str:
    """Render an error page; outside the staff area it carries the "Exit this page" link."""
    public = request.blueprint != "staff" and not request.path.startswith("/staff")
    return render_template(
        template, layout="tips/layout.html" if public else "base.html",
        exit_page_url=current_app.config["SETTINGS"].exit_page_url, **context,
    )


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
    """Show the form's answers again with a fresh token, so the person can send them again.

    The answers go back only to the browser that just sent them, as hidden fields of a form
    that posts to the same address; files cannot be kept this way and are asked for again.
    A post from another site gets a plain error instead: offering it a fresh token would turn
    the page into a one-click way to submit forms from anywhere, and writing the token into
    the session would sign a member of staff out.
    """
    if not came_from_this_site():
        return _page(
            "errors/error.html",
            title=_("Something went wrong with that request"),
            message=_("Go back to the form and send it again."),
        ), 400
    return (
        _page(
            "errors/csrf.html", kept=_kept_answers(), action=request.full_path.rstrip("?"), had_files=bool(request.files),
            left_out=_left_out(),
        ),
        400,
    )


def _too_many(error: HTTPException) -> tuple[str, int] | None:
    """For a refused form post, keep what was typed so it can be sent again after the wait.

    Returns None when there is nothing to keep (a GET, or a post without answers).
    """
    kept = _kept_answers() if request.method == "POST" else []
    if not kept:
        return None
    return (
        _page(
            "errors/too_many.html", kept=kept, action=request.full_path.rstrip("?"), had_files=bool(request.files),
            left_out=_left_out(),
        ),
        429,
    )


def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
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
        429: _("Wait a minute, then try again. In an emergency, call 110."),
    }
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

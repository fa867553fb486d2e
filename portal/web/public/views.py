"""Views for the public pages."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.core.forgetting import forget_visitor
from portal.core.identity import display_mobile
from portal.core.i18n import remember_language
from portal.web.public.blueprint import bp
from portal.core.security.redirects import safe_next


@bp.get("/")
def start() -> str:
    """The start page: the campaign in two sentences, the three journeys, hotlines and 110."""
    number = current_app.config["SETTINGS"].published_hotline_number
    return render_template("public/start.html", hotline_number=display_mobile(number) if number else None)


@bp.get("/language/<code>")
def set_language(code: str) -> Response:
    """Remember the chosen language for a year (`remember_language`) and go back to the page the
    visitor was on."""
    return remember_language(redirect(safe_next(request.args.get("next"), url_for("public.start"))), code)


@bp.get("/privacy")
def privacy() -> str:
    """The privacy page: what is collected, who sees it, and what we cannot protect against."""
    return render_template("public/privacy.html")


@bp.get("/exit")
def leave() -> Response:
    """"Exit this page": forget what this browser left on the portal, then go to the neutral page.

    A plain GET link, so it works without JavaScript (with it, `static/js/exit-this-page.js` also
    replaces the history entry). Every forgetter the app lists runs (`portal.core.forgetting`):
    the tip and booking drafts (rows, photos and cookies), the follow-up code still on display,
    and the public pages' session keys; a staff sign-in in the same browser is left alone. The
    redirect (303, to EXIT_PAGE_URL) happens even when forgetting failed. Another site can make a
    browser follow this link; it only forgets that browser's own answers (docs/threat-model.md).
    """
    forget_visitor()
    return redirect(current_app.config["SETTINGS"].exit_page_url, 303)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not. Never shows why (no details to attackers)."""
    try:
        db.session.execute(text("SELECT 1"))
        return make_response("ok\n", 200, {"Content-Type": "text/plain"}), 200
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return make_response("database unavailable\n", 503, {"Content-Type": "text/plain"}), 503

"""Views for the public pages."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.forms import display_mobile
from portal.i18n import LANGUAGE_COOKIE, LANGUAGES
from portal.public import bp
from portal.security.redirects import safe_next


@bp.get("/")
def start() -> str:
    """The start page: the campaign in two sentences, the three journeys, hotlines and 110."""
    settings = current_app.config["SETTINGS"]
    number = settings.sms_hotline_number or settings.twilio_from_number
    return render_template("public/start.html", hotline_number=display_mobile(number) if number else None)


@bp.get("/language/<code>")
def set_language(code: str) -> Response:
    """Remember the chosen language for a year and go back to the page the visitor was on."""
    response = redirect(safe_next(request.args.get("next"), url_for("public.start")))
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/privacy")
def privacy() -> str:
    """The privacy page: what is collected, who sees it, and what we cannot protect against."""
    return render_template("public/privacy.html")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not. Never shows why (no details to attackers)."""
    try:
        db.session.execute(text("SELECT 1"))
        return make_response("ok\n", 200, {"Content-Type": "text/plain"}), 200
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return make_response("database unavailable\n", 503, {"Content-Type": "text/plain"}), 503

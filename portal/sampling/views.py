"""Sampling views (placeholder until the booking slice lands)."""

from flask import render_template

from portal.sampling import bp


@bp.get("/")
def choose_site() -> str:
    return render_template("errors/error.html", title="Sampling", message="")

"""Tip views (placeholder until the tip slice lands)."""

from flask import render_template

from portal.tips import bp


@bp.get("/report")
def report() -> str:
    return render_template("errors/error.html", title="Report", message="")


@bp.get("/status")
def status() -> str:
    return render_template("errors/error.html", title="Status", message="")

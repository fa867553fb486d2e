"""Tip reporting (web)."""

from flask import Blueprint

bp = Blueprint("tips", __name__)

from portal.tips import views  # noqa: E402,F401

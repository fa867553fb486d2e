"""Tip reporting (web): the question pages, the confirmation, and the anonymous follow-up."""

from flask import Blueprint

bp = Blueprint("tips", __name__)

from portal.tips import status_views, views  # noqa: E402,F401

"""The public pages' blueprint (start page, language switch, privacy, "Exit this page", health check); routes in views.py."""

from flask import Blueprint

bp = Blueprint("public", __name__)

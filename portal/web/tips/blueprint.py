"""The tip pages' blueprint (`/tips`); routes in views.py (the journey) and status_views.py (follow-up)."""

from flask import Blueprint

bp = Blueprint("tips", __name__)

"""The sampling pages' blueprint (`/sampling`); routes in views.py, finish.py and manage.py."""

from flask import Blueprint

bp = Blueprint("sampling", __name__)

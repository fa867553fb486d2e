"""The staff console. Every URL here is deny-by-default (see `portal.staff.auth.guard_staff_request`)."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from portal.staff import auth, login, views  # noqa: E402,F401
from portal.staff import admin, item_actions, oversight, questions  # noqa: E402,F401

bp.before_request(auth.guard_staff_request)

"""The staff console's blueprint (`/staff`). Every URL on it is deny-by-default: the guard
(`portal.staff.auth.guard_staff_request`) runs before each request."""

from flask import Blueprint

from portal.staff import auth

bp = Blueprint("staff", __name__)
bp.before_request(auth.guard_staff_request)

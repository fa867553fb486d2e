"""Free DNA sampling appointments (web)."""

from flask import Blueprint

bp = Blueprint("sampling", __name__)

from portal.sampling import finish, manage, staff_views, views  # noqa: E402,F401

"""The SMS hotline webhook. Exempt from CSRF (it checks the provider's signature instead)."""

from flask import Blueprint

from portal.extensions import csrf, limiter

bp = Blueprint("sms", __name__)
csrf.exempt(bp)
limiter.exempt(bp)

from portal.sms import views  # noqa: E402,F401

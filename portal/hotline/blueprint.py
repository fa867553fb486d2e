"""The SMS hotline webhooks' blueprint (`/sms`). Exempt from CSRF and the rate limits: every request
is checked against the provider's signature instead (views.py)."""

from flask import Blueprint

from portal.core.extensions import csrf, limiter

bp = Blueprint("sms", __name__)
csrf.exempt(bp)
limiter.exempt(bp)

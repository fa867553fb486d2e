"""Developer tools' blueprint (`/dev`): pages that exist only on a development machine, never in production.

`/dev/sms` (the SMS hotline simulator, sms_simulator.py) is registered only while SMS_BACKEND is
`console` and PORTAL_ENV is not `production`; otherwise its URLs do not exist (404).
"""

from __future__ import annotations

from flask import Blueprint

from portal.core.config import Settings

bp = Blueprint("devtools", __name__)


def simulator_enabled(settings: Settings) -> bool:
    """True when the SMS simulator may be served: the console SMS backend, outside production."""
    return settings.sms_backend == "console" and not settings.is_production

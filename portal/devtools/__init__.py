"""Developer tools: pages that exist only on a development machine, never in production.

`/dev/sms` (the SMS hotline simulator) is registered only while SMS_BACKEND is `console` and
PORTAL_ENV is not `production`; otherwise its URLs do not exist (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from portal.config import Settings

bp = Blueprint("devtools", __name__)

from portal.devtools import sms_simulator  # noqa: E402,F401


def simulator_enabled(settings: "Settings") -> bool:
    """True when the SMS simulator may be served: the console SMS backend, outside production."""
    return settings.sms_backend == "console" and not settings.is_production


def register(app: Flask) -> None:
    """Register the developer pages under /dev when `simulator_enabled`; otherwise do nothing."""
    if simulator_enabled(app.config["SETTINGS"]):
        app.register_blueprint(bp, url_prefix="/dev")

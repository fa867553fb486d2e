"""The staff console's periodic job, run by the outbound worker: forget old session records."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from portal.core.extensions import db
from portal.staff.auth import forget_old_sessions


def forget_old_staff_sessions(now: datetime) -> None:
    """Delete staff session records older than STAFF_SESSION_MAX_HOURS (they can no longer be
    used). `now`: the pass's UTC instant. Commits its own work."""
    forget_old_sessions(now, current_app.config["SETTINGS"].staff_session_max_hours)
    db.session.commit()

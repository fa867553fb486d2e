"""The one clock the staff console reads, so that tests can move time (deadlines, lockouts, idle expiry).

Tests replace `now` with `monkeypatch.setattr("portal.clock.now", ...)`; code must call
`clock.now()` through the module (never `from portal.clock import now`) for that to work.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)

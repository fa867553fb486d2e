"""The one clock the portal reads (staff console, and "today" for dates typed by the public), so that tests can move time (deadlines, lockouts, idle expiry).

Tests replace `now` with `monkeypatch.setattr("portal.core.clock.now", ...)`; code must call
`clock.now()` through the module (never `from portal.core.clock import now`) for that to work.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def local_today(tz: str | None = None) -> date:
    """Today's date in `tz` (an IANA zone), by default the portal's SITE_TIMEZONE (Asia/Shanghai
    when there is no app). Use it wherever a date typed by the public is compared with "today":
    the server's own `date.today()` is usually UTC, eight hours behind Beijing, so between 00:00
    and 08:00 Beijing time it would refuse today's date as being in the future."""
    if tz is None:
        from flask import current_app, has_app_context

        tz = current_app.config["SETTINGS"].site_timezone if has_app_context() else "Asia/Shanghai"
    return now().astimezone(ZoneInfo(tz)).date()

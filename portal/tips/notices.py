"""When a text message to a tipster may go: never at night.

A text that arrives at night can be seen by whoever the tipster fears (a phone on a shared
pillow, a family member up late). Every notice the portal sends a tipster on its own initiative
(a question from staff, news about the report) is sent only between 08:00 and 21:00 local time
(SITE_TIMEZONE), otherwise held in the outbox until 08:00 the next morning: the outbox row's
`not_before` (`portal.core.outbox.queue_message`), which the worker respects.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

TIPSTER_SMS_FROM, TIPSTER_SMS_UNTIL = time(8, 0), time(21, 0)


def polite_send_time(now: datetime, tz: str) -> datetime:
    """When a notice to a tipster may go: `now` (an aware UTC instant) if it is between 08:00
    (inclusive) and 21:00 (exclusive) local time in `tz` (an IANA zone, e.g. "Asia/Shanghai"),
    otherwise the next 08:00 local. Returns an aware UTC instant. Raises ZoneInfoNotFoundError
    for an unknown zone."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    if TIPSTER_SMS_FROM <= local.time() < TIPSTER_SMS_UNTIL:
        return now
    day = local.date() if local.time() < TIPSTER_SMS_FROM else local.date() + timedelta(days=1)
    return datetime.combine(day, TIPSTER_SMS_FROM, tzinfo=zone).astimezone(timezone.utc)

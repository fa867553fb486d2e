"""The sampling area's periodic jobs, run by the outbound worker (`flask --app wsgi worker`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from portal.extensions import db
from portal.outbox.worker import periodic_job
from portal.sampling.slots import open_slots_ahead

logger = logging.getLogger(__name__)

# Opening slots ahead needs doing once a day at most; checking hourly catches new sites and
# midnight in every site's time zone without scanning the slot table on every worker pass.
OPEN_SLOTS_EVERY = timedelta(hours=1)
_last_opened: dict[str, datetime] = {}


@periodic_job
def keep_slots_open(now: datetime) -> None:
    """Keep every active site's slots open up to its booking horizon (hourly, per process).

    `now`: the pass's UTC instant. Commits its own work.
    """
    last = _last_opened.get("at")
    if last is not None and now - last < OPEN_SLOTS_EVERY:
        return
    created = open_slots_ahead(now)
    db.session.commit()
    _last_opened["at"] = now
    if created:
        logger.info("opened %s new sampling slots", created)


@periodic_job
def mark_no_shows_after_day_end(now: datetime) -> None:
    """Mark bookings whose local day has ended without a check-in as no-show (every pass; cheap:
    one indexed query over booked appointments whose slot has started)."""
    from portal.sampling.desk import mark_no_shows

    marked = mark_no_shows(now)
    db.session.commit()
    if marked:
        logger.info("marked %s sampling appointments no-show", marked)


@periodic_job
def delete_expired_booking_drafts(now: datetime) -> None:
    """Delete booking drafts past their expiry (SAMPLING_DRAFT_HOURS after their last change):
    they hold names and identity numbers that were never booked. `now`: the pass's UTC instant.
    Commits its own work."""
    from portal.sampling.draft import STORE

    deleted = STORE.delete_expired(now)
    db.session.commit()
    if deleted:
        logger.info("deleted %s expired sampling booking drafts", deleted)

"""The sampling area's periodic jobs, run by the outbound worker (`flask --app wsgi worker`)."""

from __future__ import annotations

import logging
from datetime import datetime

from portal.core.extensions import db
from portal.sampling.desk import mark_no_shows
from portal.sampling.draft import STORE
from portal.sampling.slots import open_slots_ahead

logger = logging.getLogger(__name__)



def keep_slots_open(now: datetime) -> None:
    """Keep every active site's slots open up to its booking horizon (run hourly: `portal.jobs`).

    `now`: the pass's UTC instant. Commits its own work.
    """
    created = open_slots_ahead(now)
    db.session.commit()
    if created:
        logger.info("opened %s new sampling slots", created)


def mark_no_shows_after_day_end(now: datetime) -> None:
    """Mark bookings whose local day has ended without a check-in as no-show (every pass; cheap:
    one indexed query over booked appointments whose slot has started)."""
    marked = mark_no_shows(now)
    db.session.commit()
    if marked:
        logger.info("marked %s sampling appointments no-show", marked)


def delete_expired_booking_drafts(now: datetime) -> None:
    """Delete booking drafts past their expiry (SAMPLING_DRAFT_HOURS after their last change):
    they hold names and identity numbers that were never booked. `now`: the pass's UTC instant.
    Commits its own work."""
    deleted = STORE.delete_expired(now)
    db.session.commit()
    if deleted:
        logger.info("deleted %s expired sampling booking drafts", deleted)

"""The sampling area's periodic jobs, run by the outbound worker (`flask --app wsgi worker`)."""

from __future__ import annotations

import logging
from datetime import datetime

from portal.core.extensions import db
from portal.sampling.desk import mark_no_shows
from portal.sampling.draft import STORE
from portal.sampling.slots import open_site_slots, open_slots_ahead, sites_waiting_for_slots

logger = logging.getLogger(__name__)

# New sites whose slots one worker pass opens: about 0.1 s a site (60 days of 20-minute slots),
# so a pass stays short and a list of 500 imported sites is open to bookings in a few minutes.
NEW_SITES_PER_PASS = 20


def open_slots_for_new_sites(now: datetime) -> None:
    """Open the slots of sites that have none yet, a few each pass (every pass:
    NEW_SITES_PER_PASS; `slots.sites_waiting_for_slots`): an imported list's sites get their
    free times within minutes, while the web request that imported them stays short. `now`: the
    pass's UTC instant; each site is opened from its local today up to its booking horizon.
    Commits its own work."""
    created = 0
    for site in sites_waiting_for_slots(NEW_SITES_PER_PASS):
        created += open_site_slots(site, now)
    db.session.commit()
    if created:
        logger.info("opened %s slots at new sampling sites", created)


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

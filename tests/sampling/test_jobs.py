"""The worker keeps every active site's slots open for the coming four weeks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import Slot, utcnow
from portal.core.outbox.worker import run_periodic_jobs
from portal.jobs import PERIODIC_JOBS
from portal.sampling import jobs
from portal.sampling.slots import horizon_days, local_day
from tests.support.factories import create_site


def _slot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Slot))


def test_worker_job_opens_slots_for_a_new_site_and_rolls_the_window_forward(app):
    (job,) = [job for job in PERIODIC_JOBS if job.run is jobs.keep_slots_open]
    last_runs: dict = {}
    site = create_site()
    now = utcnow()
    run_periodic_jobs(now, [job], last_runs)
    first = _slot_count()
    assert first > 0
    last_day = max(local_day(site, s.starts_at) for s in db.session.scalars(select(Slot)))
    today = local_day(site, now)
    # Up to the last open weekday within the site's booking horizon (which may end on a weekend).
    assert today + timedelta(days=horizon_days(site) - 4) <= last_day <= today + timedelta(days=horizon_days(site) - 1)

    run_periodic_jobs(now + timedelta(minutes=5), [job], last_runs)  # within the hour: skipped, nothing new
    assert _slot_count() == first

    run_periodic_jobs(now + timedelta(days=7), [job], last_runs)  # a week later the window has moved on
    assert _slot_count() > first


def test_slots_are_opened_as_far_ahead_as_each_site_lets_families_book(app):
    near, far = create_site(name="十天", booking_horizon_days=10), create_site(name="六十天", booking_horizon_days=60)
    now = utcnow()
    jobs.keep_slots_open(now)
    for site, days in ((near, 10), (far, 60)):
        last = max(local_day(site, s.starts_at) for s in db.session.scalars(select(Slot).where(Slot.site_id == site.id)))
        assert local_day(site, now) + timedelta(days=days - 4) <= last <= local_day(site, now) + timedelta(days=days - 1)

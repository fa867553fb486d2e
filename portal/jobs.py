"""Every periodic job the outbox worker (`flask --app wsgi worker`) runs, with how often: one list.

The jobs live in their areas and know nothing of this list; `portal.app.create_app` hands it to the
worker (`portal.core.outbox.worker.run_pass`). An interval of `EVERY_PASS` means each worker pass
(every `--interval` seconds, 5 by default); a longer one is counted per worker process.
"""

from __future__ import annotations

from datetime import timedelta

from portal.core.outbox.worker import PeriodicJob, mark_stale_claims_unknown
from portal.hotline.conversation import forget_idle_conversations
from portal.hotline.inbox import forget_kept_answers
from portal.hotline.media import download_pending_media
from portal.sampling.jobs import (
    delete_expired_booking_drafts,
    keep_slots_open,
    mark_no_shows_after_day_end,
    open_slots_for_new_sites,
)
from portal.staff.jobs import forget_old_staff_sessions
from portal.tips.jobs import clear_expired_follow_up_codes, delete_expired_drafts

EVERY_PASS = timedelta(0)

PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Outbox: a message claimed long ago and never recorded becomes "unknown", never resent.
    PeriodicJob(mark_stale_claims_unknown, EVERY_PASS),
    # Tips: plain follow-up codes past their display time; expired drafts and their photos.
    PeriodicJob(clear_expired_follow_up_codes, EVERY_PASS),
    PeriodicJob(delete_expired_drafts, EVERY_PASS),
    # Sampling: slots opened up to each site's horizon (a day's work at most, so hourly catches
    # every site's midnight; new sites get theirs within a pass or a few); no-shows after the
    # local day ends; expired drafts.
    PeriodicJob(keep_slots_open, timedelta(hours=1)),
    PeriodicJob(open_slots_for_new_sites, EVERY_PASS),
    PeriodicJob(mark_no_shows_after_day_end, EVERY_PASS),
    PeriodicJob(delete_expired_booking_drafts, EVERY_PASS),
    # Staff: session records too old to be used.
    PeriodicJob(forget_old_staff_sessions, EVERY_PASS),
    # Hotline: MMS pictures into tip photos; idle conversations' answers forgotten; answers kept
    # for a repeated delivery erased after the hour.
    PeriodicJob(download_pending_media, EVERY_PASS),
    PeriodicJob(forget_idle_conversations, EVERY_PASS),
    PeriodicJob(forget_kept_answers, EVERY_PASS),
)

"""The tips area's periodic jobs, run by the outbound worker (`flask --app wsgi worker`)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update

from portal.extensions import db
from portal.models import Tip
from portal.outbox.worker import periodic_job

logger = logging.getLogger(__name__)


@periodic_job
def clear_expired_follow_up_codes(now: datetime) -> None:
    """Forget the plain follow-up codes whose display time is over (only their HMAC remains).

    `now`: the pass's UTC instant. Commits its own work.
    """
    result = db.session.execute(
        update(Tip)
        .where(Tip.follow_up_code_display.is_not(None), Tip.follow_up_code_display_until < now)
        .values(follow_up_code_display=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:
        logger.info("cleared %s expired follow-up code displays", result.rowcount)

"""The tips area's periodic jobs, run by the outbound worker (`flask --app wsgi worker`)."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from portal.core.extensions import db
from portal.core.models import Tip, TipDraft, TipPhoto
from portal.core.photos import delete_photo_file
from portal.tips.followup import forget_old_guards

logger = logging.getLogger(__name__)


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
    if result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        logger.info("cleared %s expired follow-up code displays", result.rowcount)  # type: ignore[attr-defined]  # CursorResult


def delete_expired_drafts(now: datetime) -> None:
    """Delete tip drafts past their expiry, with the files of photos never sent, and old lockout rows.

    `now`: the pass's UTC instant. Commits its own work.
    """
    folder = current_app.config["SETTINGS"].tip_photo_dir
    expired = db.session.scalars(select(TipDraft).where(TipDraft.expires_at < now)).all()
    for draft in expired:
        for photo in db.session.scalars(select(TipPhoto).where(TipPhoto.draft_id == draft.id, TipPhoto.tip_id.is_(None))):
            delete_photo_file(folder, photo.stored_name)
            db.session.delete(photo)
        db.session.delete(draft)
    guards = forget_old_guards(now)
    db.session.commit()
    if expired or guards:
        logger.info("deleted %s expired tip drafts and %s old lookup counters", len(expired), guards)

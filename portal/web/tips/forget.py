"""What "Exit this page" forgets of the tip pages in the browser's session (the draft itself goes
with `portal.tips.drafts.forget_draft`): the receipt the confirmation page shows, the recent
reports that make a repeat give the first one's reference, and a tip opened with its follow-up code.
"""

from __future__ import annotations

from flask import session

from portal.tips.service import stop_showing_follow_up_code, tip_by_reference
from portal.web.tips.status_views import ACCESS_KEY
from portal.web.tips.views import FAKE_RECEIPT_KEY, RECEIPT_KEY, RECENT_KEY


def forget_tip_pages() -> None:
    """Forget the tip pages' session keys ("Exit this page"; a forgetter of `portal.core.forgetting`).

    The tips this browser sent stop showing their follow-up code, so that neither
    /tips/confirmation nor its print version can show it again; after this, /tips/confirmation
    has nothing to show and /tips/status asks for the reference and code again. The caller commits.
    """
    references = [session.get(RECEIPT_KEY)] + [
        entry[1] for entry in (session.get(RECENT_KEY) or []) if isinstance(entry, list) and len(entry) == 3
    ]
    for reference in {r for r in references if isinstance(r, str)}:
        tip = tip_by_reference(reference)
        if tip is not None:
            stop_showing_follow_up_code(tip)
    for key in (RECEIPT_KEY, FAKE_RECEIPT_KEY, RECENT_KEY, ACCESS_KEY):
        session.pop(key, None)

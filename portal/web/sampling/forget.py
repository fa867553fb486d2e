"""What "Exit this page" forgets of the booking pages in the browser's session (the booking's
draft itself goes with `portal.sampling.draft.forget`): the booking the confirmation page shows, and
a booking opened at /sampling/manage with its reference and mobile number."""

from __future__ import annotations

from flask import session

from portal.web.sampling.finish import SESSION_KEY
from portal.web.sampling.manage import MANAGE_DONE_KEY, MANAGE_KEY


def forget_booking_pages() -> None:
    """Forget the booking pages' session keys ("Exit this page"; a forgetter of
    `portal.core.forgetting`): /sampling/confirmation then has no booking to show, and
    /sampling/manage asks for the reference and mobile number again. The booking itself stays."""
    for key in (SESSION_KEY, MANAGE_KEY, MANAGE_DONE_KEY):
        session.pop(key, None)

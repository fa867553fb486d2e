""""Exit this page": forget at once what the portal keeps for one visitor's browser.

A frightened tipster on a shared phone who leaves through "Exit this page" must leave nothing that
the next person to pick up the phone can reopen: unsent answers, a follow-up code still on
display, a booking or a tip opened for follow-up. Each area that keeps something for a visitor (a
draft row and its cookie, keys in the session) has a function that forgets it; the assembly lists
them (`EXIT_FORGETTERS` in `portal/app.py`) in `app.extensions[EXTENSION]`, and the exit link
(`portal/web/public/views.leave`) runs them all with `forget_visitor`. The core knows none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from flask import current_app

from portal.core.extensions import db

logger = logging.getLogger(__name__)

EXTENSION = "portal.exit_forgetters"

# Forgets what one area keeps for the browser of the current request: deletes its rows (without
# committing) and cookies, pops its session keys. Takes nothing, returns nothing.
Forgetter = Callable[[], None]


def forget_visitor() -> int:
    """Run every forgetter registered on the app for the browser of the current request.

    Each one's database work is committed on its own; one that fails (the database cannot be
    reached) is rolled back and logged by name, without its message, and the others still run, so
    that leaving never fails. Returns how many failed (0 when all forgot).
    """
    forgetters: Sequence[Forgetter] = current_app.extensions.get(EXTENSION, ())
    failed = 0
    for forget in forgetters:
        try:
            forget()
            db.session.commit()
        except Exception as error:  # leaving must work even when forgetting does not
            db.session.rollback()
            failed += 1
            logger.error("Exit this page: %s failed (%s)", getattr(forget, "__qualname__", forget), type(error).__name__)
    return failed

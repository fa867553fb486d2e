"""A tipster's reply reaches the officer: the "tipster replied" flag and the owner's text message.

When the tipster sends something through /tips/status (an answer to a staff question, or later
information unasked), the item is flagged "tipster replied" (`IntakeItem.tipster_replied_at`):
the queue shows a marker and can be filtered on it. The flag stays until someone who may see the
item opens its page (`mark_seen`): whoever opens it has seen the reply, whatever their role.

The item's owner (the staff member responsible for it: `IntakeItem.assigned_to_id`, set by
"Make me responsible for this item" or assigned by a triage officer, `portal.triage.owners`) is told in the console by that marker and, when their
account has a duty phone number (`StaffUser.duty_phone`, set on their account page), by a text
message through the outbox (`portal.triage.owners.text_duty_phone`, the path an "assigned to you"
message takes too). The message carries the reference number and "tipster replied",
never what the tipster wrote: a duty phone is read on the street and in the canteen
(docs/threat-model.md#what-a-text-message-may-carry). One message per unseen reply: more
answers before anyone opens the item send nothing more, so a tipster writing five times does not
wake the officer five times. The owner's message is not held at night: it goes to an officer's
duty phone, like the urgent-tip alert (`portal.triage.alerts`).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, gettext as _

from portal.core.extensions import db
from portal.core.models import IntakeItem, OutboundMessage, StaffUser
from portal.triage.owners import text_duty_phone

OWNER_NOTICE_PURPOSE = "tipster_replied"


def owner_notice_text(reference: str) -> str:
    """The text message to an item's owner: the reference and "tipster replied", nothing else.

    In Chinese, the working language of the console's officers (as the urgent-tip alert)."""
    with force_locale("zh"):
        return _("Tuanyuan Portal: the tipster replied on %(reference)s. Open the staff console to read it.",
                 reference=reference)


def mark_replied(item: IntakeItem, now: datetime) -> OutboundMessage | None:
    """Flag `item` "tipster replied" at `now` (aware UTC) and, if it was not flagged already and
    its owner is an active account with a duty phone, queue the owner's text message.

    Returns the queued message, or None. Writes to the session; the caller commits.
    """
    already = item.tipster_replied_at is not None
    item.tipster_replied_at = now
    if already or item.assigned_to_id is None:
        return None
    owner = db.session.get(StaffUser, item.assigned_to_id)
    if owner is None:
        return None
    return text_duty_phone(owner, owner_notice_text(item.reference), OWNER_NOTICE_PURPOSE, item_id=item.id, now=now)


def mark_seen(item: IntakeItem) -> bool:
    """Clear the "tipster replied" flag: someone who may see the item has opened it. Returns
    True when it was set. Writes to the session; the caller commits (the item page records the
    view in the audit trail in the same transaction)."""
    if item.tipster_replied_at is None:
        return False
    item.tipster_replied_at = None
    return True

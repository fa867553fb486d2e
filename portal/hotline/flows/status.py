"""Checking progress by SMS: STATUS / 查询 (menu choice 3).

The text after the keyword may hold a reference number and a follow-up code, typed any way
(`portal.hotline.keywords.read_reference_and_code`). A bare keyword asks for the reference; a
reference that is not a booking of this phone then asks for the code.

- A booking reference from the phone that booked it (`portal.sampling.booking.find_for_manage`,
  the web's own check of reference and phone) shows the booking: its status in the web's words,
  the site and the local date, weekday and time.
- Anything else is treated as a tip: it needs its follow-up code, checked by the web's guarded
  check (`portal.tips.followup.check_follow_up`), with the sending number as the trier: wrong
  codes from one phone lock the reference for that phone (FOLLOW_UP_MAX_FAILURES within
  FOLLOW_UP_LOCK_MINUTES), as wrong codes from one client address do on /tips/status, and a
  stranger's phone never locks the tipster out. An unknown reference, a wrong code and another phone's booking get one and the
  same answer, at every step (never "this reference exists").
- The answer for a tip is what /tips/status shows the tipster: the public progress word
  (`portal.tips.labels`) and, when a staff question is still unanswered, where to read and answer
  it (the web page; like the staff question SMS, the question itself is never sent).

Per-number limit: the follow-up guard counts per reference and number, so one number could
otherwise spread its tries over many references. Every failed check of a tip (wrong code, unknown reference,
locked reference) also counts against the sending number, in the same guard table under an HMAC
of the number's lookup hash; FOLLOW_UP_MAX_FAILURES failures within FOLLOW_UP_LOCK_MINUTES lock
the number out of progress checks for FOLLOW_UP_LOCK_MINUTES. A right answer does not clear the
number's count (or one real tip would buy unlimited guesses). As for the reference, each check
is counted before it is made (`portal.tips.followup.claim_attempt`; a right answer is then taken
back), so messages sent at the same moment get no more checks than messages sent one by one.
This is the SMS channel's counterpart of the web's per-address RATELIMIT_STATUS_LOOKUP, which
needs an HTTP client.

Audit: the web records no audit event for a progress check (the tipster or family reads their
own item, no staff member reads personal data), and neither does this flow.

Privacy: a tip reported anonymously on the web must not become linked to the number that checks
on it by SMS. Every message that went the tip way is stored as a placeholder (STORED_BODY), and
the stored copy of each reply names REDACTED_REFERENCE instead of the reference; the follow-up
code is never stored in plain text (docs/threat-model.md#identifying-a-tipster,
docs/threat-model.md#reading-someone-elses-tip-or-booking).
"""

from __future__ import annotations

from datetime import datetime

from portal.core.i18n import format_local_datetime
from portal.core.models import Appointment, AppointmentStatus, Tip
from portal.core.security.crypto import lookup_hash
from portal.core.security.references import FOLLOW_UP_CODE_LENGTH, REFERENCE_LENGTH, letters_and_digits
from portal.core.sms.segments import shortened
from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.flows.base import Reply, Turn, keep_language
from portal.hotline.keywords import read_reference_and_code
from portal.sampling.booking import find_for_manage
from portal.tips.followup import WARN_WHEN_TRIES_LEFT, LookupOutcome, check_follow_up, conversation as tip_conversation
from portal.tips.followup import claim_attempt, is_locked, take_back
from portal.tips.labels import public_progress_key

# The HMAC purpose of a sending number's row in the follow-up guard table.
SENDER_GUARD_PURPOSE = "sms-status-sender"
# What is kept of a message that went the tip way (see the module docstring).
STORED_BODY = f"STATUS {replies.REDACTED_REFERENCE} {replies.REDACTED_CODE}"
TIPS_STATUS_PATH = "/tips/status"

def sender_guard_key(phone_hash: str) -> str:
    """The follow-up guard key that counts failed progress checks from one number (by its lookup
    hash): an HMAC of another purpose, so the guard table holds no phone hash."""
    return lookup_hash(phone_hash, SENDER_GUARD_PURPOSE)


def booking_progress(appointment: Appointment, reference: str, now: datetime, language: str) -> str:
    """The progress reply for a booking: its status, the site and the local date, weekday and
    time (the site's time zone), and what to do next; a booking whose slot started before `now`
    (UTC, the message's time) has passed. A site name too long for two segments is cut short
    (`shortened`; a Chinese name makes an English reply UCS-2)."""
    site = appointment.site
    slot = appointment.slot
    when = format_local_datetime(slot.starts_at, site.timezone, language)
    status = appointment.status
    if status == AppointmentStatus.CANCELLED:
        reply = replies.booking_progress_cancelled
    elif status == AppointmentStatus.CHECKED_IN:
        reply = replies.booking_progress_checked_in
    elif status == AppointmentStatus.NO_SHOW:
        reply = replies.booking_progress_no_show
    elif slot.starts_at <= now:
        reply = replies.booking_progress_passed
    else:
        reply = replies.booking_progress_booked
    return shortened(lambda name: reply(reference, name, when, language), site.name)


def tip_progress(tip: Tip, reference: str, status_url: str, language: str) -> str:
    """The progress reply for a tip: what /tips/status shows the tipster, in SMS form. `reference`
    is the one to write (the real one, or REDACTED_REFERENCE for the stored copy)."""
    questions = tip_conversation(tip).questions
    key = public_progress_key(tip.item.status, questions_asked=bool(questions))
    unanswered = any(not answers for _question, answers in questions)
    if unanswered and key != "closed":
        return replies.tip_progress_question(reference, status_url, language)
    if key == "received":
        return replies.tip_progress_received(reference, language)
    if key == "closed":
        return replies.tip_progress_closed(reference, language)
    return replies.tip_progress_working(reference, language)


class StatusFlow:
    """See the module docstring. Steps: "reference" (waiting for a reference number), "code"
    (waiting for the follow-up code of `data["reference"]`)."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Check the reference (and code) after the keyword, or ask for the reference."""
        conversation.data = {"language": turn.language}
        reference, code = read_reference_and_code(rest)
        if reference is None:
            conversation.goto("reference")
            return Reply(replies.status_ask_reference(turn.language))
        return self._check(turn, conversation, reference, code)

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """Take the reference, or the code, that the last reply asked for."""
        text = turn.text or ""
        if conversation.step == "code" and conversation.data.get("reference"):
            turn = keep_language(turn, conversation)
            reference = str(conversation.data["reference"])
            cleaned = letters_and_digits(text)
            again, code = read_reference_and_code(text)
            # A code alone is read as the code; a reference and a code sent again, as both.
            if again is not None and code and len(cleaned) >= REFERENCE_LENGTH + FOLLOW_UP_CODE_LENGTH:
                reference = again
            else:
                code = cleaned[-FOLLOW_UP_CODE_LENGTH:]
            turn.keep_body_as(STORED_BODY)
            return self._check(turn, conversation, reference, code)
        reference, code = read_reference_and_code(text)  # type: ignore[assignment]  # str | None in this branch
        if reference is None:
            return Reply(replies.status_not_a_reference(turn.language))
        turn = keep_language(turn, conversation)
        return self._check(turn, conversation, reference, code)

    def _check(self, turn: Turn, conversation: Conversation, reference: str, code: str) -> Reply:
        language = turn.language
        settings = turn.settings
        sender_key = sender_guard_key(turn.phone_hash)
        if is_locked(sender_key, turn.now):
            turn.keep_body_as(STORED_BODY)
            conversation.end()
            return Reply(replies.status_locked(settings.follow_up_lock_minutes, language))

        appointment = find_for_manage(reference, turn.phone)
        if appointment is not None:
            conversation.end()
            return Reply(booking_progress(appointment, reference, turn.now, language))

        # From here on, the way a tip goes: the same for an unknown reference and another phone's booking.
        turn.keep_body_as(STORED_BODY)
        if not code:
            conversation.data = {"reference": reference, "language": language}
            conversation.goto("code")
            return Reply(replies.status_ask_code(reference, language),
                         stored=replies.status_ask_code(replies.REDACTED_REFERENCE, language))

        conversation.end()
        max_failures, lock_minutes = settings.follow_up_max_failures, settings.follow_up_lock_minutes
        # Counted before the check, so that messages sent at once get no more checks than one by one.
        sender_try = claim_attempt(sender_key, max_failures=max_failures, lock_minutes=lock_minutes, now=turn.now)
        if not sender_try.may_check:
            return Reply(replies.status_locked(lock_minutes, language))
        result = check_follow_up(reference, code, trier=sender_key, max_failures=max_failures, lock_minutes=lock_minutes,
                                 now=turn.now)
        if result.outcome is LookupOutcome.FOUND and result.tip is not None:
            take_back(sender_try)  # only failures count against the number
            url = f"{settings.public_base_url}{TIPS_STATUS_PATH}"
            return Reply(tip_progress(result.tip, reference, url, language),
                         stored=tip_progress(result.tip, replies.REDACTED_REFERENCE, url, language))
        if result.outcome is LookupOutcome.LOCKED or sender_try.locks_if_wrong:
            return Reply(replies.status_locked(lock_minutes, language))
        # Warn two tries before the lock, as the web does: the fewer tries left of this phone's
        # count and of this reference's for this phone, the same for an unknown reference.
        tries_left = min(max_failures - sender_try.number,
                         result.tries_left if result.tries_left is not None else max_failures)
        if tries_left <= WARN_WHEN_TRIES_LEFT:
            return Reply(replies.status_not_found_tries_left(tries_left, lock_minutes, language))
        return Reply(replies.status_not_found(language))


"""The outbox worker: delivers queued SMS, exactly once where it can be known, and runs periodic jobs.

Delivery of one message:

1. Claim it with a conditional UPDATE (`status = 'queued'` → `'sending'` with a fresh claim
   token) and commit the claim BEFORE sending. Of two workers racing for one row, the database
   lets only one UPDATE match (rowcount 1); the other sees rowcount 0 and moves on.
2. If the recipient has opted out (`portal.core.sms.optout`), mark it `opted_out` and send nothing,
   whatever queued it; if its purpose's send check says it is no longer wanted, `withdrawn`.
3. Send through the provider, with no database transaction open.
4. Record the outcome, only if the claim is still ours: sent; back to queued with a back-off
   (the send certainly failed); failed (refused for good, or out of attempts); or unknown (the
   request may have gone out — never resent automatically: staff decide). A refusal because the
   recipient opted out at the provider (Twilio 21610) also records the number as opted out.

A worker that dies between 1 and 4 leaves the row `sending`; `mark_stale_claims_unknown` turns
such rows `unknown` after STALE_CLAIM_MINUTES, again without resending.

Nothing here logs a phone number or a message text.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

from flask import current_app

from sqlalchemy import select, update

from portal.core.extensions import db
from portal.core.models import OutboundMessage, OutboundStatus, utcnow
from portal.core.redaction_marks import MARK
from portal.core.sms import optout
from portal.core.sms.backends import get_provider
from portal.core.sms.provider import SendOutcome, SendResult, SmsProvider

REMOVED_IN_SMS = "\u2026"

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Back-off after the n-th certain failure: 1, 2, 4, 8… minutes, at most an hour.
FIRST_BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600
# One pass sends at most this many messages, so periodic jobs still run under a flood.
MAX_MESSAGES_PER_PASS = 500
STALE_CLAIM_MINUTES = 15

@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker runs between deliveries. `run(now)` gets the pass's UTC instant and commits
    its own work. It is due on the first pass at least `every` after its last run in this process
    (`timedelta(0)`: every pass, that is every `worker --interval` seconds). The list of jobs is
    `portal.jobs.PERIODIC_JOBS`, one place for all of them."""

    run: Callable[[datetime], None]
    every: timedelta = timedelta(0)

    @property
    def name(self) -> str:
        """The job function's dotted name, for logs (`portal.tips.jobs.delete_expired_drafts`)."""
        return f"{self.run.__module__}.{self.run.__qualname__}"


# Where the app keeps its jobs (`app.extensions[...]`, set by `portal.app.create_app`) and, per
# process, when each last ran ({job name: UTC instant}).
JOBS_EXTENSION = "portal.periodic_jobs"
LAST_RUNS_EXTENSION = "portal.periodic_job_runs"


# A send-time check: called with a claimed message's id just before sending; False withdraws it.
SendCheck = Callable[[int], bool]
SEND_CHECKS: dict[str, SendCheck] = {}


def send_check(purpose: str) -> Callable[[SendCheck], SendCheck]:
    """Register a check for messages of `purpose` (decorator): whether such a message is still
    wanted is decided when it is about to be sent, not when it was queued (a reminder for a
    booking cancelled meanwhile is withdrawn, never sent)."""

    def register(check: SendCheck) -> SendCheck:
        SEND_CHECKS[purpose] = check
        return check

    return register


@dataclass
class PassSummary:
    """Counts for one pass (messages, not attempts)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    withdrawn: int = 0
    opted_out: int = 0

    @property
    def handled(self) -> int:
        """Messages this pass settled in any way (sent, retried, failed, unknown, withdrawn or opted out)."""
        return self.sent + self.retried + self.failed + self.unknown + self.withdrawn + self.opted_out

    def __str__(self) -> str:
        text = f"sent {self.sent}, retried {self.retried}, failed {self.failed}, unknown {self.unknown}"
        return text + (f", opted out {self.opted_out}" if self.opted_out else "")


@dataclass(frozen=True)
class _Claim:
    message_id: int
    token: str
    to_phone: str
    to_phone_hash: str
    body: str
    attempts: int
    purpose: str = ""


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` certain failures (1 → 1 minute, doubling, ≤ 1 hour)."""
    seconds = FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def claim_next(now: datetime, skip: set[int]) -> _Claim | None:
    """Claim the oldest due queued message (not in `skip`), commit the claim, and return it.

    Returns None when nothing is due. Candidates are read without locks; the conditional UPDATE
    decides who gets each one.
    """
    while True:
        query = (
            select(OutboundMessage.id)
            .where(OutboundMessage.status == OutboundStatus.QUEUED, OutboundMessage.not_before <= now)
            .order_by(OutboundMessage.not_before, OutboundMessage.id)
            .limit(20)
        )
        if skip:
            query = query.where(OutboundMessage.id.not_in(skip))
        candidates = list(db.session.scalars(query))
        db.session.rollback()
        if not candidates:
            return None
        for message_id in candidates:
            token = uuid.uuid4().hex
            result = db.session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id, OutboundMessage.status == OutboundStatus.QUEUED)
                .values(status=OutboundStatus.SENDING, claim_token=token, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
                skip.add(message_id)  # another worker got it
                continue
            message = db.session.get(OutboundMessage, message_id, populate_existing=True)
            assert message is not None  # the row this worker has just claimed
            # A passage staff removed while the message waited goes as "…": the message has no
            # language of its own to word the placeholder in.
            claim = _Claim(message_id, token, message.to_phone or "", message.to_phone_hash,
                           message.body.replace(MARK, REMOVED_IN_SMS), message.attempts, message.purpose)
            # End the read transaction: nothing stays open while the provider is called.
            db.session.rollback()
            return claim


def _record(claim: _Claim, result: SendResult, now: datetime, summary: PassSummary) -> None:
    attempts = claim.attempts + 1
    values: dict = {"attempts": attempts, "claim_token": None}
    if result.outcome is SendOutcome.SENT:
        values.update(status=OutboundStatus.SENT, provider_message_id=result.provider_message_id,
                      sent_at=now, last_error=None)
        summary.sent += 1
    elif result.outcome is SendOutcome.RETRY and attempts < MAX_ATTEMPTS:
        values.update(status=OutboundStatus.QUEUED, not_before=now + backoff(attempts),
                      last_error=result.detail[:500])
        summary.retried += 1
    elif result.outcome is SendOutcome.UNKNOWN:
        values.update(status=OutboundStatus.UNKNOWN, last_error=result.detail[:500])
        summary.unknown += 1
    else:  # permanent, or a retry with no attempts left
        detail = result.detail if result.outcome is SendOutcome.PERMANENT else f"gave up after {attempts} attempts: {result.detail}"
        values.update(status=OutboundStatus.FAILED, last_error=detail[:500])
        summary.failed += 1
        if result.recipient_opted_out:
            # The provider's own opt-out list had the number (it texted STOP to the provider):
            # record it, so nothing else is handed over for it until it texts a START word.
            optout.opt_out(claim.to_phone_hash, source=optout.PROVIDER)
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == claim.message_id, OutboundMessage.claim_token == claim.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.info("outbound message %s: %s (attempt %s) %s", claim.message_id, result.outcome.value, attempts,
                result.detail)


def deliver_due(provider: SmsProvider, now: datetime, limit: int = MAX_MESSAGES_PER_PASS) -> PassSummary:
    """Claim and send due messages one by one, at most `limit`. `now`: the pass's UTC time."""
    summary = PassSummary()
    skip: set[int] = set()
    while summary.handled < limit:
        claim = claim_next(now, skip)
        if claim is None:
            break
        skip.add(claim.message_id)
        if _recipient_opted_out(claim):
            _settle_unsent(claim, OutboundStatus.OPTED_OUT, "not sent: the recipient opted out")
            summary.opted_out += 1
            continue
        if not _still_wanted(claim):
            _settle_unsent(claim, OutboundStatus.WITHDRAWN, "no longer wanted when due")
            summary.withdrawn += 1
            continue
        try:
            result = provider.send(claim.to_phone, claim.body)
        except Exception as exc:  # noqa: BLE001 - a provider bug: the request may have gone out
            result = SendResult.unknown(f"provider raised {type(exc).__name__}")
        _record(claim, result, now, summary)
    return summary


def _still_wanted(claim: _Claim) -> bool:
    check = SEND_CHECKS.get(claim.purpose)
    if check is None:
        return True
    try:
        wanted = check(claim.message_id)
    finally:
        db.session.rollback()  # nothing stays open while the provider is called
    return wanted


def _recipient_opted_out(claim: _Claim) -> bool:
    try:
        return optout.is_opted_out(claim.to_phone_hash)
    finally:
        db.session.rollback()  # nothing stays open while the provider is called


def _settle_unsent(claim: _Claim, status: OutboundStatus, note: str) -> None:
    """Settle a claimed message without handing it to the provider (`note`: for staff)."""
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == claim.message_id, OutboundMessage.claim_token == claim.token)
        .values(status=status, claim_token=None, last_error=note)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.info("outbound message %s not sent: %s", claim.message_id, status.value)


def mark_stale_claims_unknown(now: datetime) -> None:
    """A message claimed long ago and never recorded (its worker died mid-send) may or may not
    have gone out: mark it unknown so staff can decide, never resend it."""
    result = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == OutboundStatus.SENDING,
               OutboundMessage.claimed_at < now - timedelta(minutes=STALE_CLAIM_MINUTES))
        .values(status=OutboundStatus.UNKNOWN, claim_token=None,
                last_error="worker stopped while sending; outcome unknown")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        logger.warning("marked %s stale sending messages unknown", result.rowcount)  # type: ignore[attr-defined]  # CursorResult


def run_periodic_jobs(now: datetime, jobs: Sequence[PeriodicJob], last_runs: dict[str, datetime]) -> None:
    """Run each of `jobs` that is due at `now` (UTC), recording its run in `last_runs` ({job name:
    UTC instant}, kept by the caller for the life of the process). A run that fails counts as run;
    it rolls back and does not stop the others."""
    for job in jobs:
        last = last_runs.get(job.name)
        if last is not None and last <= now < last + job.every:
            continue
        last_runs[job.name] = now
        try:
            job.run(now)
        except Exception as exc:  # noqa: BLE001 - keep the worker alive; the job runs again when next due
            db.session.rollback()
            logger.error("periodic job %s failed: %s", job.name, type(exc).__name__)


def run_pass(provider: SmsProvider | None = None, now: datetime | None = None) -> PassSummary:
    """One worker pass inside an app context: deliver due messages, then run the periodic jobs that
    are due (the app's `JOBS_EXTENSION` list; their last runs are kept on the app).

    `provider`: default `get_provider(current_app.config["SETTINGS"])`. `now`: the pass's UTC
    time (default: the current time; tests move it forward to pass a back-off).
    """
    if provider is None:
        provider = get_provider(current_app.config["SETTINGS"])
    now = now or utcnow()
    summary = deliver_due(provider, now)
    jobs = current_app.extensions.get(JOBS_EXTENSION, ())
    last_runs = current_app.extensions.setdefault(LAST_RUNS_EXTENSION, {})
    run_periodic_jobs(now, jobs, last_runs)
    return summary

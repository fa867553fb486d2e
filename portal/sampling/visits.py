"""The end of a visit at the desk, and the one SMS that tells the family it is done.

A checked-in visit is done either when every attendee's sample is recorded (`finish_if_all_sampled`,
called by `portal.sampling.samples.record_samples`) or when the desk closes it with someone not
sampled (`close_visit`: they did not come, or brought a parent's personal belongings instead of
a sample, as the campaign allows), giving a reason for each of them. Either way
`Appointment.visit_done_at` is set by one conditional UPDATE (... WHERE visit_done_at IS NULL),
and only the write that set it queues the family's SMS: a second close, a re-save, a correction
or two desks at once never send a second one. (After the close, a tube for someone reported as not
sampled is recorded only by `portal.sampling.samples.correct_tube_number`, which sends its own one
"taken after all" message.) Channel-agnostic domain code; the staff pages
(portal/staff/sampling_views.py) call it.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.core import audit
from portal.core.extensions import db
from portal.core.intake import close_finished_appointment
from portal.core.models import Appointment, AppointmentStatus, Attendee, utcnow
from portal.sampling import notices
from portal.sampling.booking import NotChangeable

# Why a person's sample was not taken (Attendee.not_sampled_reason), in the order the desk offers them.
NOT_SAMPLED_REASONS = {
    "did_not_come": _l("Did not come"),
    notices.BELONGINGS_REASON: _l("Brought a parent's personal belongings instead"),
    "could_not_give": _l("Could not give a sample today"),
    "declined": _l("Chose not to give a sample"),
    "other": _l("Another reason (say which in the note)"),
}
MAX_NOTE_LENGTH = 500


class VisitAlreadyDone(Exception):
    """The visit was already done (every sample recorded, or closed before, perhaps at another
    desk): nothing is changed and no SMS is sent."""


class ReasonsNeeded(ValueError):
    """Closing a visit needs a reason (a key of NOT_SAMPLED_REASONS) for every attendee not
    sampled: `attendee_ids` are those without one."""

    def __init__(self, attendee_ids: list[int]) -> None:
        super().__init__(attendee_ids)
        self.attendee_ids = attendee_ids


def visit_can_close(appointment: Appointment) -> bool:
    """True when the desk may close the visit: checked in, not done yet, and someone not sampled."""
    return (appointment.status == AppointmentStatus.CHECKED_IN and appointment.visit_done_at is None
            and any(attendee.sample_taken_at is None for attendee in appointment.attendees))


def _mark_done(appointment: Appointment) -> bool:
    """Set `visit_done_at` now if it is not set yet; True when this call set it."""
    written = db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.visit_done_at.is_(None),
               Appointment.status == AppointmentStatus.CHECKED_IN)
        .values(visit_done_at=utcnow())
        .execution_options(synchronize_session=False))
    done = written.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
    if done:
        db.session.expire(appointment, ["visit_done_at"])
    return done


def finish_if_all_sampled(appointment: Appointment) -> bool:
    """In the caller's transaction, after samples were written: when every attendee of the
    checked-in `appointment` has a sample recorded (read from the database, not the session's
    copies) and the visit is not done yet, mark it done and queue the "sample taken" SMS.
    Returns True when this call did so."""
    left = db.session.scalar(select(func.count()).select_from(Attendee).where(
        Attendee.appointment_id == appointment.id, Attendee.sample_taken_at.is_(None)))
    if left or not _mark_done(appointment):
        return False
    notices.queue_checked_in(appointment)
    return True


def close_visit(appointment: Appointment, reasons: Mapping[int, tuple[str, str | None]], *,
                actor_id: int) -> list[Attendee]:
    """Close a checked-in visit with someone not sampled, in the caller's transaction (the caller
    commits). `reasons`: {attendee id: (a key of NOT_SAMPLED_REASONS, optional note)} for each
    attendee with no sample recorded (others are ignored); notes are cut to MAX_NOTE_LENGTH.

    Sets `visit_done_at` once, keeps each reason and note on its attendee (the note encrypted),
    queues one SMS to the applicant naming whose sample was not taken (`notices.queue_visit_closed`),
    closes the booking's queue item (`close_finished_appointment`) and records the audit event
    "visit_closed" (the fields and how many were not sampled, never the note). Returns the
    attendees not sampled, in booking order.

    Raises NotChangeable (not checked in), VisitAlreadyDone (done before: every sample
    recorded, or closed already, also by another desk at the same instant) or ReasonsNeeded.
    """
    if appointment.status != AppointmentStatus.CHECKED_IN:
        raise NotChangeable(appointment.id)
    if appointment.visit_done_at is not None:
        raise VisitAlreadyDone(appointment.id)
    not_sampled = [attendee for attendee in appointment.attendees if attendee.sample_taken_at is None]
    if not not_sampled:
        raise VisitAlreadyDone(appointment.id)
    missing = [attendee.id for attendee in not_sampled
               if (reasons.get(attendee.id) or ("", None))[0] not in NOT_SAMPLED_REASONS]
    if missing:
        raise ReasonsNeeded(missing)
    with db.session.begin_nested():
        if not _mark_done(appointment):
            raise VisitAlreadyDone(appointment.id)
        for attendee in not_sampled:
            reason, note = reasons[attendee.id]
            attendee.not_sampled_reason = reason
            attendee.not_sampled_note = (note or "").strip()[:MAX_NOTE_LENGTH] or None
        notices.queue_visit_closed(appointment, not_sampled)
        close_finished_appointment(appointment.item_id)
        fields = ["not_sampled_reason"]
        if any(attendee.not_sampled_note for attendee in not_sampled):
            fields.append("not_sampled_note")
        audit.record("visit_closed", actor_id=actor_id, item_id=appointment.item_id, fields=fields,
                     numbers={"not_sampled": len(not_sampled)})
        db.session.flush()
    return not_sampled


__all__ = ["NOT_SAMPLED_REASONS", "ReasonsNeeded", "VisitAlreadyDone", "close_visit", "finish_if_all_sampled",
           "visit_can_close"]

"""Cancelling a sampling appointment by SMS: CANCEL BOOKING / 取消预约 (menu choice 4).

Only from the phone that booked it (docs/threat-model.md#forging-sms): a booking is found by its
applicant's mobile number hash, never by the reference alone.

- With a reference after the keyword: that booking, when this phone made it; otherwise one
  neutral answer (unknown reference, a tip, another phone's booking).
- Without one: the phone's upcoming booked appointments. One is offered at once; several are
  listed, soonest first, numbered (reference, local date, weekday and time), to choose by number.
  A phone has at most MAX_UPCOMING_BOOKINGS_PER_PHONE upcoming bookings, so CANCEL_CHOICES fit
  in one message; any beyond them can still be cancelled by reference.
- Then the confirmation: "Cancel booking TY-… at <site>, <time>? Reply 1 to cancel it, 2 to keep
  it." Only 1 and 2 count (not YES/NO words: "取消" means "no" elsewhere in the hotline and would
  keep a booking its sender meant to cancel); anything else asks again.
- 1 cancels through `portal.sampling.booking.cancel_appointment`, the function the web uses
  (places freed, identity numbers free to book again, an audit event with actor kind "public";
  no cancellation SMS is queued: the reply says it is cancelled); a booking that meanwhile can
  no longer be changed gets the same refusal as when it was asked for (the web's NotChangeable:
  already cancelled, checked in, not come, or started).

No per-number failure count here, unlike STATUS: a reference of another phone's booking gets
the same answer as an unknown one, so trying references teaches nothing.
"""

from __future__ import annotations

from datetime import datetime

from portal.core.extensions import db
from portal.core.i18n import format_local_datetime, format_local_datetime_without_year
from portal.core.models import Appointment, AppointmentStatus
from portal.core.sms.segments import shortened
from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.flows.base import Reply, Turn, keep_language
from portal.hotline.keywords import read_reference_and_code
from portal.sampling.booking import (
    MAX_UPCOMING_BOOKINGS_PER_PHONE,
    NotChangeable,
    cancel_appointment,
    find_for_manage,
    is_changeable,
    upcoming_for_phone,
)

CANCEL_CHOICES = MAX_UPCOMING_BOOKINGS_PER_PHONE


def upcoming_appointments(phone_hash: str, now: datetime) -> list[Appointment]:
    """This number's booked appointments that have not started at `now` (UTC), soonest first."""
    return list(db.session.scalars(upcoming_for_phone(phone_hash, now)))


def refusal(appointment: Appointment, now: datetime, language: str) -> str | None:
    """Why this booking can no longer be cancelled at `now` (UTC), as a reply, or None when it can
    (the same conditions as `portal.sampling.booking.cancel_appointment`'s NotChangeable:
    `is_changeable`)."""
    if is_changeable(appointment, now):
        return None
    reference = appointment.item.reference
    status = appointment.status
    if status == AppointmentStatus.CANCELLED:
        return replies.cancel_refused_cancelled(reference, language)
    if status == AppointmentStatus.CHECKED_IN:
        return replies.cancel_refused_checked_in(reference, language)
    return replies.cancel_refused_passed(reference, language)


def _when(appointment: Appointment, language: str) -> str:
    return format_local_datetime(appointment.slot.starts_at, appointment.site.timezone, language)


def confirm_text(appointment: Appointment, language: str) -> str:
    """The confirmation question for cancelling `appointment`: its reference, site (cut short
    when the reply would not fit two segments, see `shortened`) and local date, weekday and time."""
    reference, when = appointment.item.reference, _when(appointment, language)
    return shortened(lambda name: replies.cancel_confirm(reference, name, when, language), appointment.site.name)


def done_text(appointment: Appointment, language: str) -> str:
    """The reply once `appointment` is cancelled: reference, site (cut short when needed) and time."""
    reference, when = appointment.item.reference, _when(appointment, language)
    return shortened(lambda name: replies.cancel_done(reference, name, when, language), appointment.site.name)


def _own(appointment_id: object, turn: Turn) -> Appointment | None:
    """The appointment remembered by the conversation, if it is still this phone's."""
    appointment = db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None
    if appointment is None or appointment.applicant_phone_hash != turn.phone_hash:
        return None
    return appointment


class CancelFlow:
    """See the module docstring. Steps: "choose" (`data["choices"]`: appointment ids in the order
    listed), "confirm" (`data["appointment_id"]`)."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Offer the booking named after the keyword, or this phone's upcoming bookings."""
        conversation.data = {"language": turn.language}
        reference, _code = read_reference_and_code(rest)
        if reference is not None:
            appointment = find_for_manage(reference, turn.phone)
            if appointment is None:
                conversation.end()
                return Reply(replies.cancel_not_found(turn.language))
            return self._offer(turn, conversation, appointment)
        upcoming = upcoming_appointments(turn.phone_hash, turn.now)
        if not upcoming:
            conversation.end()
            return Reply(replies.cancel_none(turn.language))
        if len(upcoming) == 1:
            return self._offer(turn, conversation, upcoming[0])
        listed = upcoming[:CANCEL_CHOICES]
        conversation.data["choices"] = [appointment.id for appointment in listed]
        conversation.goto("choose")
        return Reply(replies.cancel_choose(
            [(appointment.item.reference,
              format_local_datetime_without_year(appointment.slot.starts_at, appointment.site.timezone, turn.language))
             for appointment in listed],
            turn.language,
        ))

    def _offer(self, turn: Turn, conversation: Conversation, appointment: Appointment) -> Reply:
        conversation.item_id = appointment.item_id  # the messages join the booking's item for staff
        refused = refusal(appointment, turn.now, turn.language)
        if refused is not None:
            conversation.end()
            return Reply(refused)
        conversation.data["appointment_id"] = appointment.id
        conversation.goto("confirm")
        return Reply(confirm_text(appointment, turn.language))

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """A number from the list, or 1 / 2 to the confirmation."""
        picked = turn.message.number
        if conversation.step == "choose":
            choices = list(conversation.data.get("choices") or [])
            if picked is not None and 1 <= picked <= len(choices):
                appointment = _own(choices[picked - 1], turn)
                if appointment is not None:
                    return self._offer(turn, conversation, appointment)
            # Not a number from the list: a reference typed instead, or the (fresh) list again.
            if read_reference_and_code(turn.text)[0] is not None:
                turn = keep_language(turn, conversation)
            return self.start(turn, conversation, turn.text or "")

        appointment = _own(conversation.data.get("appointment_id"), turn)
        if appointment is None:  # erased meanwhile (retention): start afresh
            conversation.end()
            return Reply(replies.cancel_none(turn.language))
        reference = appointment.item.reference
        if picked == 2:
            conversation.end()
            return Reply(replies.cancel_kept(reference, turn.language))
        if picked != 1:
            return Reply(confirm_text(appointment, turn.language))
        conversation.end()
        try:
            # The reply says it is cancelled: no second SMS from the outbox saying the same.
            cancel_appointment(appointment, actor_kind="public", send_notice=False)
        except NotChangeable:
            db.session.refresh(appointment)
            return Reply(refusal(appointment, turn.now, turn.language)
                         or replies.cancel_refused_passed(reference, turn.language))
        return Reply(done_text(appointment, turn.language))


"""Tube numbers saved for more than one person before the database enforced uniqueness: listing
them, and resolving them one person at a time with a reason (the `flask tube-numbers` commands).

Migration 0012 refuses to add the unique index while such numbers exist, so this module must work
on a database still at revision 0011 (or any revision from 0009, which has the sites' label
columns and the table of retired numbers): it selects named columns only, never whole model rows, so that columns later
migrations add cannot break it. Stored values may not be
normalised yet, so numbers are compared in their `normalise_tube_number` form, in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from portal.core import audit
from portal.core.extensions import db
from portal.core.permissions import Permission, Role, role_allows
from portal.core.models import Appointment, Attendee, IntakeItem, ItemNote, SamplingSite, Slot, StaffUser, staff_site, as_utc
from portal.sampling.samples import MAX_REASON_LENGTH, correction_note, is_retired, retire
from portal.core.tube_numbers import TubeNumberProblem, check_tube_number, normalise_tube_number


@dataclass(frozen=True)
class TubeNumberHolder:
    """One person holding a tube number: the attendee, their booking and site, the value as
    stored, and when the sample was recorded and the booking's time (UTC, or None)."""

    attendee_id: int
    appointment_id: int
    item_id: int
    reference: str
    site_name: str
    site_timezone: str
    stored: str
    sample_taken_at: datetime | None
    slot_starts_at: datetime | None


@dataclass(frozen=True)
class SharedTubeNumber:
    """A normalised tube number held by more than one person ("" when a stored value has no
    letters or digits left once normalised, which is as unusable), and who holds it."""

    tube: str
    holders: list[TubeNumberHolder]


class ResolveRefused(ValueError):
    """A resolution that cannot be made; the message says why (in English, for the command line)."""


def _holders() -> list[TubeNumberHolder]:
    rows = db.session.execute(
        select(Attendee.id, Attendee.appointment_id, Appointment.item_id, IntakeItem.reference, SamplingSite.name,
               SamplingSite.timezone, Attendee.sample_tube_number, Attendee.sample_taken_at, Slot.starts_at)
        .join(Appointment, Appointment.id == Attendee.appointment_id)
        .join(IntakeItem, IntakeItem.id == Appointment.item_id)
        .join(Slot, Slot.id == Appointment.slot_id)
        .join(SamplingSite, SamplingSite.id == Slot.site_id)
        .where(Attendee.sample_tube_number.is_not(None))
        .order_by(Attendee.id)
    ).all()
    return [TubeNumberHolder(*row) for row in rows]  # type: ignore[arg-type]  # the row is the holder's fields, in order


def find_shared_tube_numbers() -> list[SharedTubeNumber]:
    """Every tube number (normalised) held by more than one person, or left with no letters or
    digits, with its holders by attendee id; ordered by tube number. Empty once all are resolved."""
    groups: dict[str, list[TubeNumberHolder]] = defaultdict(list)
    for holder in _holders():
        groups[normalise_tube_number(holder.stored) or ""].append(holder)
    return [SharedTubeNumber(tube, holders) for tube, holders in sorted(groups.items())
            if tube == "" or len(holders) > 1]


def _actor_id(username: str, attendee_id: int) -> int:
    """The id of the active staff account `username`, who may correct the tube number of
    `attendee_id` at the desk: a role with the desk's permission, and (site staff) working at the
    booking's site, as the correction form at the desk requires."""
    row = db.session.execute(select(StaffUser.id, StaffUser.active, StaffUser.role)
                             .where(StaffUser.username == username.strip().lower())).first()
    if row is None or not row.active:
        raise ResolveRefused(f"there is no active staff account {username!r} (--by names who resolves it)")
    if not role_allows(row.role, Permission.SAMPLING_DESK):
        raise ResolveRefused(f"the account {username!r} may not correct tube numbers: --by names an account "
                             "of the sampling desk (site staff or an administrator)")
    if row.role != Role.ADMIN.value:
        site_id = db.session.scalar(select(Slot.site_id).join(Appointment, Appointment.slot_id == Slot.id)
                                    .join(Attendee, Attendee.appointment_id == Appointment.id)
                                    .where(Attendee.id == attendee_id))
        works_there = db.session.scalar(select(func.count()).select_from(staff_site).where(
            staff_site.c.staff_user_id == row.id, staff_site.c.site_id == site_id))
        if not works_there:
            raise ResolveRefused(f"the account {username!r} does not work at this person's site: --by names "
                                 "an account of that site's desk, or an administrator")
    return row.id


def resolve_shared_tube_number(attendee_id: int, *, new_number: str | None, reason: str,
                               by_username: str) -> TubeNumberHolder:
    """Resolve one person of a shared tube number, in the caller's transaction: set their tube
    number to `new_number` (checked as at the desk, without a site format; held by nobody else),
    or clear it (`new_number` None: the sample's time is cleared too, so the desk can record a new
    tube). `reason` is required; `by_username` names the active staff account responsible, whose
    role may correct tube numbers at the desk. The number set must never have been retired; the
    number left, once nobody holds it, is retired.

    Leaves the same record as a correction at the desk (`samples.correct_tube_number`): an
    internal note on the booking with the reason and numbers, and an audit event naming the staff
    member, the attendee id and the fields, never the values. Returns the person as they were.
    Raises ResolveRefused, saying why, when the person holds no shared number, the reason is
    empty, the account is unknown, or the new number is not usable or is held by someone else.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ResolveRefused("give the reason for this correction (--reason)")
    actor_id = _actor_id(by_username, attendee_id)
    shared = {holder.attendee_id: group for group in find_shared_tube_numbers() for holder in group.holders}
    if attendee_id not in shared:
        raise ResolveRefused(f"attendee {attendee_id} holds no tube number shared with anyone: "
                             "correct it from its booking's page at the sampling desk")
    holder = next(h for h in shared[attendee_id].holders if h.attendee_id == attendee_id)
    tube = None
    if new_number is not None:
        try:
            tube = check_tube_number(new_number, None)
        except TubeNumberProblem as problem:
            raise ResolveRefused(f"{new_number!r} is not a tube number: 1 to 40 letters and digits") from problem
        if tube is None:
            raise ResolveRefused("give the new tube number (--set), or --clear")
        others = [h.reference for h in _holders()
                  if h.attendee_id != attendee_id and normalise_tube_number(h.stored) == tube]
        if others:
            raise ResolveRefused(f"{tube} is already the tube number of someone on {', '.join(sorted(set(others)))}")
        if is_retired(tube):
            raise ResolveRefused(f"{tube} was used before and then corrected or removed: a tube number is never "
                                 "used twice")
    position = db.session.scalar(select(func.count()).select_from(Attendee).where(
        Attendee.appointment_id == holder.appointment_id, Attendee.id <= attendee_id))
    values: dict = {"sample_tube_number": tube}
    if tube is None:
        values["sample_taken_at"] = None
    db.session.execute(update(Attendee.__table__).where(Attendee.__table__.c.id == attendee_id).values(**values))
    old = normalise_tube_number(holder.stored)
    if old and not any(normalise_tube_number(h.stored) == old for h in _holders()):
        retire(old)  # nobody holds it any more: reserved, like a number corrected away at the desk
    db.session.add(ItemNote(item_id=holder.item_id, author_id=actor_id,
                            body=correction_note(position, holder.stored, tube, reason[:MAX_REASON_LENGTH])))  # type: ignore[arg-type]  # a count is never None
    audit.record("tube_number_corrected", actor_id=actor_id, item_id=holder.item_id,
                 fields=["sample_tube_number", "note"], changes={"attendee_id": (attendee_id, attendee_id)})
    db.session.flush()
    return holder


def local_text(instant: datetime | None, zone: str) -> str:
    """`instant` (UTC) as `YYYY-MM-DD HH:MM` in the site's zone, for the command line; "-" for None."""
    return "-" if instant is None else as_utc(instant).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


__all__ = ["ResolveRefused", "SharedTubeNumber", "TubeNumberHolder", "find_shared_tube_numbers", "local_text",
           "resolve_shared_tube_number"]

"""Closing a sampling site for some days: who may, what it would do (the preview), and doing it.

Site staff propose a closure of their own site; an admin confirms or rejects it; an admin may
also close days at once. Before anything is closed, staff see the preview: each booking on those
days, the SMS its family would be sent (exactly the text then queued) and the free times
nearest to it. Confirming checks that the bookings are still those the preview showed
(`StalePreview` otherwise), then closes the days and queues the SMS, in the caller's
transaction. Why site staff propose and admins confirm: docs/product.md#closing-a-day.

All days are dates in the site's local calendar, inclusive; instants are UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

from sqlalchemy import func, select

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import (
    Appointment,
    ClosureStatus,
    OutboundMessage,
    OutboundStatus,
    SamplingSite,
    SiteClosure,
    Slot,
    StaffUser,
    utcnow,
)
from portal.core.permissions import Role
from portal.sampling import notices, slots
from portal.sampling.site_admin import booked_in_days

# How many free times the preview shows for each booking.
OFFERED_TIMES = 3


@dataclass(frozen=True)
class ClosureRights:
    """What one staff account may do with the closures of one site."""

    may_read: bool = False
    may_propose: bool = False
    may_decide: bool = False  # confirm or reject a proposal, close days at once, remove a closure


def closure_rights(user: StaffUser, site: SamplingSite) -> ClosureRights:
    """The one rule of who may read, propose and decide closures of `site`.

    Admins decide for every site; site staff read and propose for the sites they work at;
    supervisors only read. (When units arrive, this is where an admin is limited to the sites of
    their unit and the units below it.)
    """
    if user.role == Role.ADMIN:
        return ClosureRights(may_read=True, may_propose=True, may_decide=True)
    if user.role == Role.SITE_STAFF:
        own = any(mine.id == site.id for mine in user.sites)
        return ClosureRights(may_read=own, may_propose=own)
    if user.role == Role.SUPERVISOR:
        return ClosureRights(may_read=True)
    return ClosureRights()


@dataclass(frozen=True)
class AffectedBooking:
    """One booking on a day to close: the SMS its family would be sent (None: the booking has
    no mobile number, nothing is sent) and the free times nearest to it, outside the closed days."""

    appointment: Appointment
    message: str | None
    offered: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class ClosurePreview:
    """What closing `site` from `starts_on` to `ends_on` would do. `fingerprint` names the days
    and the bookings shown; confirming with another fingerprint is refused (`StalePreview`)."""

    site: SamplingSite
    starts_on: date
    ends_on: date
    affected: list[AffectedBooking]
    fingerprint: str

    @property
    def item_ids(self) -> list[int]:
        """The intake item ids of the bookings shown (for the audit event of the view)."""
        return [booking.appointment.item_id for booking in self.affected]


class StalePreview(Exception):
    """The bookings on the days to close are no longer those the preview showed (booked, moved
    or cancelled meanwhile), or the days differ. `preview` is the preview as it is now."""

    def __init__(self, preview: ClosurePreview) -> None:
        super().__init__("the closure preview is out of date")
        self.preview = preview


class NotPending(Exception):
    """The proposal was already confirmed or rejected (by another admin, or in another tab)."""


def _fingerprint(site: SamplingSite, starts_on: date, ends_on: date, appointments: Sequence[Appointment]) -> str:
    parts = [f"{site.id}:{starts_on.isoformat()}:{ends_on.isoformat()}"]
    parts += sorted(f"{a.id}:{a.slot_id}:{a.party_size}:{int(bool(a.applicant_phone))}" for a in appointments)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _offered(site: SamplingSite, appointment: Appointment, starts_on: date, ends_on: date,
             now: datetime) -> list[Slot]:
    """The free times nearest to the booked one with room for the whole party, on days the
    closure leaves open (it is not stored yet, so `nearest_free_slots` cannot leave them out)."""
    candidates = slots.nearest_free_slots(site, appointment.slot.starts_at, appointment.party_size,  # type: ignore[union-attr]
                                          limit=200, exclude=appointment.slot_id, now=now)
    outside = [slot for slot in candidates if not starts_on <= slots.local_day(site, slot.starts_at) <= ends_on]
    wanted = appointment.slot.starts_at  # type: ignore[union-attr]
    outside.sort(key=lambda slot: (abs((slot.starts_at - wanted).total_seconds()), slot.starts_at))
    return sorted(outside[:OFFERED_TIMES], key=lambda slot: slot.starts_at)


def preview_closure(site: SamplingSite, starts_on: date, ends_on: date, *, now: datetime | None = None) -> ClosurePreview:
    """What closing the site from `starts_on` to `ends_on` would do; changes nothing.

    `now`: a UTC instant (default: now), for the free times. Raises ValueError when `ends_on`
    is before `starts_on`.
    """
    if ends_on < starts_on:
        raise ValueError("a closure ends on or after the day it starts")
    now = now or utcnow()
    appointments = booked_in_days(site, starts_on, ends_on)
    affected = [AffectedBooking(a, notices.closure_notice_body(a), _offered(site, a, starts_on, ends_on, now))
                for a in appointments]
    return ClosurePreview(site, starts_on, ends_on, affected, _fingerprint(site, starts_on, ends_on, appointments))


def record_preview_viewed(preview: ClosurePreview, *, actor_id: int) -> None:
    """Audit the preview as one view of personal data (the families' names), naming the items shown."""
    if preview.affected:
        audit.record("view_closure_preview", actor_id=actor_id, fields=["applicant_name"],
                     numbers={"items": preview.item_ids, "site_id": preview.site.id})


def _tell_families(preview: ClosurePreview, closure: SiteClosure, actor_id: int) -> int:
    told = 0
    for booking in preview.affected:
        notices.queue_closure_notice(booking.appointment)
        audit.record("closure_notice_queued", actor_id=actor_id, item_id=booking.appointment.item_id)
        told += booking.message is not None
    closure.families_told = told
    return told


def close_days(site: SamplingSite, starts_on: date, ends_on: date, reason: str | None, *, fingerprint: str,
               actor_id: int, now: datetime | None = None) -> SiteClosure:
    """An admin closes the site from `starts_on` to `ends_on` at once, after the preview whose
    `fingerprint` is given: the closure is stored confirmed and every family with a booking on
    those days is sent the SMS the preview showed (their bookings stay until they move or
    cancel). In the caller's transaction; audited.

    Raises StalePreview when the bookings (or days) are not those previewed, ValueError when
    `ends_on` is before `starts_on`.
    """
    preview = preview_closure(site, starts_on, ends_on, now=now)
    if preview.fingerprint != fingerprint:
        raise StalePreview(preview)
    now = now or utcnow()
    closure = SiteClosure(site_id=site.id, starts_on=starts_on, ends_on=ends_on, reason=reason or None,
                          status=ClosureStatus.CONFIRMED, decided_by_id=actor_id, decided_at=now)
    db.session.add(closure)
    db.session.flush()
    _tell_families(preview, closure, actor_id)
    audit.record("closure_added", actor_id=actor_id, changes=_days_change(site, closure))
    db.session.flush()
    return closure


def propose_closure(site: SamplingSite, starts_on: date, ends_on: date, reason: str, *, actor_id: int,
                    now: datetime | None = None) -> SiteClosure:
    """Site staff propose closing their site from `starts_on` to `ends_on` for `reason`. Nothing
    is closed and nobody is told until an admin confirms it. In the caller's transaction; audited.

    Raises ValueError when `ends_on` is before `starts_on` or the reason is empty.
    """
    if ends_on < starts_on:
        raise ValueError("a closure ends on or after the day it starts")
    if not reason.strip():
        raise ValueError("a proposed closure needs a reason")
    closure = SiteClosure(site_id=site.id, starts_on=starts_on, ends_on=ends_on, reason=reason.strip(),
                          status=ClosureStatus.PROPOSED, proposed_by_id=actor_id, proposed_at=now or utcnow())
    db.session.add(closure)
    db.session.flush()
    audit.record("closure_proposed", actor_id=actor_id, changes=_days_change(site, closure))
    return closure


def confirm_proposal(closure: SiteClosure, *, fingerprint: str, actor_id: int,
                     now: datetime | None = None) -> SiteClosure:
    """An admin confirms a proposed closure after its preview (`fingerprint`): its days close and
    the families are told, as `close_days` does. In the caller's transaction; audited.

    Raises NotPending when it is no longer proposed, StalePreview when the bookings changed.
    """
    if closure.status != ClosureStatus.PROPOSED:
        raise NotPending(closure.id)
    site = db.session.get_one(SamplingSite, closure.site_id)
    preview = preview_closure(site, closure.starts_on, closure.ends_on, now=now)
    if preview.fingerprint != fingerprint:
        raise StalePreview(preview)
    closure.status = ClosureStatus.CONFIRMED
    closure.decided_by_id = actor_id
    closure.decided_at = now or utcnow()
    _tell_families(preview, closure, actor_id)
    audit.record("closure_confirmed", actor_id=actor_id,
                 changes={**_days_change(site, closure),
                          "status": (ClosureStatus.PROPOSED, ClosureStatus.CONFIRMED)})
    db.session.flush()
    return closure


def reject_proposal(closure: SiteClosure, *, actor_id: int, now: datetime | None = None) -> None:
    """An admin rejects a proposed closure: the site stays open and nobody is told; the proposal
    is kept, rejected, for the record. In the caller's transaction; audited. Raises NotPending
    when it is no longer proposed."""
    if closure.status != ClosureStatus.PROPOSED:
        raise NotPending(closure.id)
    closure.status = ClosureStatus.REJECTED
    closure.decided_by_id = actor_id
    closure.decided_at = now or utcnow()
    site = db.session.get_one(SamplingSite, closure.site_id)
    audit.record("closure_rejected", actor_id=actor_id,
                 changes={**_days_change(site, closure),
                          "status": (ClosureStatus.PROPOSED, ClosureStatus.REJECTED)})
    db.session.flush()


def _days_change(site: SamplingSite, closure: SiteClosure) -> dict[str, tuple[Any, Any]]:
    days = f"{closure.starts_on.isoformat()}/{closure.ends_on.isoformat()}"
    return {"site_id": (site.id, site.id), "closure_days": (None, days)}


def proposals_waiting(site_ids: Sequence[int] | None = None) -> list[SiteClosure]:
    """Proposed closures not yet decided, oldest first; of the sites `site_ids` (None: every site)."""
    query = select(SiteClosure).where(SiteClosure.status == ClosureStatus.PROPOSED)
    if site_ids is not None:
        query = query.where(SiteClosure.site_id.in_(site_ids))
    return list(db.session.scalars(query.order_by(SiteClosure.proposed_at, SiteClosure.id)))


def closure_on(site: SamplingSite, day: date) -> SiteClosure | None:
    """The confirmed closure of the site that covers local `day` (the latest added), or None."""
    return db.session.scalars(
        select(SiteClosure).where(SiteClosure.site_id == site.id, SiteClosure.status == ClosureStatus.CONFIRMED,
                                  SiteClosure.starts_on <= day, SiteClosure.ends_on >= day)
        .order_by(SiteClosure.id.desc()).limit(1)
    ).first()


def closure_notice_states(item_ids: Sequence[int]) -> dict[int, OutboundStatus]:
    """For each item (booking) id given, the state of the latest closure SMS queued for it
    (queued, sent, failed, opted out, …); items never sent one are left out."""
    if not item_ids:
        return {}
    latest = (select(OutboundMessage.item_id, func.max(OutboundMessage.id).label("last_id"))
              .where(OutboundMessage.item_id.in_(item_ids), OutboundMessage.purpose == notices.CLOSURE_PURPOSE)
              .group_by(OutboundMessage.item_id).subquery())
    rows = db.session.execute(select(OutboundMessage.item_id, OutboundMessage.status)
                              .join(latest, OutboundMessage.id == latest.c.last_id)).all()
    return {item_id: OutboundStatus(status) for item_id, status in rows if item_id is not None}


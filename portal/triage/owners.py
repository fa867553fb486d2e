"""Named owners of items: who may own an item, assigning it to a named person, handing over an
account's open items, each person's workload, and the short text message to an owner's duty phone.

An item's owner (`IntakeItem.assigned_to_id`, "officer responsible") is one staff member. Who
may own an item follows the roles of docs/product.md ("triage officers who sort and assign, working
groups who verify leads") and the permission table (`portal.core.permissions`):

- an active member of the item's working group (a lead not yet given to a group has no members
  to offer);
- an active triage officer (triage officers may take any item today, with "Make me responsible",
  so they may be given one too).

Nobody else is offered, and a switched-off account never is. Who may *assign* an owner is the
triage permission (triage officers and admins: "every item: triage and assign"); supervisors read
and change nothing; a working-group member takes an item of their group for themselves with
`portal.triage.workflow.take`, as before.

The owner is not part of the status workflow (`portal.triage.workflow`): an item's status
follows its working group (accepted → assigned, verifying), not its owner. So clearing the owner
("returned to the queue") leaves the status as it is: the item stays with its working group and
shows in the queue with nobody responsible, ready to be taken or assigned again.

All functions write to the caller's session; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from flask_babel import force_locale, gettext as _, ngettext
from sqlalchemy import ColumnElement, and_, case, false, func, literal, null, or_, select, union_all
from sqlalchemy.orm import joinedload

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, ItemStatus, OutboundMessage, StaffUser, WorkingGroup
from portal.core.outbox import queue_message
from portal.core.permissions import Role

ASSIGNED_NOTICE_PURPOSE = "assigned_to_you"


class OwnerRefused(ValueError):
    """The chosen person may not own the item (switched off, outside its working group, another
    role, or no such account). `code` is "not_eligible"; `item_id` names the first item refused."""

    def __init__(self, item_id: int | None = None) -> None:
        super().__init__("not_eligible")
        self.code = "not_eligible"
        self.item_id = item_id


def _eligible(working_group_id: int | None) -> ColumnElement[bool]:
    """A WHERE clause on StaffUser: the active accounts that may own an item of this group."""
    members = (
        and_(StaffUser.role == Role.GROUP_MEMBER, StaffUser.working_group_id == working_group_id)
        if working_group_id is not None else false()
    )
    return and_(StaffUser.active.is_(True), or_(StaffUser.role == Role.TRIAGE_OFFICER, members))


def may_own(item: IntakeItem, user: StaffUser) -> bool:
    """True when `user` may be made the owner of `item` (the rule in this module's docstring)."""
    return why_not_owner(item, user) is None


def why_not_owner(item: IntakeItem, user: StaffUser) -> str | None:
    """Why `user` may not own `item`, as a code, or None when they may (`may_own`'s rule):
    "switched_off" (the account), "booking" (nobody owns a sampling booking), "no_group" (a group
    member, and the item has no working group yet), "other_group" (a member of another group),
    "role" (a role that owns no items). The words are `portal.staff.owners.not_owner_words`."""
    if not user.active:
        return "switched_off"
    if item.kind == ItemKind.APPOINTMENT:
        return "booking"
    if user.role == Role.TRIAGE_OFFICER:
        return None
    if user.role != Role.GROUP_MEMBER:
        return "role"
    if item.working_group_id is None:
        return "no_group"
    return None if user.working_group_id == item.working_group_id else "other_group"


def candidates(working_group_ids: Iterable[int | None], *, excluding: int | None = None) -> list[StaffUser]:
    """The active accounts that may own *every* item of the given working groups (None: no group
    yet), by role (group members first) then username; `excluding` leaves one account out.

    One working group: its active members and the triage officers. Several, or none: only the
    triage officers (nobody else may own items of different groups).
    """
    groups = set(working_group_ids)
    only = next(iter(groups)) if len(groups) == 1 else None
    query = select(StaffUser).where(_eligible(only))
    if excluding is not None:
        query = query.where(StaffUser.id != excluding)
    people = list(db.session.scalars(query.order_by(StaffUser.username)))
    return sorted(people, key=lambda u: u.role != Role.GROUP_MEMBER)


def _locked_owner(owner_id: int) -> StaffUser | None:
    """The account `owner_id`, its row locked for this transaction (PostgreSQL: FOR UPDATE).

    Switching an account off changes the same row first, so an assignment and a switch-off at the
    same moment run one after the other: the assignment then sees the account switched off and is
    refused, or the switch-off sees the item and hands it over.
    """
    return db.session.scalar(
        select(StaffUser).where(StaffUser.id == owner_id).with_for_update().execution_options(populate_existing=True)
    )


def text_duty_phone(owner: StaffUser, body: str, purpose: str, *, item_id: int | None, now: datetime) -> OutboundMessage | None:
    """Queue `body` to `owner`'s duty phone (`StaffUser.duty_phone`) through the outbox, if the
    account is active and has one; else None. Not held at night: a duty phone is for duty.

    `body` must carry nothing personal: a reference number and what happened, no more
    (docs/threat-model.md#what-a-text-message-may-carry). `now`: aware UTC, the earliest send.
    """
    if not owner.active or not owner.duty_phone:
        return None
    return queue_message(owner.duty_phone, body, purpose, item_id=item_id, not_before=now)


def assigned_notice_text(references: Sequence[str]) -> str:
    """The text message to a new owner: the reference number and "assigned to you", nothing else
    (several items: their number only). In Chinese, the working language of the console."""
    with force_locale("zh"):
        if len(references) == 1:
            return _("Tuanyuan Portal: %(reference)s was assigned to you. Open the staff console to see it.",
                     reference=references[0])
        return ngettext("Tuanyuan Portal: %(num)s item was assigned to you. Open the staff console to see it.",
                        "Tuanyuan Portal: %(num)s items were assigned to you. Open the staff console to see them.",
                        len(references))


def assign(item: IntakeItem, owner_id: int, *, actor_id: int, now: datetime, notify: bool = True) -> bool:
    """Make the account `owner_id` the owner of `item`; False when it already is.

    Audited as "assign_item" (actor, item, owner ids before and after). The new owner, when it is
    not the actor, gets `assigned_notice_text` on their duty phone if they set one (`notify`
    False: not now; a caller assigning several items tells the owner once, `tell_new_owner`).
    Raises OwnerRefused when the account may not own the item (`may_own`).
    """
    owner = _locked_owner(owner_id)
    if owner is None or not may_own(item, owner):
        raise OwnerRefused(item.id)
    if item.assigned_to_id == owner.id:
        return False
    audit.record("assign_item", actor_id=actor_id, item_id=item.id,
                 changes={"assigned_to_id": (item.assigned_to_id, owner.id)})
    item.assigned_to_id = owner.id
    if notify:
        tell_new_owner(owner, [item], actor_id=actor_id, now=now)
    return True


def tell_new_owner(owner: StaffUser, items: Sequence[IntakeItem], *, actor_id: int, now: datetime) -> OutboundMessage | None:
    """One text to `owner`'s duty phone for the items just given to them (`assigned_notice_text`:
    the reference for one item, the number for several), or None: no items, the owner gave them
    to themselves, or has no duty phone. `now`: aware UTC."""
    if not items or owner.id == actor_id:
        return None
    return text_duty_phone(owner, assigned_notice_text([i.reference for i in items]), ASSIGNED_NOTICE_PURPOSE,
                           item_id=items[0].id if len(items) == 1 else None, now=now)


def possible_owners() -> list[StaffUser]:
    """Every active account that may own some item (triage officers, members of a working group),
    group members first, then by username: whom an assignment of several items offers, each
    item then checked with `may_own`."""
    query = select(StaffUser).where(StaffUser.active.is_(True), or_(
        StaffUser.role == Role.TRIAGE_OFFICER,
        and_(StaffUser.role == Role.GROUP_MEMBER, StaffUser.working_group_id.is_not(None))))
    people = list(db.session.scalars(query.options(joinedload(StaffUser.working_group)).order_by(StaffUser.username)))
    return sorted(people, key=lambda u: u.role != Role.GROUP_MEMBER)


def _open_owned(user_id: int):  # type: ignore[no-untyped-def]
    return select(IntakeItem).where(IntakeItem.assigned_to_id == user_id, IntakeItem.status != ItemStatus.CLOSED)


def open_items_of(user_id: int) -> list[IntakeItem]:
    """The open (not closed) items the account owns, oldest first."""
    return list(db.session.scalars(_open_owned(user_id).order_by(IntakeItem.received_at, IntakeItem.id)))


COUNT_CAP = 100  # a navigation count reads "99+" beyond this; counting every item would cost a scan


def open_item_count(user_id: int, cap: int = COUNT_CAP) -> int:
    """How many open items the account owns, counted up to `cap` (one COUNT over at most `cap`
    index rows, however many the account owns: an officer with 400,000 items must not make every
    page count them)."""
    capped = select(IntakeItem.id).where(IntakeItem.assigned_to_id == user_id, IntakeItem.status != ItemStatus.CLOSED).limit(cap)
    return db.session.scalar(select(func.count()).select_from(capped.subquery())) or 0


def hand_over(account: StaffUser, *, to_id: int | None, actor_id: int, now: datetime) -> list[IntakeItem]:
    """Hand over every open item `account` owns: back to the queue (`to_id` None: owner cleared,
    status unchanged, see the module docstring) or to the account `to_id`. Returns the items.

    Each item's change is audited ("release_item" or "assign_item", with the owner ids). The
    items are locked for the transaction (PostgreSQL), so an item given to `account` a moment
    earlier is handed over too. The new owner gets one text message on their duty phone (the
    reference for one item, the count for several). Raises OwnerRefused, changing nothing, when
    `to_id` may not own one of them (another working group, switched off, `account` itself).
    """
    items = list(db.session.scalars(
        _open_owned(account.id).order_by(IntakeItem.received_at, IntakeItem.id).with_for_update()
    ))
    owner = None
    if to_id is not None:
        owner = _locked_owner(to_id)
        refused = next((i for i in items if owner is None or owner.id == account.id or not may_own(i, owner)), None)
        if owner is None or owner.id == account.id or refused is not None:
            raise OwnerRefused(refused.id if refused is not None else None)
    for item in items:
        action = "assign_item" if owner is not None else "release_item"
        audit.record(action, actor_id=actor_id, item_id=item.id,
                     changes={"assigned_to_id": (item.assigned_to_id, owner.id if owner else None)})
        item.assigned_to_id = owner.id if owner else None
    if owner is not None:
        tell_new_owner(owner, items, actor_id=actor_id, now=now)
    return items


@dataclass
class WorkloadRow:
    """One person's open items (`user_id` None: the open items nobody owns)."""

    user_id: int | None
    username: str | None
    role: str | None
    group: str | None
    active: bool
    open_items: int
    overdue: int


def workload(now: datetime) -> list[WorkloadRow]:
    """Each person's open and overdue item counts, in one query (no query per person).

    Lists every active account that may own items (group members, triage officers), even with
    nothing, and anyone else who owns open items (an admin who took one, an account switched off
    before its items were handed over), by working group then username; last, a row with
    `user_id` None for the open items nobody owns. Overdue: open, feedback deadline before `now`
    (aware UTC).
    """
    is_open = and_(IntakeItem.status != ItemStatus.CLOSED, IntakeItem.kind != ItemKind.APPOINTMENT)
    overdue = func.coalesce(func.sum(case((IntakeItem.feedback_due_at < now, 1), else_=0)), 0)
    people = (
        select(StaffUser.id.label("user_id"), StaffUser.username.label("username"), StaffUser.role.label("role"),
               WorkingGroup.name.label("grp"), StaffUser.active.label("active"),
               func.count(IntakeItem.id).label("open_items"), overdue.label("overdue"), literal(0).label("last"))
        .select_from(StaffUser)
        .outerjoin(WorkingGroup, WorkingGroup.id == StaffUser.working_group_id)
        .outerjoin(IntakeItem, and_(IntakeItem.assigned_to_id == StaffUser.id, is_open))
        .group_by(StaffUser.id, StaffUser.username, StaffUser.role, WorkingGroup.name, StaffUser.active)
        .having(or_(func.count(IntakeItem.id) > 0,
                    and_(StaffUser.active.is_(True), StaffUser.role.in_([Role.GROUP_MEMBER, Role.TRIAGE_OFFICER]))))
    )
    nobody = (
        select(null().label("user_id"), null().label("username"), null().label("role"), null().label("grp"),
               literal(True).label("active"), func.count(IntakeItem.id).label("open_items"), overdue.label("overdue"),
               literal(1).label("last"))
        .select_from(IntakeItem)
        .where(is_open, IntakeItem.assigned_to_id.is_(None))
    )
    both = union_all(people, nobody).subquery()
    rows = db.session.execute(
        select(both).order_by(both.c["last"], both.c.grp.is_(None), both.c.grp, both.c.username)
    ).all()
    return [WorkloadRow(user_id=r.user_id, username=r.username, role=r.role, group=r.grp, active=bool(r.active),
                        open_items=int(r.open_items), overdue=int(r.overdue)) for r in rows]


def owner_choices(working_group_id: int | None = None) -> list[tuple[int, str]]:
    """(id, username) of everyone the queue's "officer responsible" filter offers, by username:
    the active accounts that may own items, and anyone who owns an open item. One query.

    With `working_group_id` (a group member's queue, which shows only that group's items): the
    group's active members, and anyone who owns an open item of that group; no one else's name."""
    # EXISTS per account (a probe of the owner index that stops at the first open item), not the
    # set of every open item's owner, which would read every open item.
    owned = [IntakeItem.assigned_to_id == StaffUser.id, IntakeItem.status != ItemStatus.CLOSED]
    may_own = and_(StaffUser.active.is_(True), StaffUser.role.in_([Role.GROUP_MEMBER, Role.TRIAGE_OFFICER]))
    if working_group_id is not None:
        owned.append(IntakeItem.working_group_id == working_group_id)
        may_own = and_(StaffUser.active.is_(True), StaffUser.working_group_id == working_group_id)
    owns_one = select(IntakeItem.id).where(*owned).exists()
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.username).where(or_(may_own, owns_one)).order_by(StaffUser.username)
    ).all()
    return [(user_id, username) for user_id, username in rows]


def release_if_other_group(item: IntakeItem, *, actor_id: int) -> bool:
    """After `item` moved to another working group: clear its owner when the owner is a member of
    a different group (they no longer see the item), audited as "release_item". Triage officers
    and admins stay. Returns True when the owner was cleared."""
    if item.assigned_to_id is None:
        return False
    owner = db.session.get(StaffUser, item.assigned_to_id)
    if owner is None or owner.role != Role.GROUP_MEMBER or owner.working_group_id == item.working_group_id:
        return False
    audit.record("release_item", actor_id=actor_id, item_id=item.id,
                 changes={"assigned_to_id": (item.assigned_to_id, None)})
    item.assigned_to_id = None
    return True


def release_not_eligible(account: StaffUser, *, actor_id: int) -> list[IntakeItem]:
    """After `account`'s role or working group changed: return to the queue (owner cleared,
    audited as "release_item") each of its open items it may no longer own (`may_own`; an admin
    keeps what it took). Returns the items released."""
    if account.role == Role.ADMIN:
        return []
    released = [item for item in open_items_of(account.id) if not may_own(item, account)]
    for item in released:
        audit.record("release_item", actor_id=actor_id, item_id=item.id,
                     changes={"assigned_to_id": (item.assigned_to_id, None)})
        item.assigned_to_id = None
    return released

"""The status workflow of an intake item, and the changes that go with it.

new → triaged → assigned → verifying → closed, where closing records an outcome. An open item
may also be closed early (spam, duplicate, not substantiated); a closed one may be reopened to
triaged. Accepting a lead (→ assigned) opens its case file number and assigns its one working
group ("one lead, one file, one working group").

Every move is one conditional UPDATE on the status the officer saw (`WHERE status = expected`),
so when two officers act on the same item at the same moment exactly one move happens and the
other is refused with StaleStatus; the audit event (the item's history) is written only for
the move that happened. All functions work in the caller's transaction (the caller commits).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.models import CaseFileCounter, IntakeItem, ItemKind, ItemLink, ItemNote, ItemStatus, Outcome, Priority
from portal.core.permissions import Permission
from portal.triage.owners import release_if_other_group

S = ItemStatus
TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    S.NEW: frozenset({S.TRIAGED, S.CLOSED}),
    S.TRIAGED: frozenset({S.ASSIGNED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.VERIFYING, S.CLOSED}),
    S.VERIFYING: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.TRIAGED}),  # reopen
}
# The permission each move needs: sorting and accepting are triage; working a lead is not.
MOVE_PERMISSION: dict[ItemStatus, Permission] = {
    S.TRIAGED: Permission.TRIAGE,
    S.ASSIGNED: Permission.TRIAGE,
    S.VERIFYING: Permission.EDIT_ITEM,
    S.CLOSED: Permission.EDIT_ITEM,
}
CASE_FILE_TIMEZONE = "Asia/Shanghai"


class WorkflowError(ValueError):
    """A change the workflow refuses; `code` names the reason for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class StaleStatus(WorkflowError):
    """The item's status changed since the officer looked (someone else acted first)."""

    def __init__(self) -> None:
        super().__init__("stale")


def allowed_moves(status: str) -> list[ItemStatus]:
    """The statuses an item in `status` may move to, in workflow order."""
    targets = TRANSITIONS.get(ItemStatus(status), frozenset())
    return [s for s in ItemStatus if s in targets]


def next_case_file_number(now: datetime) -> str:
    """Allocate the next case file number of `now`'s year (China time): `2026-00042`.

    One UPDATE … +1 on the year's counter row, so two acceptances at once get different numbers.
    """
    year = now.astimezone(ZoneInfo(CASE_FILE_TIMEZONE)).year
    bump = (
        update(CaseFileCounter)
        .where(CaseFileCounter.year == year)
        .values(last_number=CaseFileCounter.last_number + 1)
        .returning(CaseFileCounter.last_number)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseFileCounter).values(year=year, last_number=1))
            number = 1
        except IntegrityError:  # another acceptance created the year's row first
            number = db.session.execute(bump).scalar()
    return f"{year}-{number:05d}"


def move(
    item: IntakeItem,
    *,
    expected: str,
    target: ItemStatus,
    actor_id: int,
    outcome: Outcome | None = None,
    working_group_id: int | None = None,
    merged_into_id: int | None = None,
) -> None:
    """Move `item` from status `expected` (what the officer saw) to `target`.

    Closing needs an `outcome`; accepting (→ assigned) needs a `working_group_id` and opens a
    case file number if the item has none. Raises WorkflowError ("not_allowed", "outcome_needed",
    "group_needed"; "appointment" for a sampling booking, whose item closes by itself when the
    booking is cancelled, checked in or not come) for an invalid move and StaleStatus when the item
    is no longer in `expected`.
    """
    if item.kind == ItemKind.APPOINTMENT:
        raise WorkflowError("appointment")
    if target not in TRANSITIONS.get(ItemStatus(expected), frozenset()):
        raise WorkflowError("not_allowed")
    now = clock.now()
    values: dict[str, object] = {"status": target, "updated_at": now}
    changes: dict[str, tuple[object, object]] = {"status": (expected, target)}
    if target is S.CLOSED:
        if outcome is None:
            raise WorkflowError("outcome_needed")
        values.update(outcome=outcome, closed_at=now)
        changes["outcome"] = (None, outcome)
        if merged_into_id is not None:
            values["merged_into_id"] = merged_into_id
            changes["merged_into_id"] = (None, merged_into_id)
    elif expected == S.CLOSED:
        values.update(outcome=None, closed_at=None)
        changes["outcome"] = (item.outcome, None)
    if target is S.ASSIGNED:
        if working_group_id is None:
            raise WorkflowError("group_needed")
        values["working_group_id"] = working_group_id
        if item.working_group_id != working_group_id:
            changes["working_group_id"] = (item.working_group_id, working_group_id)
    done = db.session.execute(
        update(IntakeItem)
        .where(IntakeItem.id == item.id, IntakeItem.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        raise StaleStatus()
    db.session.refresh(item)
    if target is S.ASSIGNED and item.case_file_number is None:
        item.case_file_number = next_case_file_number(now)
        changes["case_file_number"] = (None, item.case_file_number)
    audit.record("change_status", actor_id=actor_id, item_id=item.id, changes=changes)
    if "working_group_id" in changes:
        release_if_other_group(item, actor_id=actor_id)  # its owner must be able to see it


def change_priority(item: IntakeItem, *, priority: Priority, reason: str, actor_id: int) -> bool:
    """Set a new priority with the officer's reason, kept as an internal note; False if unchanged.

    Raises WorkflowError("reason_needed") for an empty reason.
    """
    if priority == item.priority:
        return False
    if not reason.strip():
        raise WorkflowError("reason_needed")
    before = item.priority
    item.priority = priority
    db.session.add(ItemNote(item_id=item.id, author_id=actor_id, body=reason.strip(), created_at=clock.now()))
    audit.record("change_priority", actor_id=actor_id, item_id=item.id, changes={"priority": (before, priority)},
                 fields=["note"])
    return True


def change_group(item: IntakeItem, *, working_group_id: int | None, actor_id: int) -> bool:
    """Hand an accepted lead to another working group (its one group); False if unchanged. An owner
    who is a member of the old group is cleared (`portal.triage.owners.release_if_other_group`)."""
    if item.working_group_id == working_group_id:
        return False
    audit.record("change_group", actor_id=actor_id, item_id=item.id,
                 changes={"working_group_id": (item.working_group_id, working_group_id)})
    item.working_group_id = working_group_id
    release_if_other_group(item, actor_id=actor_id)  # a member of the old group no longer sees it
    return True


def take(item: IntakeItem, *, actor_id: int) -> bool:
    """Make the acting officer the one responsible for the item ("assigned to me")."""
    if item.assigned_to_id == actor_id:
        return False
    audit.record("take_item", actor_id=actor_id, item_id=item.id, changes={"assigned_to_id": (item.assigned_to_id, actor_id)})
    item.assigned_to_id = actor_id
    return True


def add_note(item: IntakeItem, *, body: str, actor_id: int) -> ItemNote:
    """Add an internal note (encrypted at rest); the audit event names the field, not the text.

    Raises WorkflowError("erased") when the item's personal details were erased by retention
    (`personal_data_erased_at`): a note may hold personal details, and retention erases an item
    once, so a note added after it would be kept for ever."""
    if item.personal_data_erased_at is not None:
        raise WorkflowError("erased")
    note = ItemNote(item_id=item.id, author_id=actor_id, body=body, created_at=clock.now())
    db.session.add(note)
    audit.record("add_note", actor_id=actor_id, item_id=item.id, fields=["note"])
    return note


def _both_leads(item: IntakeItem, other: IntakeItem) -> None:
    """WorkflowError("booking_not_a_lead") if either item is a sampling booking: a booking is not
    a lead, so it is never linked with, merged into or merged with a tip."""
    if ItemKind.APPOINTMENT in (item.kind, other.kind):
        raise WorkflowError("booking_not_a_lead")


def link(item: IntakeItem, other: IntakeItem, *, actor_id: int) -> bool:
    """Link two items about the same thing (both keep everything); False if already linked
    (also when another officer linked them a moment ago: then nothing is recorded twice).
    Raises WorkflowError ("same_item"; "booking_not_a_lead" if either is a sampling booking)."""
    if item.id == other.id:
        raise WorkflowError("same_item")
    _both_leads(item, other)
    low, high = sorted((item.id, other.id))
    # INSERT … ON CONFLICT DO NOTHING: when two officers link the same pair at once (A→B and
    # B→A), the second waits for the first and then inserts nothing, instead of failing on
    # uq_item_link_pair.
    insert_absent = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = db.session.scalar(
        insert_absent(ItemLink)
        .values(item_id=low, other_item_id=high, created_by_id=actor_id, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["item_id", "other_item_id"])
        .returning(ItemLink.id)
    )
    if added is None:
        return False
    for one in (item, other):
        audit.record("link_item", actor_id=actor_id, item_id=one.id, fields=["linked_item"])
    return True


def _hold_open_target(into: IntakeItem) -> None:
    """Lock `into`'s row for this transaction if it is still open; else WorkflowError("merge_target_closed").

    A conditional UPDATE (not a read): PostgreSQL re-checks `status` once a concurrent change
    to the row has committed, so a target closed a moment ago is seen as closed.
    """
    held = db.session.execute(
        update(IntakeItem)
        .where(IntakeItem.id == into.id, IntakeItem.status != S.CLOSED, IntakeItem.merged_into_id.is_(None))
        .values(updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        raise WorkflowError("merge_target_closed")


def merge(duplicate: IntakeItem, into: IntakeItem, *, expected: str, actor_id: int) -> None:
    """Close `duplicate` as a duplicate of `into`, linked to it. Neither loses its history:
    the duplicate keeps its row, messages and audit trail, and `into`'s page lists it.

    `into` must be another item that is still open (not closed, not merged): two items can
    never end up merged into each other. Both rows are changed by conditional UPDATEs, in id
    order (so two merges of the same pair at once wait for each other instead of deadlocking),
    and the later one is refused. Raises WorkflowError ("same_item", "merge_target_closed";
    "booking_not_a_lead" if either is a sampling booking) or WorkflowError/StaleStatus as `move`
    does; the caller rolls back on an error.
    """
    if duplicate.id == into.id:
        raise WorkflowError("same_item")
    _both_leads(duplicate, into)
    if into.id < duplicate.id:
        _hold_open_target(into)
    move(duplicate, expected=expected, target=S.CLOSED, actor_id=actor_id, outcome=Outcome.DUPLICATE,
         merged_into_id=into.id)
    if into.id > duplicate.id:
        _hold_open_target(into)
    link(duplicate, into, actor_id=actor_id)
    audit.record("merge_item", actor_id=actor_id, item_id=into.id, fields=["merged_item"])

"""Writing audit events that never hold personal values, and keeping them append-only.

Every view of personal data and every change is recorded as who, when, what action, which item
and which fields. Before/after values are kept only for the fields named in
NON_PERSONAL_FIELDS; passing any other field's values raises, so personal data cannot slip in.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from portal.core.extensions import db
from portal.core.models import AuditEvent, AuditEventItem

NON_PERSONAL_FIELDS = frozenset({
    "status", "priority", "working_group_id", "kind", "channel", "feedback_due_at",
    "outcome", "case_file_number", "assigned_to_id", "merged_into_id", "role", "active",
    "site_id", "closure_days",  # a sampling site's closure: which site, which local days
    "site_ids",  # the sampling sites a site-staff account works at (row ids)
    "attendee_id",  # which person of a booking (a row id; never their name or tube number)
    "region_code", "category",  # where (a division code, GB/T 2260) and what was seen: no person in either
    "feedback_kind",  # which feedback template was given to a tipster (a code, never its text)
    "removal_reason",  # why a passage was removed (portal.triage.redaction.RemovalReason: a code)
    "file_format",  # which file an export wrote ("csv" or "xlsx")
    "day_open",  # staff's decision for a site's day against the holiday calendar ("open" or "closed")
})


class PersonalValueInAudit(ValueError):
    """Raised when a caller tries to record the value of a personal field in the audit trail."""


def record(
    action: str,
    *,
    actor_id: int | None = None,
    actor_kind: str = "staff",
    item_id: int | None = None,
    fields: Iterable[str] = (),
    changes: dict[str, tuple[Any, Any]] | None = None,
    numbers: Mapping[str, int | Mapping[str, int] | Sequence[int]] | None = None,
) -> AuditEvent:
    """Add an audit event to the current session (committed with the caller's transaction).

    `fields`: names of the fields viewed or changed. `changes`: {field: (before, after)} for
    non-personal fields only; values are stored as strings. `numbers`: ids and counts that
    describe the event (the Redaction row it made, how many times a passage was found in each
    field, the ids of the items a list showed), only integers, {name: integer} or a list of
    integers, so no text can pass; kept as `changes["numbers"]`. A list under "items" names the
    items a list showed (a page of the queue, a day list): each is also kept as an
    AuditEventItem row, so that the audit log's filter by item finds the event through an index.
    Raises PersonalValueInAudit if `changes` names a field outside NON_PERSONAL_FIELDS, or
    `numbers` holds anything but integers.
    """
    changes = changes or {}
    personal = set(changes) - NON_PERSONAL_FIELDS
    if personal:
        raise PersonalValueInAudit(f"audit changes may not carry values of {sorted(personal)}")
    kept_numbers = _only_numbers(numbers or {})
    field_names = sorted(set(fields) | set(changes))
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_kind=actor_kind,
        item_id=item_id,
        fields=field_names,
        changes={name: [_text(before), _text(after)] for name, (before, after) in changes.items()}
        | ({"numbers": kept_numbers} if kept_numbers else {}),
    )
    listed = kept_numbers.get("items")
    if isinstance(listed, list):
        event.listed_items = [AuditEventItem(item_id=item_id) for item_id in dict.fromkeys(listed)]
    db.session.add(event)
    return event


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _only_numbers(numbers: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in numbers.items():
        if _is_int(value):
            kept[name] = value
        elif isinstance(value, Mapping) and all(isinstance(k, str) and _is_int(v) for k, v in value.items()):
            kept[name] = dict(value)
        elif isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
            kept[name] = list(value)
        else:
            raise PersonalValueInAudit(f"audit numbers may hold only integers ({name!r})")
    return kept


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _refuse_changes_to_audit_rows(session: Any, flush_context: Any, instances: Any) -> None:
    """Before every ORM flush: refuse any change to or deletion of an audit event."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEvent, AuditEventItem)) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditIsAppendOnly("audit events are never changed or deleted")


def _refuse_bulk_statements(state: Any) -> None:
    """Before every ORM statement: refuse UPDATE or DELETE aimed at the audit table."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (AuditEvent, AuditEventItem):
            raise AuditIsAppendOnly("audit events are never changed or deleted")


class AuditIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event (through the ORM)."""


def install_append_only_guard() -> None:
    """Make every ORM session refuse to update or delete audit events (called once at start-up)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _refuse_changes_to_audit_rows):
        event.listen(Session, "before_flush", _refuse_changes_to_audit_rows)
        event.listen(Session, "do_orm_execute", _refuse_bulk_statements)

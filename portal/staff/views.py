"""Staff console views: the queue (filters, search, key-set pages, CSV), an item with its
history, and the urgent banner on every page (`templates/staff/_urgent_banner.html`).

Every view declares the permission it needs (`portal.core.permissions.requires`); the blueprint's
guard enforces it before the view runs. Item views also check the account's scope and answer
404 for items it may not see, exactly as for items that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.core import audit, clock, regions
from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, ItemLink, ItemNote, OutboundMessage, OutboundStatus, StaffUser, WorkingGroup, as_utc
from portal.core.permissions import Permission, Role, requires, role_allows
from portal.core.security.masking import mask_mobile
from portal.staff import exports, items
from portal.staff.blueprint import bp
from portal.core.csv_export import table_response
from portal.staff.forms import (
    AttachmentForm,
    CategoryForm,
    ContactForm,
    GroupForm,
    LinkForm,
    MoveForm,
    NoteForm,
    PriorityForm,
    QueueFilterForm,
    RedactForm,
    RedactPassageForm,
    RevealContactForm,
)
from portal.staff.labels import label
from portal.staff.urgent_banner import urgency_reason
from portal.staff.queue import filtered_query, find_visible_item, is_overdue, queue_page, visible_items_filter
from portal.staff.queue_rows import activity_words, queue_rows
from portal.sampling.site_phones import site_phone_numbers
from portal.tips import replies
from portal.triage import alerts, owners, workflow
from portal.triage.attachments import attachments_for
from portal.triage.duplicates import suggested_duplicates
from portal.triage.redaction import redactable_fields, redaction_reasons
from portal.core.i18n import format_local_datetime, time_ago

EXPORT_LIMIT = 100_000


def _site_timezone() -> str:
    return current_app.config["SETTINGS"].site_timezone


@bp.context_processor
def _staff_template_helpers() -> dict[str, Any]:
    helpers: dict[str, Any] = {"label": label, "is_overdue": is_overdue, "site_tz": _site_timezone(),
                               "can": lambda permission: _can(permission), "Permission": Permission,
                               "group_name": group_name, "site_phone_numbers": site_phone_numbers}
    if current_user.is_authenticated and request.endpoint and not request.endpoint.startswith("staff.login"):
        # The urgent banner: one line per urgent item nobody has in hand (portal.triage.alerts).
        helpers.update(urgent_banner=alerts.banner(visible_items_filter(current_user), clock.now()),
                       urgency_reason=urgency_reason, time_ago=time_ago,
                       acknowledgement_of=alerts.acknowledgement)
    return helpers


def _can(permission: Permission) -> bool:
    return current_user.is_authenticated and role_allows(current_user.role, permission)


def group_name(group_id: Any) -> str:
    """The name of working group `group_id` (an id as the audit trail keeps it: an int or a
    string of digits), for a page's history ("Working group: – → 第一专班"); the id itself when
    there is no such group."""
    group = db.session.get(WorkingGroup, int(group_id)) if str(group_id).isdigit() else None
    return group.name if group is not None else str(group_id)


def working_groups() -> list[tuple[int, str]]:
    """(id, name) of every working group, by name."""
    return [(g.id, g.name) for g in db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.name))]


@bp.get("/")
@requires(Permission.VIEW_QUEUE)
def index() -> Response:
    """The console's front door: the queue."""
    from flask import redirect, url_for

    return redirect(url_for("staff.queue"))


def filter_groups(user: StaffUser) -> list[tuple[int, str]]:
    """(id, name) of the working groups the queue's group filter offers `user`, by name: a group
    member's queue holds only their group's items, so its filters name no other group."""
    if user.role == Role.GROUP_MEMBER:
        return [(gid, name) for gid, name in working_groups() if gid == user.working_group_id]
    return working_groups()


def filter_owners(user: StaffUser) -> list[tuple[int, str]]:
    """(id, username) of the people the queue's owner filter offers `user`: for a group member,
    only their group's people (`owners.owner_choices`); the other groups' members are not theirs
    to see."""
    if user.role == Role.GROUP_MEMBER:
        own = user.working_group_id
        return owners.owner_choices(working_group_id=own if own is not None else -1)
    return owners.owner_choices()


def _filter_form() -> tuple[QueueFilterForm, Any]:
    form = QueueFilterForm(request.args, groups=filter_groups(current_user), owners=filter_owners(current_user))
    form.validate()
    return form, form.filters(_site_timezone())


@bp.get("/queue")
@requires(Permission.VIEW_QUEUE)
def queue() -> tuple[str, int]:
    """Every intake item the user may see, filtered, "needs attention" first (or urgent then
    oldest first), by key-set pages; sampling bookings only when the kind filter asks for them. A
    search for a whole reference number lists that item whatever the kind and status filters.

    Each row shows a snippet of the tip's or message's words and the place as given: personal
    data, so every page shown is one audited view ("view_queue") naming the fields shown and the
    ids of the items listed (never one event per row).
    """
    return render_queue()


# Query arguments of the queue that are not filters: the order, and the "My items" page itself.
_NOT_FILTERS = frozenset({"sort", "mine"})


def render_queue(bulk_form: Any = None, code: int = 200) -> tuple[str, int]:
    """The queue page for the filters in the query string (see `queue`), answered with `code`
    (400 when a filter has an error). `bulk_form`: a bulk-action form that came back with errors
    (`portal.staff.bulk`), shown with what was chosen."""
    form, filters = _filter_form()
    now = clock.now()
    page = queue_page(current_user, filters, after=request.args.get("after"), now=now)
    rows = queue_rows(page.items, now, search=filters.text)
    query_args = {k: v for k, v in request.args.items(multi=False) if k not in ("after", "select") and v}
    # Filters applied (a saved view's too): the order and "My items" only choose what the page is.
    filtered = any(k not in _NOT_FILTERS for k in query_args)
    html = render_template(
        "staff/queue.html", rows=rows, next_cursor=page.next_cursor, filter_form=form, order=filters.order,
        now=now, query_args=query_args, first_page="after" not in request.args, activity_words=activity_words,
        bulk_form=bulk_form, filtered=filtered,
    )
    if rows:
        # After rendering: committing expires the loaded items, and reading them again would cost a query a row.
        audit.record("view_queue", actor_id=current_user.id, fields=sorted({f for row in rows for f in row.fields}),
                     numbers={"items": [row.item.id for row in rows]})
        db.session.commit()
    return html, 400 if form.errors else code


@bp.get("/queue.csv")
@requires(Permission.EXPORT)
def export_queue() -> Response | tuple[str, int]:
    """The filtered queue as CSV (`export_queue_file`)."""
    return export_queue_file("csv")


@bp.get("/queue.xlsx")
@requires(Permission.EXPORT)
def export_queue_xlsx() -> Response | tuple[str, int]:
    """The filtered queue as an Excel workbook, the same rows and columns as the CSV (`export_queue_file`)."""
    return export_queue_file("xlsx")


def export_queue_file(file_format: str) -> Response | tuple[str, int]:
    """The filtered queue in the queue's order, as `file_format` ("csv" or "xlsx"): codes, dates,
    region, group and owner (`portal.staff.exports.queue_table`), without the rows' snippets and
    places as given (no personal data). Audited ("export_queue", with the format and the number
    of rows). A filter with an error gives the queue page with it (400), never a file without
    that filter (which would hold more items than the page said)."""
    form, filters = _filter_form()
    if form.errors:
        return render_queue()
    now = clock.now()
    rows = list(db.session.scalars(filtered_query(current_user, filters, now).limit(EXPORT_LIMIT)).unique())
    table = exports.queue_table(rows, now, _site_timezone())
    audit.record("export_queue", actor_id=current_user.id, fields=["filters", "rows"],
                 changes={"file_format": (file_format, file_format)}, numbers={"rows": len(rows)})
    db.session.commit()
    stem = f"queue-{exports.local_date(now, _site_timezone())}"  # the export's date, local time
    return table_response(file_format, stem, table.header, table.rows, sheet_title=_("Queue"))


def visible_item_or_404(reference: str) -> IntakeItem:
    """The item with `reference` if the signed-in account may see it; else abort with 404."""
    item = find_visible_item(current_user, reference)
    if item is None:
        abort(404)
    return item


def sms_thread(item: IntakeItem, details: items.ItemDetails) -> list[dict[str, str]]:
    """The SMS thread: messages received, and those the portal sends with what became of each
    (to be sent, sent, withdrawn, failed...), oldest first (numbers masked)."""
    tz = _site_timezone()
    thread = [dict(m, direction=label("direction", "in_burst" if m.get("burst") else "in")) for m in details.messages]
    for message in db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.item_id == item.id).order_by(OutboundMessage.created_at)
    ):
        if message.purpose in (alerts.DUTY_ALERT_PURPOSE, replies.OWNER_NOTICE_PURPOSE, owners.ASSIGNED_NOTICE_PURPOSE):
            continue  # to officers, not part of the conversation
        # The time is when it went (sent), or when it is due (still to be sent), else when it was written.
        when = message.sent_at or (message.not_before if message.status == OutboundStatus.QUEUED else None)
        thread.append({"received": format_local_datetime(when or message.created_at, tz),
                       "at": as_utc(when or message.created_at),
                       "sender": mask_mobile(message.to_phone), "body": message.body,
                       "direction": (_("To be sent %(time)s", time=format_local_datetime(when, tz))
                                     if message.status == OutboundStatus.QUEUED and when is not None
                                     and as_utc(when) > clock.now() else label("sms_status", message.status)),
                       "delivery": _delivery_report(message)})
    # One conversation, in the order it happened (a reply follows the message it answers).
    thread.sort(key=lambda entry: entry["at"])
    return thread


def _delivery_report(message: OutboundMessage) -> str:
    """What the provider last reported of a message's delivery, with its error code and when
    ("Not delivered (error 30003), 3 Dec 2026 09:20"); empty when it reported nothing."""
    if not message.delivery_status:
        return ""
    text = label("delivery_status", message.delivery_status)
    if message.delivery_error_code:
        text = _("%(status)s (error %(code)s)", status=text, code=message.delivery_error_code)
    if message.delivery_updated_at:
        text = _("%(status)s, %(time)s", status=text,
                 time=format_local_datetime(message.delivery_updated_at, _site_timezone()))
    return text


@dataclass(frozen=True)
class AttachmentRow:
    """One line of the item page's attachments: the row's id, the file's name as uploaded ("" if
    none), its kind ("image" or "pdf"), size in bytes, who attached it and when (UTC); for the
    chain of custody, the SHA-256 (hex) of the cleaned file kept and of the file as uploaded (None
    for rows older than that record), and a photo's capture time by the camera's clock
    (`CaseAttachment.taken_at`, text; None when unknown)."""

    id: int
    name: str
    kind: str
    byte_size: int
    uploaded_by: str | None
    uploaded_at: datetime
    sha256: str | None = None
    original_sha256: str | None = None
    taken_at: str | None = None


def render_item(item: IntakeItem, form: Any = None, code: int = 200, *, reveal_contact: bool = False) -> tuple[str, int]:
    """Show the item page and record the view (every showing of personal data is audited).

    `form`: a submitted form with errors, shown in place of its empty twin. `reveal_contact`:
    show a tip's masked contact details in full (only after `items.reveal_contact` recorded why).
    """
    user = current_user
    details = items.item_details(item, _site_timezone(), reveal_contact=reveal_contact)
    notes = db.session.execute(
        select(ItemNote, StaffUser.username).outerjoin(StaffUser, StaffUser.id == ItemNote.author_id)
        .where(ItemNote.item_id == item.id).order_by(ItemNote.created_at)
    ).all()
    if notes:
        details.fields = sorted(set(details.fields) | {"notes"})
    # Read before the commit below: the rows would otherwise be read again one by one.
    attachments = [
        AttachmentRow(a.id, a.original_name or "", a.kind, a.byte_size,
                      a.uploaded_by.username if a.uploaded_by else None, a.uploaded_at,
                      sha256=a.sha256, original_sha256=a.original_sha256, taken_at=a.taken_at)
        for a in attachments_for(item)
    ]
    if attachments:  # a file's name may name a person
        details.fields = sorted(set(details.fields) | {"attachments"})
    thread = sms_thread(item, details)
    items.record_view(item, details, user.id)
    # A sampling booking is not a lead: no status moves, priority, hand-over, duplicates or
    # redaction; its item closes by itself (portal.core.intake.close_finished_appointment).
    is_booking = item.kind == ItemKind.APPOINTMENT
    can_triage = _can(Permission.TRIAGE) and not is_booking
    duplicates = suggested_duplicates(item, visible_items_filter(user)) if can_triage else []
    for suggestion in duplicates:  # each snippet shows part of another tip's description
        audit.record("view_suggestion", actor_id=user.id, item_id=suggestion.item.id, fields=["description"])
    db.session.commit()
    groups = working_groups()
    targets = [] if is_booking else [
        t for t in workflow.allowed_moves(item.status) if _can(workflow.MOVE_PERMISSION.get(t, Permission.TRIAGE))]

    def pick(cls: type, **kwargs: Any) -> Any:
        return form if isinstance(form, cls) else cls(formdata=None, **kwargs)

    merged = list(db.session.scalars(select(IntakeItem).where(IntakeItem.merged_into_id == item.id)))
    link_rows = db.session.execute(select(ItemLink.item_id, ItemLink.other_item_id).where(
        (ItemLink.item_id == item.id) | (ItemLink.other_item_id == item.id))).all()
    linked_ids = {i for row in link_rows for i in row} - {item.id}
    linked = list(db.session.scalars(select(IntakeItem).where(IntakeItem.id.in_(linked_ids), visible_items_filter(user))))
    merged_into = db.session.get(IntakeItem, item.merged_into_id) if item.merged_into_id else None
    history = items.audit_history(item)
    for other in merged:
        history += [(event, name, other.reference) for event, name, _ref in items.audit_history(other)]
    history.sort(key=lambda row: (row[0].occurred_at, row[0].id), reverse=True)
    # Redaction events name their Redaction row; its reason (encrypted, erasable) is shown with them.
    reasons = redaction_reasons([item.id] + [other.id for other in merged])
    return render_template(
        "staff/item.html",
        item=item, details=details, thread=thread, notes=notes, history=history, now=clock.now(),
        can_edit=_can(Permission.EDIT_ITEM), can_triage=can_triage, is_booking=is_booking,
        contact_form=pick(ContactForm),
        category_form=pick(CategoryForm, category=item.tip.category if item.tip else None),
        region_name=regions.full_name(item.region_code),
        reveal_form=pick(RevealContactForm) if items.contact_is_masked(item) and not reveal_contact else None,
        move_form=pick(MoveForm, targets=targets or None, groups=groups, expected=item.status),
        move_targets=targets,
        priority_form=pick(PriorityForm, priority=item.priority),
        group_form=pick(GroupForm, groups=groups, group=item.working_group_id),
        note_form=pick(NoteForm), link_form=pick(LinkForm),
        attachments=attachments, attachment_form=pick(AttachmentForm),
        redact_form=pick(RedactForm, fields=[(f, label("field", f)) for f in redactable_fields(item)]),
        passage_form=pick(RedactPassageForm), redaction_reasons=reasons,
        duplicates=duplicates,
        merged=merged, linked=linked, merged_into=merged_into,
        form=form,
    ), code


@bp.get("/items/<reference>")
@requires(Permission.VIEW_ITEM)
def item(reference: str) -> tuple[str, int]:
    """One item with its details; each view of personal fields is audited (404 when out of scope).

    Opening the page clears the item's "tipster replied" flag (`portal.tips.replies.mark_seen`):
    whoever may see the item has now seen the reply."""
    found = visible_item_or_404(reference)
    replies.mark_seen(found)
    return render_item(found)

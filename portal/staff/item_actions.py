"""What staff do to an item: move it along the workflow, change its priority or group, take
it, add a note, link or merge duplicates, remove a passage or a contact detail, correct contact details, and
acknowledge an urgent alert. Each view parses its form, calls `portal.triage`, commits, and
redirects back to the item (303), or shows the item page again with the errors (400/409).
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.core.i18n import join_list
from portal.core.models import ItemKind, ItemStatus, Outcome, Priority, WorkingGroup
from portal.core.permissions import Permission, requires, role_allows
from portal.staff import items
from portal.staff.blueprint import bp
from portal.staff.forms import (
    ContactForm, GroupForm, LinkForm, MoveForm, NoteForm, PriorityForm, RedactForm, RedactPassageForm, RevealContactForm,
)
from portal.staff.labels import label
from portal.staff.queue import find_visible_item
from portal.staff.views import render_item, visible_item_or_404, working_groups
from portal.triage import alerts, owners, workflow
from portal.triage.redaction import (
    NotRedactable, PassageNotFound, PassageTooShort, ReasonQuotesPassage, RemovalReason, redact, redact_passage, redactable_fields,
)
from portal.core.models import IntakeItem, UrgentAlert

def _back(reference: str) -> Response:
    return redirect(url_for("staff.item", reference=reference), 303)


def _workflow_message(code: str) -> str:
    return {
        "stale": _("Someone else changed this item's status a moment ago. Check its history, then try again."),
        "not_allowed": _("That status change is not possible from the item's current status."),
        "appointment": _("A sampling booking is moved, cancelled or checked in at the sampling desk; this item closes by itself."),
        "outcome_needed": _("Choose why the item is closed"),
        "group_needed": _("Choose the working group that will verify this lead"),
        "reason_needed": _("Enter why you are changing the priority"),
        "same_item": _("Enter the reference number of another item"),
        "merge_target_closed": _("The other item is closed or was merged into another. Merge into an open item."),
        "booking_not_a_lead": _("A sampling booking is not a lead: it cannot be linked with or merged into another item, "
                                "nor another item into it."),
    }[code]


@bp.post("/items/<reference>/move")
@requires(Permission.EDIT_ITEM)
def move_item(reference: str) -> Response | tuple[str, int]:
    """Move the item to another status (closing with an outcome; accepting with a working group)."""
    found = visible_item_or_404(reference)
    form = MoveForm(targets=list(ItemStatus), groups=working_groups())
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    target = ItemStatus(form.target.data)
    if not role_allows(current_user.role, workflow.MOVE_PERMISSION.get(target, Permission.TRIAGE)):
        abort(403)
    try:
        if form.working_group.data is not None and db.session.get(WorkingGroup, form.working_group.data) is None:
            raise workflow.WorkflowError("group_needed")
        workflow.move(
            found, expected=form.expected.data or "", target=target, actor_id=current_user.id,
            outcome=Outcome(form.outcome.data) if form.outcome.data else None,
            working_group_id=form.working_group.data if target is ItemStatus.ASSIGNED else None,
        )
    except workflow.WorkflowError as exc:
        db.session.rollback()
        form.target.errors = [_workflow_message(exc.code)]
        return render_item(found, form, 409 if exc.code == "stale" else 400)
    db.session.commit()
    flash(_("Status changed to %(status)s", status=label("status", target)))
    return _back(found.reference)


@bp.post("/items/<reference>/priority")
@requires(Permission.TRIAGE)
def change_priority(reference: str) -> Response | tuple[str, int]:
    """Change the priority, with the reason (kept as an internal note; the change is audited)."""
    found = visible_item_or_404(reference)
    form = PriorityForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    if workflow.change_priority(found, priority=Priority(form.priority.data), reason=form.reason.data,
                                actor_id=current_user.id):
        db.session.commit()
        flash(_("Priority changed"))
    else:
        flash(_("Nothing was changed"))
    return _back(found.reference)


@bp.post("/items/<reference>/group")
@requires(Permission.TRIAGE)
def change_group(reference: str) -> Response | tuple[str, int]:
    """Hand the lead to another working group."""
    found = visible_item_or_404(reference)
    form = GroupForm(groups=working_groups())
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    if workflow.change_group(found, working_group_id=form.group.data, actor_id=current_user.id):
        db.session.commit()
        flash(_("Working group changed"))
    return _back(found.reference)


@bp.post("/items/<reference>/take")
@requires(Permission.EDIT_ITEM)
def take_item(reference: str) -> Response:
    """Make the signed-in officer responsible for the item."""
    found = visible_item_or_404(reference)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if workflow.take(found, actor_id=current_user.id):
        db.session.commit()
        flash(_("You are now responsible for this item"))
    return _back(found.reference)


@bp.post("/items/<reference>/notes")
@requires(Permission.EDIT_ITEM)
def add_note(reference: str) -> Response | tuple[str, int]:
    """Add an internal note (staff only; encrypted; audited by field name)."""
    found = visible_item_or_404(reference)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    try:
        workflow.add_note(found, body=form.note.data, actor_id=current_user.id)
    except workflow.WorkflowError:  # personal details erased: nothing new is kept (the text stays in the box)
        form.note.errors = [_("This item's personal details were erased, so no note can be added to it: "
                              "notes may hold personal details.")]
        return render_item(found, form, 400)
    db.session.commit()
    flash(_("Note added"))
    return _back(found.reference)


@bp.post("/items/<reference>/link")
@requires(Permission.TRIAGE)
def link_item(reference: str) -> Response | tuple[str, int]:
    """Link this item with another, or merge it into the other as a duplicate."""
    found = visible_item_or_404(reference)
    form = LinkForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    other = find_visible_item(current_user, form.other.data)
    if other is None or other.id == found.id:
        form.other.errors = [_("Enter the reference number of another item you can see")]
        return render_item(found, form, 400)
    try:
        if form.merge.data == "merge":
            workflow.merge(found, other, expected=found.status, actor_id=current_user.id)
            message = _("Merged into %(reference)s", reference=other.reference)
        elif workflow.link(found, other, actor_id=current_user.id):
            message = _("Linked with %(reference)s", reference=other.reference)
        else:
            message = _("This item was already linked with %(reference)s", reference=other.reference)
    except workflow.WorkflowError as exc:
        db.session.rollback()
        form.other.errors = [_workflow_message(exc.code)]
        return render_item(found, form, 409 if exc.code == "stale" else 400)
    db.session.commit()
    flash(message)
    return _back(found.reference)


@bp.post("/items/<reference>/redact")
@requires(Permission.TRIAGE)
def redact_field(reference: str) -> Response | tuple[str, int]:
    """Blank out a tip's contact name or mobile number, keeping the reason."""
    found = visible_item_or_404(reference)
    form = RedactForm(fields=[(f, label("field", f)) for f in redactable_fields(found)])
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    try:
        redact(found, field=form.field.data, reason=form.redact_reason.data, actor_id=current_user.id)
    except NotRedactable:
        abort(400)
    db.session.commit()
    flash(_("%(field)s removed", field=label("field", form.field.data)))
    return _back(found.reference)


@bp.post("/items/<reference>/redact-passage")
@requires(Permission.TRIAGE)
def redact_passage_view(reference: str) -> Response | tuple[str, int]:
    """Remove a passage from every text of the item (description, messages, answers, notes...),
    keeping the reason; the page then says how many places it was removed from. A passage found
    nowhere shows the page again with the error and what was typed (400)."""
    found = visible_item_or_404(reference)
    if found.kind == ItemKind.APPOINTMENT:
        abort(400)  # a sampling booking is not a lead: no redaction (as the item page shows)
    form = RedactPassageForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    try:
        removed = redact_passage(found, passage=form.passage.data, reason_kind=RemovalReason(form.passage_reason_kind.data),
                                 reason=(form.passage_reason.data or "").strip(), actor_id=current_user.id)
    except (PassageTooShort, PassageNotFound, ReasonQuotesPassage) as exc:
        db.session.rollback()
        if isinstance(exc, ReasonQuotesPassage):
            form.passage_reason.errors = [_("Describe the reason without repeating the passage: the reason is kept")]
        elif isinstance(exc, PassageTooShort):
            form.passage.errors = [_("Type at least 2 characters of the passage")]
        else:
            form.passage.errors = [_("This passage does not appear anywhere on this item. Check that it was copied exactly.")]
        return render_item(visible_item_or_404(reference), form, 400)
    db.session.commit()
    where = join_list([_("%(place)s (%(num)s)", place=label("field", name), num=count)
                       for name, count in removed.places.items()])
    flash(ngettext("Passage removed from %(num)s place: %(where)s.",
                   "Passage removed from %(num)s places: %(where)s.", removed.total, where=where))
    return _back(found.reference)


@bp.post("/items/<reference>/contact")
@requires(Permission.EDIT_ITEM)
def update_contact(reference: str) -> Response | tuple[str, int]:
    """Correct a tip's contact details; audited by field name only, never by value."""
    found = visible_item_or_404(reference)
    if found.tip is None:
        abort(404)
    form = ContactForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    items.update_contact(
        found, actor_id=current_user.id, name=form.contact_name.data or None, phone=form.contact_phone.data or None
    )
    db.session.commit()
    flash(_("Contact details changed"))
    return _back(found.reference)


@bp.post("/items/<reference>/reveal-contact")
@requires(Permission.EDIT_ITEM)
def reveal_contact(reference: str) -> tuple[str, int]:
    """Show a tip's masked contact details in full, once, in this answer (not after a reload):
    the reason is kept as an internal note, and the reveal and the view are audited."""
    found = visible_item_or_404(reference)
    if not items.contact_is_masked(found):
        abort(404)
    form = RevealContactForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    items.reveal_contact(found, reason=form.reveal_reason.data, actor_id=current_user.id)
    db.session.commit()
    return render_item(found, reveal_contact=True)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@requires(Permission.ACKNOWLEDGE_ALERT)
def acknowledge_alert(alert_id: int) -> Response:
    """Take an urgent alert in hand: its line leaves everyone's banner and the item page says who
    acknowledged it, and when; an item nobody owns becomes the acknowledger's (when they may own
    it: `owners.may_own`), so that "I'll handle it" names who does. Opens the item."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    alert = db.session.get(UrgentAlert, alert_id)
    item = db.session.get(IntakeItem, alert.item_id) if alert is not None else None
    if item is None or find_visible_item(current_user, item.reference) is None:
        abort(404)
    if alerts.acknowledge(alert_id, current_user):
        took = item.assigned_to_id is None and owners.may_own(item, current_user) and workflow.take(
            item, actor_id=current_user.id)
        db.session.commit()
        flash(_("Alert acknowledged, and you are now responsible for this item.") if took
              else _("Alert acknowledged. Everyone now sees that you have it in hand."))
    return _back(item.reference)

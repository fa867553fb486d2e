"""Staff console views: sign in and out, the queue, an item with its audit trail, and edits.

Every view declares the permission it needs (`portal.permissions.requires`); the blueprint's
guard enforces it before the view runs. Item views also check the account's scope and answer
404 for items it may not see, exactly as for items that do not exist.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import audit
from portal.extensions import db
from portal.models import IntakeItem, utcnow
from portal.permissions import Permission, requires, role_allows
from portal.staff import bp, items
from portal.staff.forms import ContactForm, StatusForm
from portal.staff.labels import label
from portal.staff.queue import find_visible_item, is_overdue, queue_items


def _site_timezone() -> str:
    return current_app.config["SETTINGS"].site_timezone


@bp.context_processor
def _staff_template_helpers() -> dict[str, Any]:
    return {"label": label, "is_overdue": is_overdue, "site_tz": _site_timezone()}


@bp.get("/")
@requires(Permission.VIEW_QUEUE)
def index() -> Response:
    """The console's front door: the queue."""
    return redirect(url_for("staff.queue"))


@bp.get("/queue")
@requires(Permission.VIEW_QUEUE)
def queue() -> str:
    # The queue shows no personal data, so opening it is not an audited view.
    """Every intake item the user may see, urgent first, then oldest first."""
    return render_template("staff/queue.html", items=queue_items(current_user), now=utcnow())


def _visible_item_or_404(reference: str) -> IntakeItem:
    item = find_visible_item(current_user, reference)
    if item is None:
        abort(404)
    return item


def _render_item(item: IntakeItem, form: Any = None, code: int = 200) -> tuple[str, int]:
    """Show the item page and record the view (every showing of personal data is audited)."""
    details = items.item_details(item, _site_timezone())
    items.record_view(item, details, current_user.id)
    db.session.commit()
    can_edit = role_allows(current_user.role, Permission.EDIT_ITEM)
    contact_form = form if isinstance(form, ContactForm) else ContactForm(formdata=None)
    status_form = form if isinstance(form, StatusForm) else StatusForm(
        formdata=None, status=item.status, priority=item.priority
    )
    return render_template(
        "staff/item.html",
        item=item,
        details=details,
        history=items.audit_history(item),
        now=utcnow(),
        can_edit=can_edit,
        contact_form=contact_form,
        status_form=status_form,
        form=form,
    ), code


@bp.get("/items/<reference>")
@requires(Permission.VIEW_ITEM)
def item(reference: str) -> tuple[str, int]:
    """One item with its details; each view of personal fields is audited (404 when out of scope)."""
    return _render_item(_visible_item_or_404(reference))


@bp.post("/items/<reference>/contact")
@requires(Permission.EDIT_ITEM)
def update_contact(reference: str) -> Response | tuple[str, int]:
    """Correct a tip's contact details; audited by field name only, never by value."""
    found = _visible_item_or_404(reference)
    if found.tip is None:
        abort(404)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_item(found, form, 400)
    items.update_contact(
        found, actor_id=current_user.id, name=form.contact_name.data or None, phone=form.contact_phone.data or None
    )
    db.session.commit()
    flash(_("Contact details changed"))
    return redirect(url_for("staff.item", reference=found.reference), 303)


@bp.post("/items/<reference>/status")
@requires(Permission.EDIT_ITEM)
def change_status(reference: str) -> Response | tuple[str, int]:
    """Change an item's status and priority; audited with before and after values."""
    found = _visible_item_or_404(reference)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_item(found, form, 400)
    status, priority = form.chosen()
    if items.change_status(found, actor_id=current_user.id, status=status, priority=priority):
        db.session.commit()
        flash(_("Status and priority saved"))
    else:
        flash(_("Nothing was changed"))
    return redirect(url_for("staff.item", reference=found.reference), 303)

"""Bulk actions on the queue: make one person responsible for the selected items, set their
priority (with a reason), or close them as spam, in one request.

The queue page has a checkbox on each row (`templates/staff/_queue_bulk.html`) that belongs to
the one bulk form below the list (`form="bulk-form"`), so it works without JavaScript; "Select
all on this page" is a link that shows the page with every box ticked, and
`static/js/queue-bulk.js` ticks them in place where scripts run.

`POST /staff/queue/bulk` needs EDIT_ITEM, the least any action needs; each action then needs its
own permission (ACTION_PERMISSION: assigning and setting the priority are triage, closing is
working an item, as on the item page), and a role without it is refused (403) before anything
is read. Then each selected item is checked on its own, and refused on its own, while the others
go ahead: an item the account may not see (or no such item: the same words, so references
cannot be probed), a sampling booking, an item already closed, an item changed since the page
was loaded (closing: the status the page showed must still be the item's, as on the item page,
`portal.triage.workflow.move`), a person who may not own it (`portal.triage.owners.may_own`).
Changes go through the same domain functions as one item's page, so each item changed writes its
own audit event, and everything is one transaction. The page then says what was done and what
was refused, item by item: the items done as links to their pages (the first LISTED_DONE, so a
mistaken tick can be found and undone) in the success box, and the refused ones in a warning box,
each with why; a refused item the person may see links to its page, and one they may not see (or
that does not exist) stays plain text with the same words, so that references cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, request, url_for
from markupsafe import Markup, escape
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf

from portal.core import clock
from portal.core.extensions import db
from portal.core.i18n import join_list
from portal.core.models import IntakeItem, ItemKind, ItemStatus, Outcome, Priority, StaffUser
from portal.core.permissions import Permission, requires, role_allows
from portal.core.security.references import normalise_reference
from portal.forms import MaxLength, PortalForm
from portal.staff.blueprint import bp
from portal.staff.forms import int_or_none
from portal.staff.labels import choices, label
from portal.staff.owners import not_owner_words, person_label
from portal.staff.queue import visible_items_filter
from portal.staff.views import render_queue
from portal.triage import owners, workflow

MAX_ITEMS = 200  # per request: a page shows 50; more is a tampered request or a mistake
LISTED_REFUSALS = 20  # refused items named in the summary; the rest are counted
LISTED_DONE = 20  # items done named (linked) in the summary; the rest are counted
WARNING = "warning"  # the flash category of refusals (the staff layout shows it apart from successes)
ASSIGN, PRIORITY, SPAM = "assign", "priority", "spam"
ACTION_PERMISSION: dict[str, Permission] = {
    ASSIGN: Permission.TRIAGE,
    PRIORITY: Permission.TRIAGE,
    SPAM: workflow.MOVE_PERMISSION[ItemStatus.CLOSED],
}
SEEN_PREFIX = "seen-"  # + reference: the status the page showed (hidden field on each row)


class BulkForm(PortalForm):
    """What to do with the selected items. `bulk_action` comes from the button pressed; the
    fields an action needs are checked in `validate`. Field names start with `bulk_` so that
    they differ from the queue filter form's on the same page."""

    bulk_action = StringField(validators=[AnyOf(list(ACTION_PERMISSION), _l("Choose what to do with the selected items"))])
    bulk_items = SelectMultipleField(_l("Selected items"), validate_choice=False)
    bulk_owner = SelectField(_l("Person responsible"), coerce=int_or_none, validate_choice=False,
                             render_kw={"required": False})
    bulk_priority = SelectField(_l("Priority"), coerce=int_or_none, validate_choice=False, render_kw={"required": False})
    bulk_reason = TextAreaField(_l("Why are you changing the priority?"),
                                validators=[MaxLength(1000, _l("Reason must be 1,000 characters or fewer"))])

    def __init__(self, *args: Any, people: list[StaffUser] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bulk_owner.choices = [("", _l("Choose a person"))] + [(u.id, person_label(u)) for u in (people or [])]
        self.bulk_priority.choices = [("", _l("Choose a priority"))] + choices("priority")

    def validate(self, extra_validators: Any = None) -> bool:
        """Also: between 1 and MAX_ITEMS items, a person to assign, a priority and its reason."""
        ok = super().validate(extra_validators)
        selected = self.references()
        if not selected:
            self.bulk_items.errors = [_l("Select at least one item: tick its box in the list")]
            ok = False
        elif len(selected) > MAX_ITEMS:
            self.bulk_items.errors = [_("Select at most %(max)s items at a time (you selected %(num)s)",
                                        max=MAX_ITEMS, num=len(selected))]
            ok = False
        action = self.bulk_action.data
        if action == ASSIGN and self.bulk_owner.data not in {u for u, _w in self.bulk_owner.choices if u != ""}:
            self.bulk_owner.errors = [_l("Choose the person to make responsible")]
            ok = False
        if action == PRIORITY:
            if self.bulk_priority.data not in {int(p) for p in Priority}:
                self.bulk_priority.errors = [_l("Select a priority")]
                ok = False
            if not (self.bulk_reason.data or "").strip():
                self.bulk_reason.errors = list(self.bulk_reason.errors) + [_l("Enter why you are changing the priority")]
                ok = False
        return ok

    def references(self) -> list[str]:
        """The selected references as posted, each once, in page order, blanks dropped."""
        return list(dict.fromkeys(r.strip() for r in (self.bulk_items.data or []) if r and r.strip()))


@dataclass
class Refusal:
    """One refused item: its reference as shown, the reason code, the item when the person may see
    it (None: out of scope or no such item, shown without a link), and the reason in words when
    the code alone does not say it (who may own the item)."""

    reference: str
    code: str
    item: IntakeItem | None = None
    note: str | None = None


@dataclass
class BulkResult:
    """What a bulk action did: the items changed, those already so (nothing to change), and the
    refused ones."""

    done: list[IntakeItem] = field(default_factory=list)
    unchanged: list[IntakeItem] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def _visible(user: StaffUser, references: list[str]) -> dict[str, IntakeItem]:
    """{normalised reference: item} for those of `references` that `user` may see: one query."""
    wanted = {r for r in (normalise_reference(text) for text in references) if r}
    if not wanted:
        return {}
    query = select(IntakeItem).where(IntakeItem.reference.in_(sorted(wanted)), visible_items_filter(user))
    return {item.reference: item for item in db.session.scalars(query)}


def apply_bulk(form: BulkForm, user: StaffUser, seen: dict[str, str]) -> BulkResult:
    """Do `form`'s action to each selected item `user` may act on, in the caller's transaction (the
    caller commits). `seen`: {reference as posted: the status the page showed}.
    Raises nothing for a refused item: it goes in `BulkResult.refused`."""
    action, now = form.bulk_action.data, clock.now()
    result = BulkResult()
    new_owner = db.session.get(StaffUser, form.bulk_owner.data) if action == ASSIGN else None
    found = _visible(user, form.references())
    page_order = {text: index for index, text in enumerate(form.references())}
    # Changed in id order, whatever the page's order, so that two requests changing the same rows
    # at once take their row locks in the same order and wait for each other instead of deadlocking.
    selected = sorted(((text, found.get(normalise_reference(text) or "")) for text in page_order),
                      key=lambda pair: pair[1].id if pair[1] is not None else -1)
    refused_at: dict[str, int] = {}
    acted_on: set[int] = set()
    for text, item in selected:
        if item is not None and item.id in acted_on:
            continue  # the same reference twice, written differently (case, spaces, full-width)
        if item is None:
            shown = normalise_reference(text) or text[:20]
            refused_at[shown] = page_order[text]
            result.refused.append(Refusal(shown, "not_found"))
            continue
        refused_at[item.reference] = page_order[text]
        acted_on.add(item.id)
        if item.kind == ItemKind.APPOINTMENT:
            result.refused.append(Refusal(item.reference, "booking", item))
            continue
        try:
            if action == SPAM:
                changed = _close_as_spam(item, seen.get(text), actor_id=user.id)
            elif action == ASSIGN:
                changed = owners.assign(item, form.bulk_owner.data, actor_id=user.id, now=now, notify=False)
            else:
                changed = workflow.change_priority(item, priority=Priority(form.bulk_priority.data),
                                                   reason=form.bulk_reason.data, actor_id=user.id)
        except workflow.WorkflowError as exc:
            result.refused.append(Refusal(item.reference, exc.code, item))
        except owners.OwnerRefused:
            result.refused.append(Refusal(item.reference, "not_eligible", item, not_owner_words(item, new_owner)))
        else:
            (result.done if changed else result.unchanged).append(item)
    result.refused.sort(key=lambda refusal: refused_at[refusal.reference])  # named in the page's order
    if action == ASSIGN and result.done and new_owner is not None:  # one text for all of them, not one per item
        owners.tell_new_owner(new_owner, result.done, actor_id=user.id, now=now)
    return result


def _close_as_spam(item: IntakeItem, seen: str | None, *, actor_id: int) -> bool:
    """Close `item` as spam if it is still in the status the page showed (`seen`). Raises
    WorkflowError "already_closed", or "stale" when the page showed another status (or none)."""
    if item.status == ItemStatus.CLOSED:
        raise workflow.WorkflowError("already_closed")
    if seen != item.status:
        raise workflow.StaleStatus()
    workflow.move(item, expected=seen, target=ItemStatus.CLOSED, actor_id=actor_id, outcome=Outcome.SPAM)
    return True


def _reason_words(code: str, owner_name: str) -> str:
    return {
        "not_found": _("not found, or you may not act on it"),
        "booking": _("a sampling booking: it is handled at the sampling desk"),
        "already_closed": _("already closed"),
        "stale": _("changed by someone else since the page was loaded"),
        "not_eligible": _("%(name)s may not be responsible for it", name=owner_name),
    }.get(code, _("that change is not possible for this item"))


def _link(item: IntakeItem) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("staff.item", reference=item.reference), item.reference)


def _listed(named: list[Markup], more: int) -> Markup:
    """`named` joined as the language joins a list, with "N more" last when `more` > 0."""
    if more > 0:
        named = named + [escape(ngettext("%(num)s more", "%(num)s more", more))]
    return Markup(join_list([str(part) for part in named]))  # noqa: S704 - each part is escaped or built by Markup


def summary(action: str, result: BulkResult, *, owner_name: str = "",
            priority: int | None = None) -> list[tuple[str, Markup]]:
    """The messages after a bulk action, in the current language, as (flash category, HTML):
    what was done, with its count and the items done linked to their pages (the first
    LISTED_DONE, the rest counted), and what was already so, in the "message" category (shown
    green); the refused items, each with why (the first LISTED_REFUSALS named, the rest
    counted), in the WARNING category, as is "No item was changed." when something was refused.
    A refused item is linked only when the person may see it."""
    done = len(result.done)
    items = _listed([_link(i) for i in result.done[:LISTED_DONE]], done - LISTED_DONE)
    messages: list[tuple[str, Markup]] = []
    if not done:
        messages.append((WARNING if result.refused else "message", escape(_("No item was changed."))))
    elif action == SPAM:
        messages.append(("message", Markup(ngettext(  # noqa: S704 - every value is escaped
            "Closed %(num)s item as spam: %(items)s.", "Closed %(num)s items as spam: %(items)s.", done, items=items))))
    elif action == ASSIGN:
        messages.append(("message", Markup(ngettext(  # noqa: S704 - every value is escaped
            "%(name)s is now responsible for %(num)s item: %(items)s.",
            "%(name)s is now responsible for %(num)s items: %(items)s.", done, name=escape(owner_name), items=items))))
    else:
        messages.append(("message", Markup(ngettext(  # noqa: S704 - every value is escaped
            "Priority set to %(priority)s on %(num)s item: %(items)s.",
            "Priority set to %(priority)s on %(num)s items: %(items)s.", done,
            priority=escape(label("priority", priority)), items=items))))
    same = len(result.unchanged)
    if same:
        messages.append(("message", escape(ngettext("%(num)s item was already so: nothing to change.",
                                                    "%(num)s items were already so: nothing to change.", same))))
    if result.refused:
        named = [Markup(_("%(text)s (%(note)s)",  # noqa: S704 - every value is escaped
                          text=_link(r.item) if r.item is not None and r.code != "not_found" else escape(r.reference),
                          note=escape(r.note or _reason_words(r.code, owner_name))))
                 for r in result.refused[:LISTED_REFUSALS]]
        refused = _listed(named, len(result.refused) - LISTED_REFUSALS)
        messages.append((WARNING, Markup(ngettext(  # noqa: S704 - every value is escaped
            "%(num)s item refused: %(items)s.", "%(num)s items refused: %(items)s.", len(result.refused),
            items=refused))))
    return messages


def allowed_actions(user: StaffUser) -> list[str]:
    """The bulk actions `user`'s role may take, in the form's order."""
    return [action for action, permission in ACTION_PERMISSION.items() if role_allows(user.role, permission)]


def _queue_args() -> dict[str, Any]:
    """The queue's query string (filters and page) without the "select all" switch."""
    return {k: v for k, v in request.args.items(multi=False) if k != "select" and v}


@dataclass
class BulkSection:
    """The queue page's bulk form as the signed-in person sees it."""

    form: BulkForm
    actions: list[str]
    selected: set[str]
    all_selected: bool
    post_url: str
    select_all_url: str
    clear_url: str


def bulk_section(form: Any = None) -> BulkSection | None:
    """The bulk form for the queue page (`form`: one that came back with errors), or None for a
    role that may take no bulk action."""
    actions = allowed_actions(current_user) if role_allows(current_user.role, Permission.EDIT_ITEM) else []
    if not actions:
        return None
    if not isinstance(form, BulkForm):
        form = BulkForm(formdata=None, people=owners.possible_owners() if ASSIGN in actions else [])
    all_selected = request.args.get("select") == "page" and request.method == "GET"
    args = _queue_args()
    return BulkSection(
        form=form, actions=actions, selected={normalise_reference(r) or r for r in form.references()},
        all_selected=all_selected, post_url=url_for("staff.bulk_queue", **args),
        select_all_url=url_for("staff.queue", select="page", **args) + "#bulk_items",
        clear_url=url_for("staff.queue", **args) + "#bulk_items",
    )


@bp.context_processor
def _bulk_helpers() -> dict[str, Any]:
    return {"bulk_section": bulk_section}


@bp.post("/queue/bulk")
@requires(Permission.EDIT_ITEM)
def bulk_queue() -> Response | tuple[str, int]:
    """Apply one action to the selected queue items (see this module's docstring), then go back
    to the queue page with its filters and say what was done and what was refused. A form with
    errors (no item, no person, no reason, too many items) shows the queue again (400) with what
    was chosen, and changes nothing."""
    action = request.form.get("bulk_action", "")
    if action in ACTION_PERMISSION and not role_allows(current_user.role, ACTION_PERMISSION[action]):
        abort(403)
    form = BulkForm(people=owners.possible_owners() if ASSIGN in allowed_actions(current_user) else [])
    if not form.validate_on_submit():
        return render_queue(bulk_form=form, code=400)
    seen = {text: request.form.get(SEEN_PREFIX + text, "") for text in form.references()}
    result = apply_bulk(form, current_user, seen)
    owner = db.session.get(StaffUser, form.bulk_owner.data) if action == ASSIGN else None
    db.session.commit()
    for category, message in summary(action, result, owner_name=owner.username if owner else "",
                                     priority=form.bulk_priority.data):
        flash(message, category)
    return redirect(url_for("staff.queue", **_queue_args()), 303)

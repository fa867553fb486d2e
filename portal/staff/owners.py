"""Named owners in the console: assigning an item to a named person, "my items", each person's
workload, and what becomes of an account's open items (handed over when it is switched off).

The rules (who may own an item, who may assign) are in `portal.triage.owners`. Here:

- `POST /staff/items/<reference>/owner` (TRIAGE: triage officers, admins): make a member of the
  item's working group, or a triage officer, the officer responsible. The item page's section is
  `templates/staff/_item_owner.html`, with "Make me responsible" for everyone who may edit items.
- "My items" is the queue with `?mine=y`; the staff navigation links to it with the number of open
  items the person owns (for the roles that may own items).
- `GET /staff/workload` (VIEW_REPORTS: supervisors, triage officers, admins): each person's open
  and overdue items, each count linking to the queue filtered on that person.
- An account's open items on its admin page (`templates/staff/_account_open_items.html`): switching
  an account off asks what becomes of them (`portal.staff.admin.account_active`, in the same
  transaction as the switch-off), and a switched-off account that still owns some can hand them
  over (`portal.staff.admin.account_open_items`). The form and its reading are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired, ValidationError

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, StaffUser
from portal.core.permissions import Permission, Role, requires, role_allows
from portal.forms import PortalForm
from portal.staff.blueprint import bp
from portal.staff.forms import int_or_none
from portal.staff.labels import LABELS, label
from portal.staff.views import render_item, visible_item_or_404
from portal.triage import owners

LABELS["action"].update({
    "assign_item": _l("Made a named person responsible"),
    "release_item": _l("Returned the item to the queue (nobody responsible)"),
})
# The roles that may own items see "My items" in the navigation (portal.triage.owners.may_own;
# an admin may take an item too).
OWNER_ROLES = frozenset({Role.GROUP_MEMBER, Role.TRIAGE_OFFICER, Role.ADMIN})
QUEUE, PERSON = "queue", "person"


class AssignForm(PortalForm):
    """The person to make responsible for an item (checked by `portal.triage.owners.may_own`)."""

    owner = SelectField(_l("Person responsible"), coerce=int_or_none, validate_choice=False,
                        render_kw={"required": False},
                        validators=[DataRequired(_l("Choose the person to make responsible"))])

    def __init__(self, *args: Any, people: list[StaffUser] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", _l("Choose a person"))] + [(u.id, person_label(u)) for u in (people or [])]


class HandOverForm(PortalForm):
    """What becomes of an account's open items: back to the queue, or to one person."""

    open_items = RadioField(
        _l("What becomes of its open items?"),
        choices=[(QUEUE, _l("Return them to the queue: nobody responsible, status unchanged")),
                 (PERSON, _l("Give them all to one person"))],
        validators=[DataRequired(_l("Choose what becomes of its open items"))],
    )
    # No Optional(): it would stop the chain before `validate_new_owner` asks for a person.
    new_owner = SelectField(_l("Person to give them to"), coerce=int_or_none, validate_choice=False,
                            render_kw={"required": False})

    def __init__(self, *args: Any, people: list[StaffUser] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_owner.choices = [("", _l("Choose a person"))] + [(u.id, person_label(u)) for u in (people or [])]

    def validate_new_owner(self, field: Any) -> None:
        """A person is needed when the items go to one."""
        if self.open_items.data == PERSON and field.data is None:
            raise ValidationError(_l("Choose the person to give them to"))


def person_label(user: StaffUser) -> str:
    """How a person is offered: username, role and working group ("wang (Working group member, 第一专班)")."""
    role = label("role", user.role)
    if user.working_group is not None:
        return _("%(name)s (%(role)s, %(group)s)", name=user.username, role=role, group=user.working_group.name)
    return _("%(name)s (%(role)s)", name=user.username, role=role)


def not_owner_words(item: IntakeItem, user: StaffUser | None) -> str:
    """Why `user` may not be made responsible for `item` (`portal.triage.owners.why_not_owner`), in
    the current language, without a closing full stop: the one wording for the item page's owner
    form and the queue's bulk assign. None: no such account."""
    name = user.username if user is not None else ""
    code = owners.why_not_owner(item, user) if user is not None else None
    if code == "no_group":
        return _("%(name)s is a working group member and this item has no working group yet; "
                 "group members can only be responsible for their own group's items", name=name)
    if code == "other_group":
        return _("%(name)s is in another working group; group members can only be responsible for "
                 "their own group's items", name=name)
    if code == "switched_off":
        return _("%(name)s's account is switched off", name=name)
    return _("%(name)s may not be responsible for it", name=name)


# The item page ------------------------------------------------------------------------------


@dataclass
class OwnerSection:
    """The item page's "officer responsible" section: may the viewer take it, assign it, and to whom."""

    can_take: bool
    form: AssignForm | None
    people: list[StaffUser] = field(default_factory=list)


def owner_section(item: IntakeItem, form: Any = None) -> OwnerSection | None:
    """The section for `item` as the signed-in person sees it; None for a booking (nobody owns one)."""
    if item.kind == ItemKind.APPOINTMENT:
        return None
    can_take = role_allows(current_user.role, Permission.EDIT_ITEM) and item.assigned_to_id != current_user.id
    if not role_allows(current_user.role, Permission.TRIAGE):
        return OwnerSection(can_take=can_take, form=None)
    people = owners.candidates([item.working_group_id])
    if isinstance(form, AssignForm):
        form.owner.choices = AssignForm(formdata=None, people=people).owner.choices
    else:
        form = AssignForm(formdata=None, people=people, owner=item.assigned_to_id)
    return OwnerSection(can_take=can_take, form=form, people=people)


def _my_open_items() -> int | None:
    """How many open items the signed-in person owns, for the navigation (None: a role that owns none)."""
    if not current_user.is_authenticated or current_user.role not in OWNER_ROLES:
        return None
    return owners.open_item_count(current_user.id)


def staff_name(user_id: Any) -> str:
    """The username of the account `user_id` (an id as the audit trail keeps it, a string), for the
    item's history ("Officer responsible: – → wang"); the id itself when there is no such account."""
    user = db.session.get(StaffUser, int(user_id)) if str(user_id).isdigit() else None
    return user.username if user is not None else str(user_id)


@bp.context_processor
def _owner_helpers() -> dict[str, Any]:
    return {"owner_section": owner_section, "my_open_items": _my_open_items, "hand_over_section": hand_over_section,
            "staff_name": staff_name}


@bp.post("/items/<reference>/owner")
@requires(Permission.TRIAGE)
def assign_owner(reference: str) -> Response | tuple[str, int]:
    """Make a named person responsible for the item: a member of its working group or a triage
    officer (`portal.triage.owners.may_own`). Audited; the person is told on their duty phone."""
    found = visible_item_or_404(reference)
    if found.kind == ItemKind.APPOINTMENT:
        abort(400)  # a sampling booking is handled at the sampling desk, nobody owns it
    form = AssignForm()
    if not form.validate_on_submit():
        return render_item(found, form, 400)
    try:
        changed = owners.assign(found, form.owner.data, actor_id=current_user.id, now=clock.now())
    except owners.OwnerRefused:
        db.session.rollback()
        chosen = db.session.get(StaffUser, form.owner.data)
        advice = _("Choose a member of the item's working group or a triage officer: "
                   "only they can be responsible for it, and only while their account is switched on.")
        form.owner.errors = [_("%(reason)s. %(advice)s", reason=not_owner_words(found, chosen), advice=advice)
                             if chosen is not None else advice]
        return render_item(visible_item_or_404(reference), form, 400)
    if changed:
        db.session.commit()
        owner = db.session.get(StaffUser, found.assigned_to_id)
        flash(_("%(name)s is now responsible for this item.", name=owner.username if owner else ""))
    else:
        flash(_("Nothing was changed"))
    return redirect(url_for("staff.item", reference=found.reference), 303)


# Workload -----------------------------------------------------------------------------------


@bp.get("/workload")
@requires(Permission.VIEW_REPORTS)
def workload() -> str:
    """Each person's open and overdue items (one query), and the open items nobody owns.

    Counts and usernames only: no personal data, so opening it is not an audited view."""
    return render_template("staff/workload.html", rows=owners.workload(clock.now()), now=clock.now())


# Accounts: what becomes of an account's open items ------------------------------------------


@dataclass
class HandOverSection:
    """An account's open items on its admin page, and the question of what becomes of them."""

    items: list[IntakeItem]
    form: HandOverForm | None
    people: list[StaffUser] = field(default_factory=list)


def hand_over_section(account: StaffUser, form: Any = None) -> HandOverSection:
    """The open items `account` owns and, when it has any, the hand-over form (`form` when it came
    back with errors) offering only the people who may own every one of them."""
    items = owners.open_items_of(account.id)
    people = owners.candidates({i.working_group_id for i in items}, excluding=account.id) if items else []
    if not items:
        return HandOverSection(items=[], form=None)
    if isinstance(form, HandOverForm):
        form.new_owner.choices = HandOverForm(formdata=None, people=people).new_owner.choices
    else:
        form = HandOverForm(formdata=None, people=people)
    return HandOverSection(items=items, form=form, people=people)


def hand_over_from_request(account: StaffUser) -> tuple[list[IntakeItem] | None, HandOverForm]:
    """Read the hand-over form posted for `account` and hand its open items over (no commit).

    Returns (the items handed over, the form), or (None, the form with its errors) when the form
    is incomplete or the person chosen may not own one of the items; the caller then rolls back
    and shows the account page again (400). An account without open items needs no answer.
    """
    form = HandOverForm()
    if not owners.open_items_of(account.id):
        return owners.hand_over(account, to_id=None, actor_id=current_user.id, now=clock.now()), form
    if not form.validate():
        return None, form
    to_id = form.new_owner.data if form.open_items.data == PERSON else None
    try:
        return owners.hand_over(account, to_id=to_id, actor_id=current_user.id, now=clock.now()), form
    except owners.OwnerRefused:
        form.new_owner.errors = [_("This person cannot be responsible for all of its open items. "
                                   "Choose a triage officer, or a member of the items' working group.")]
        return None, form


def handed_over_message(count: int, to_id: int | None) -> str:
    """The flash message after a hand-over of `count` items to `to_id` (None: the queue)."""
    if to_id is None:
        return ngettext("%(num)s open item returned to the queue.", "%(num)s open items returned to the queue.", count)
    owner = db.session.get(StaffUser, to_id)
    return ngettext("%(num)s open item given to %(name)s.", "%(num)s open items given to %(name)s.", count,
                    name=owner.username if owner else "")

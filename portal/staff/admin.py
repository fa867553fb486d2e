"""Account management for admins: list, create, change role or group, switch off and on, and
reset (a new password shown once, a fresh two-step enrolment, every session ended). Accounts
are never deleted, and the last active admin can be neither switched off nor demoted.

Switching off an account that is responsible for open items asks what becomes of them (back to
the queue, or all to one person: `portal.staff.owners`); the items are handed over and the account
switched off in one transaction, each item's change audited, so a switched-off account never
stays responsible for an open item.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import SamplingSite, StaffUser
from portal.core.permissions import Permission, Role, requires
from portal.staff.blueprint import bp
from portal.staff.accounts import (
    AccountError, LastAdmin, create_staff_user, reset_account, set_active, set_role, set_sites,
)
from portal.staff.forms import AccountForm, AccountRoleForm
from portal.staff.owners import HandOverForm, hand_over_from_request, handed_over_message
from portal.triage import owners
from portal.staff.views import working_groups


def new_password() -> str:
    """A random password to hand over once (about 96 bits; the person may keep it in a manager)."""
    return secrets.token_urlsafe(12)


def _accounts() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))


def _account_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def site_choices() -> list[tuple[int, str]]:
    """Every sampling site as (id, name) for the accounts' site checkboxes, by province, city and name."""
    return [(site.id, site.name) for site in db.session.scalars(
        select(SamplingSite).order_by(SamplingSite.province, SamplingSite.city, SamplingSite.name))]


def _sites_text(site_ids: list[int]) -> str:
    return ", ".join(map(str, site_ids))


def _render_list(form: AccountForm | None = None, created: tuple[str, str] | None = None, code: int = 200):  # type: ignore[no-untyped-def]
    form = form or AccountForm(formdata=None, groups=working_groups(), site_choices=site_choices())
    return render_template("staff/accounts.html", accounts=_accounts(), form=form, created=created), code


@bp.route("/accounts", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def accounts():  # type: ignore[no-untyped-def]
    """Every staff account, and a form to create one (its first password is shown once). A site
    staff account is given its sampling sites here (at least one); other roles none."""
    form = AccountForm(groups=working_groups(), site_choices=site_choices())
    if not form.validate_on_submit():
        return _render_list(form if form.is_submitted() else None, code=400 if form.errors else 200)
    password = new_password()
    try:
        user = create_staff_user(form.username.data, password, Role(form.role.data))
    except AccountError as exc:
        db.session.rollback()
        form.username.errors = [_("That username is taken (upper and lower case count as the same). Choose another.") if exc.code == "taken" else str(exc)]
        return _render_list(form, code=400)
    user.working_group_id = form.working_group.data
    _before, sites = set_sites(user, form.sites.data or [])
    db.session.flush()
    audit.record("create_account", actor_id=current_user.id, fields=["role"],
                 changes={"role": (None, user.role)} | ({"site_ids": (None, _sites_text(sites))} if sites else {}),
                 numbers={"account_id": user.id})
    db.session.commit()
    return _render_list(created=(user.username, password))


def render_account(user: StaffUser, *, form: AccountRoleForm | None = None, hand_over_form: HandOverForm | None = None,
                   new_password: str | None = None, code: int = 200) -> tuple[str, int]:
    """The account page: role, group and (site staff) sampling sites, its open items and the
    hand-over question, switch off or on, reset. `form` / `hand_over_form`: forms that came back
    with errors."""
    form = form or _role_form(user)
    return render_template("staff/account_detail.html", account=user, form=form, hand_over_form=hand_over_form,
                           new_password=new_password), code


@bp.get("/accounts/<int:user_id>")
@requires(Permission.MANAGE_STAFF)
def account_detail(user_id: int) -> tuple[str, int]:
    """One account: its role and group, its open items, switch it off or on, or reset it."""
    return render_account(_account_or_404(user_id))


def _role_form(user: StaffUser) -> AccountRoleForm:
    """The account's role form as saved."""
    return AccountRoleForm(formdata=None, groups=working_groups(), site_choices=site_choices(), role=user.role,
                           working_group=user.working_group_id, sites=[site.id for site in user.sites])


def _refuse_last_admin(user: StaffUser) -> tuple[str, int]:
    db.session.rollback()
    form = _role_form(user)
    form.role.errors = [_("This is the last active admin account. Make another account admin first.")]
    return render_account(user, form=form, code=409)


@bp.post("/accounts/<int:user_id>/role")
@requires(Permission.MANAGE_STAFF)
def account_role(user_id: int) -> Response | tuple[str, int]:
    """Change an account's role, working group and (site staff) sampling sites; a site staff
    account needs at least one site, another role none."""
    user = _account_or_404(user_id)
    form = AccountRoleForm(groups=working_groups(), site_choices=site_choices())
    if not form.validate_on_submit():
        return render_account(user, form=form, code=400)
    before = user.role
    try:
        set_role(user, Role(form.role.data))
    except LastAdmin:
        return _refuse_last_admin(user)
    user.working_group_id = form.working_group.data
    sites_before, sites_after = set_sites(user, form.sites.data or [])
    db.session.flush()
    # Items of another group, or a role that owns none: they go back to the queue.
    released = owners.release_not_eligible(user, actor_id=current_user.id)
    site_change = {"site_ids": (_sites_text(sites_before), _sites_text(sites_after))} if sites_before != sites_after else {}
    audit.record("change_account", actor_id=current_user.id, fields=["working_group_id"],
                 changes={"role": (before, user.role)} | site_change, numbers={"account_id": user.id})
    db.session.commit()
    flash(_("Account changed"))
    if released:
        flash(handed_over_message(len(released), None))
    return redirect(url_for("staff.account_detail", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/active")
@requires(Permission.MANAGE_STAFF)
def account_active(user_id: int) -> Response | tuple[str, int]:
    """Switch an account off (ending its sessions) or back on.

    Switching off hands over the account's open items as the admin chose (to the queue, or to one
    person; asked only when it has some), in the same transaction: all of it happens, or nothing.
    """
    user = _account_or_404(user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    turn_on = not user.active
    try:
        set_active(user, turn_on)
    except LastAdmin:
        return _refuse_last_admin(user)
    handed: list = []
    if not turn_on:
        db.session.flush()  # the account's row first: an assignment to it at this moment waits, then is refused
        items, hand_form = hand_over_from_request(user)
        if items is None:
            db.session.rollback()
            return render_account(user, hand_over_form=hand_form, code=400)
        handed = items
    audit.record("change_account", actor_id=current_user.id, changes={"active": (not turn_on, turn_on)},
                 numbers={"account_id": user.id, "open_items_handed_over": len(handed)})
    db.session.commit()
    flash(_("Account switched on") if turn_on else _("Account switched off. Its sessions have ended."))
    if handed:
        flash(handed_over_message(len(handed), handed[0].assigned_to_id))
    return redirect(url_for("staff.account_detail", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/open-items")
@requires(Permission.MANAGE_STAFF)
def account_open_items(user_id: int) -> Response | tuple[str, int]:
    """Hand over the open items of an account (one switched off before it had to): to the queue or
    to one person, each change audited."""
    user = _account_or_404(user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    items, form = hand_over_from_request(user)
    if items is None:
        db.session.rollback()
        return render_account(user, hand_over_form=form, code=400)
    db.session.commit()
    if items:
        flash(handed_over_message(len(items), items[0].assigned_to_id))
    return redirect(url_for("staff.account_detail", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/reset")
@requires(Permission.MANAGE_STAFF)
def account_reset(user_id: int) -> tuple[str, int]:
    """New password (shown once), fresh two-step enrolment at next sign-in, every session ended."""
    user = _account_or_404(user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    password = new_password()
    reset_account(user, password)
    audit.record("reset_account", actor_id=current_user.id, fields=["password", "second_factor"])
    db.session.commit()
    return render_account(user, new_password=password)

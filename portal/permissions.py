"""Roles and what each may do: the one table every staff view is checked against.

A staff view declares the permission it needs with `@requires(Permission.X)`; the staff
blueprint refuses any view that declares none (deny by default). Which *items* a role may see
is scoped further by `portal.staff.queue.visible_items_filter` (a working-group member sees
their group's items, sampling-site staff see their own sites' appointments; an item outside the
scope answers 404, like one that does not exist).
"""

from __future__ import annotations

import enum
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


class Role(str, enum.Enum):
    ADMIN = "admin"
    TRIAGE_OFFICER = "triage_officer"
    GROUP_MEMBER = "group_member"
    SITE_STAFF = "site_staff"
    SUPERVISOR = "supervisor"


class Permission(str, enum.Enum):
    VIEW_QUEUE = "view_queue"  # open the queue (scoped by role)
    VIEW_ITEM = "view_item"  # open an item and its personal details (audited)
    EDIT_ITEM = "edit_item"  # change an item's details, status, priority, group
    MANAGE_STAFF = "manage_staff"  # accounts and roles
    MANAGE_SITES = "manage_sites"  # sampling sites, hours, closures
    SAMPLING_DESK = "sampling_desk"  # a site's day list, check-in, samples, walk-ins, booking for families
    VIEW_AUDIT = "view_audit"  # read the audit trail
    SIGN_IN = "sign_in"  # anything a signed-in account may do for itself (sign out)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.TRIAGE_OFFICER: frozenset({Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM, Permission.EDIT_ITEM}),
    Role.GROUP_MEMBER: frozenset({Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM, Permission.EDIT_ITEM}),
    Role.SITE_STAFF: frozenset({Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM, Permission.SAMPLING_DESK}),
    Role.SUPERVISOR: frozenset(
        {Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM, Permission.VIEW_AUDIT}
    ),
}


def role_allows(role: str, permission: Permission) -> bool:
    """True when `role` (a Role value; unknown roles get nothing) has `permission`."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def requires(permission: Permission) -> Callable[[F], F]:
    """Mark a staff view as needing `permission`; the staff blueprint enforces it before the view runs."""

    def mark(view: F) -> F:
        """Record the permission on the view function for the staff guard to read."""
        view.required_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def public_staff_view(view: F) -> F:
    """Mark a staff view that anonymous visitors may open (only the login page)."""
    view.public_staff_view = True  # type: ignore[attr-defined]
    return view

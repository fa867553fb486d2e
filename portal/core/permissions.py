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


class Role(enum.StrEnum):
    ADMIN = "admin"
    TRIAGE_OFFICER = "triage_officer"
    GROUP_MEMBER = "group_member"
    SITE_STAFF = "site_staff"
    SUPERVISOR = "supervisor"


class Permission(str, enum.Enum):
    SIGN_IN = "sign_in"  # anything a signed-in account may do for itself (sign out, sign out everywhere)
    VIEW_QUEUE = "view_queue"  # open the queue (scoped by role)
    VIEW_ITEM = "view_item"  # open an item and its personal details (audited)
    EDIT_ITEM = "edit_item"  # work an item in scope: notes, contact details, verifying, closing
    TRIAGE = "triage"  # every item: priority, triage, accept (case file, working group), duplicates, redaction
    ACKNOWLEDGE_ALERT = "acknowledge_alert"  # take charge of an urgent-tip alert
    VIEW_REPORTS = "view_reports"  # dashboard and monthly report
    EXPORT = "export"  # CSV of the queue and of the monthly report (audited)
    VIEW_AUDIT = "view_audit"  # read and filter the whole audit log
    MANAGE_STAFF = "manage_staff"  # accounts and roles
    MANAGE_SITES = "manage_sites"  # sampling sites, hours, closures
    MANAGE_FEEDBACK_TEMPLATES = "manage_feedback_templates"  # the wording of the feedback given to tipsters
    SAMPLING_DESK = "sampling_desk"  # a site's day list, check-in, samples, walk-ins, booking for families
    PRINT_POSTERS = "print_posters"  # a site's poster and the deployment's (print page and PDF; no personal data)


_READ = {Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM}

# The one table of what each role may do (issue 6). Which items a role sees is scoped further
# by `portal.staff.queue.visible_items_filter`.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Accounts, sites and settings, and everything else, so a small unit can run with one admin.
    Role.ADMIN: frozenset(Permission),
    # Every item: triage and assign.
    Role.TRIAGE_OFFICER: frozenset(
        _READ | {Permission.EDIT_ITEM, Permission.TRIAGE, Permission.ACKNOWLEDGE_ALERT, Permission.VIEW_REPORTS,
                 Permission.EXPORT}
    ),
    # Items assigned to their working group: verify and close them.
    Role.GROUP_MEMBER: frozenset(_READ | {Permission.EDIT_ITEM}),
    # Their sites' appointments only: the day list, check-in, samples, walk-ins, booking for families.
    Role.SITE_STAFF: frozenset(_READ | {Permission.SAMPLING_DESK, Permission.PRINT_POSTERS}),
    # Read everything, reports and the audit log; change nothing.
    Role.SUPERVISOR: frozenset(_READ | {Permission.VIEW_REPORTS, Permission.EXPORT, Permission.VIEW_AUDIT,
                                        Permission.PRINT_POSTERS}),
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

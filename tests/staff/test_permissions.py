"""Deny by default: every staff URL, as every role and as an anonymous visitor, against the one
permission table (`portal.core.permissions.ROLE_PERMISSIONS`).

Walks `app.url_map`, so a staff view added by anyone is covered the day it is registered (the
pattern of GOV.UK Notify's test_route_authentication.py). URL parameters are filled from
`URL_VALUES`; a rule with a parameter this test does not know fails, naming the rule, so that
whoever adds it also says how to fill it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Blueprint, Flask, url_for
from werkzeug.routing import Rule

from portal.core.extensions import db
from portal.core.models import UrgentAlert, WorkingGroup, staff_site
from portal.core.permissions import ROLE_PERMISSIONS, Permission, Role, requires, role_allows
from portal.staff.auth import guard_staff_request
from portal.triage.attachments import add_attachment
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.staff import browser, create_appointment, sign_in
from tests.support.tips import jpeg_bytes

# Form data for POSTs that would otherwise be refused as incomplete before reaching the point
# of interest (the permission check happens before any of it is read).
POST_DATA: dict[str, dict[str, str] | Callable[["Scope"], dict[str, Any]]] = {
    "staff.login": {"username": "nobody", "password": "wrong password"},
    "staff.update_contact": {"contact_name": "王五", "contact_phone": "13800138000"},
    # new → verifying: allowed to ask (EDIT_ITEM), refused by the workflow (400), changes nothing.
    "staff.move_item": {"expected": "new", "target": "verifying"},
    "staff.add_note": {"note": "看过了"},
    "staff.item_region": {"region": "320614"},
    "staff.change_item_category": {"category": "other"},
    # Feedback to the tipster, its templates and the duty phone (issue 14): complete forms, so an
    # allowed role's request really changes something (303) and a refused one changes nothing.
    "staff.give_feedback": {"kind": "still_checking"},
    "staff.feedback_template": {"text_zh": "警方仍在核查您的线索。", "text_en": "The police are still checking your report."},
    "staff.change_duty_phone": {"duty_phone": "138 0013 8000"},
    # Named owners (issue 14): a triage officer made responsible (303 for a role that may assign);
    # the spare account has no open items, so switching it off or handing over asks nothing.
    "staff.assign_owner": lambda s: {"owner": str(s.owner_id)},
    "staff.account_open_items": {"open_items": "queue"},
    # A case-file attachment (issue 16): a real photo, so an allowed role's post is stored (303).
    "staff.add_attachment": lambda s: {"attachment": (io.BytesIO(jpeg_bytes()), "still.jpg")},
    # Bulk actions on the queue (issue 16): the walk's item closed as spam, the action that needs
    # no more than the route's own permission (EDIT_ITEM); 303 for a role that may.
    "staff.bulk_queue": lambda s: {"bulk_action": "spam", "bulk_items": s.reference, f"seen-{s.reference}": "new"},
    # Saved views (issue 16): every role that sees the queue may save its filters (303).
    "staff.save_queue_view": {"name": "紧急线索", "filters": "priority=0"},
}
# Answers that mean "you may": the view ran (a page, a redirect after a change, a form error,
# a conflict, or a not-found for an object outside the account's scope).
ALLOWED_CODES = {200, 302, 303, 400, 404, 409}


class Scope:
    """The objects one role's walk uses to fill URL parameters."""

    def __init__(self, username: str, reference: str, alert_id: int, other_user_id: int, site_id: int,
                 owner_id: int = 0, attachment_id: int = 0) -> None:
        self.username, self.reference = username, reference
        self.alert_id, self.other_user_id, self.site_id = alert_id, other_user_id, site_id
        self.owner_id = owner_id  # a triage officer an item can be assigned to
        self.attachment_id = attachment_id  # a file attached to the tip (another item's for site staff: 404)


def _post_data(endpoint: str, scope: Scope) -> dict[str, Any]:
    data = POST_DATA.get(endpoint, {})
    return data(scope) if callable(data) else data


# How to fill each URL parameter a staff rule may have. Add a line here when a new rule brings
# a new parameter name.
URL_VALUES: dict[str, Callable[[Scope], object]] = {
    "reference": lambda s: s.reference,
    "alert_id": lambda s: s.alert_id,
    "user_id": lambda s: s.other_user_id,
    "site_id": lambda s: s.site_id,
    # No closure needs to exist: the permission check comes first (403), an allowed role gets 404.
    "closure_id": lambda s: 1,
    # Nor a decision for a day against the holiday calendar (portal/staff/holiday_views.py).
    "decision_id": lambda s: 1,
    # A feedback template's kind (portal.tips.feedback.FEEDBACK_KINDS).
    "kind": lambda s: "still_checking",
    # A file attached to the item (portal/staff/attachments.py).
    "attachment_id": lambda s: s.attachment_id,
    # A saved view that is nobody's: the permission check comes first (403), an allowed role gets 404.
    "view_id": lambda s: 1,
}


def _staff_routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    rules = sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")),
        # Ending sessions last, so that one sign-in serves every other request of a role.
        key=lambda rule: (rule.endpoint in ("staff.logout", "staff.sign_out_everywhere"), rule.rule),
    )
    for rule in rules:
        for method in sorted({"GET", "POST"} & (rule.methods or set())):
            yield rule, method


def _url(app: Flask, rule: Rule, scope: Scope) -> str:
    values = {}
    for name in rule.arguments:
        if name not in URL_VALUES:
            pytest.fail(f"staff rule {rule.rule} ({rule.endpoint}) has URL parameter {name!r}: "
                        f"add how to fill it to URL_VALUES in tests/staff/test_permissions.py")
        values[name] = URL_VALUES[name](scope)
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


@pytest.fixture
def stored_files(tmp_path: Path) -> Path:
    """Where this test's attachments are stored (TIP_PHOTO_DIR of both apps)."""
    return tmp_path / "stored"


@pytest.fixture
def app_settings(stored_files: Path) -> dict[str, object]:
    return {"tip_photo_dir": str(stored_files)}


@pytest.fixture
def walk_app(app: Flask, app_factory, stored_files: Path) -> Flask:  # type: ignore[no-untyped-def]
    """The app with CSRF off (tested elsewhere) and a login limit the walk cannot reach.

    Data is made in `app`'s context (same database); requests go to this app, each in a fresh context.
    """
    return app_factory(config={"WTF_CSRF_ENABLED": False}, ratelimit_login="1000 per minute",
                       tip_photo_dir=str(stored_files))


@pytest.fixture
def scopes(app: Flask) -> dict[Role, Scope]:
    """One account per role and, for each, objects inside its scope."""
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    tip = create_tip(child_in_danger=True).tip
    tip.item.working_group_id = group.id
    site = create_site()
    appointment = create_appointment(create_slot(site))
    db.session.commit()
    alert_id = db.session.query(UrgentAlert.id).scalar()
    spare = create_staff(Role.SUPERVISOR, username="spare-account")
    owner = create_staff(Role.TRIAGE_OFFICER, username="owner-account")
    attachment, _cleaned = add_attachment(tip.item, file_name="still.jpg", raw=jpeg_bytes(), actor_id=owner.id)
    db.session.commit()
    found: dict[Role, Scope] = {}
    for role in Role:
        user = create_staff(role)
        if role is Role.GROUP_MEMBER:
            user.working_group_id = group.id
        if role is Role.SITE_STAFF:
            db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
        db.session.commit()
        reference = appointment.reference if role is Role.SITE_STAFF else tip.item.reference
        found[role] = Scope(user.username, reference, alert_id, spare.id, site.id, owner.id, attachment.id)
    return found


def test_every_staff_view_declares_a_permission_or_is_public(app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("staff.")
        and not getattr(view, "public_staff_view", False)
        and not isinstance(getattr(view, "required_permission", None), Permission)
    ]
    assert undeclared == []
    public = [e for e, v in app.view_functions.items() if e.startswith("staff.") and getattr(v, "public_staff_view", False)]
    assert sorted(public) == ["staff.login", "staff.login_code", "staff.login_enrol"]


def test_the_permission_table_gives_each_role_what_the_issue_says() -> None:
    table = ROLE_PERMISSIONS
    assert table[Role.ADMIN] == frozenset(Permission)
    assert {Permission.TRIAGE, Permission.EDIT_ITEM} <= table[Role.TRIAGE_OFFICER]
    assert Permission.TRIAGE not in table[Role.GROUP_MEMBER] and Permission.EDIT_ITEM in table[Role.GROUP_MEMBER]
    assert table[Role.SITE_STAFF] == {Permission.SIGN_IN, Permission.VIEW_QUEUE, Permission.VIEW_ITEM, Permission.SAMPLING_DESK,
                                      Permission.PRINT_POSTERS}
    # Posters hold no personal data: the site staff who hand them out and the supervisors who read
    # everything may print them, not the officers working leads.
    assert [role for role in Role if Permission.PRINT_POSTERS in table[role]] == [Role.ADMIN, Role.SITE_STAFF,
                                                                                   Role.SUPERVISOR]
    changes = {Permission.EDIT_ITEM, Permission.TRIAGE, Permission.MANAGE_STAFF, Permission.MANAGE_SITES,
               Permission.ACKNOWLEDGE_ALERT}
    assert not changes & table[Role.SUPERVISOR]
    assert {Permission.VIEW_REPORTS, Permission.VIEW_AUDIT} <= table[Role.SUPERVISOR]
    # Rewording what tipsters are told is for admins alone; giving feedback is working an item.
    assert [role for role in Role if Permission.MANAGE_FEEDBACK_TEMPLATES in table[role]] == [Role.ADMIN]


def test_feedback_and_duty_phone_urls_need_the_permissions_the_table_gives(app: Flask) -> None:
    """The issue-14 staff URLs, named, so that a change of their permission is a visible change here."""
    needs = {endpoint: getattr(view, "required_permission", None) for endpoint, view in app.view_functions.items()}
    assert needs["staff.give_feedback"] is Permission.EDIT_ITEM
    assert needs["staff.feedback_templates"] is Permission.MANAGE_FEEDBACK_TEMPLATES
    assert needs["staff.feedback_template"] is Permission.MANAGE_FEEDBACK_TEMPLATES
    assert needs["staff.change_duty_phone"] is Permission.SIGN_IN
    # Named owners: assigning is triage; the workload is a report; handing over is account management.
    assert needs["staff.assign_owner"] is Permission.TRIAGE
    assert needs["staff.workload"] is Permission.VIEW_REPORTS
    assert needs["staff.account_open_items"] is Permission.MANAGE_STAFF
    # Case-file attachments (issue 16): attaching is working the item; downloading is reading it.
    assert needs["staff.add_attachment"] is Permission.EDIT_ITEM
    assert needs["staff.download_attachment"] is Permission.VIEW_ITEM


def test_export_and_bulk_urls_need_the_permissions_the_table_gives(app: Flask) -> None:
    """The issue-16 staff URLs, named: both export formats are exports; bulk actions need what the
    least of them needs (closing: EDIT_ITEM), and assigning and setting the priority still need TRIAGE."""
    from portal.staff.bulk import ACTION_PERMISSION

    needs = {endpoint: getattr(view, "required_permission", None) for endpoint, view in app.view_functions.items()}
    for endpoint in ("staff.export_queue", "staff.export_queue_xlsx", "staff.report_csv", "staff.report_xlsx"):
        assert needs[endpoint] is Permission.EXPORT, endpoint
    assert needs["staff.bulk_queue"] is Permission.EDIT_ITEM
    assert ACTION_PERMISSION == {"assign": Permission.TRIAGE, "priority": Permission.TRIAGE, "spam": Permission.EDIT_ITEM}


def test_every_staff_url_sends_anonymous_visitors_to_sign_in(walk_app: Flask, scopes) -> None:  # type: ignore[no-untyped-def]
    scope = scopes[Role.TRIAGE_OFFICER]
    checked = 0
    for rule, method in _staff_routes(walk_app):
        if getattr(walk_app.view_functions[rule.endpoint], "public_staff_view", False):
            continue
        url = _url(walk_app, rule, scope)
        response = walk_app.test_client().open(url, method=method, data=_post_data(rule.endpoint, scope))
        assert response.status_code in (302, 303), f"{method} {url} gave {response.status_code} to an anonymous visitor"
        assert response.headers["Location"].startswith("/staff/login"), f"{method} {url}"
        checked += 1
    assert checked >= 20


def test_anonymous_post_without_csrf_token_is_refused(app: Flask, scopes) -> None:  # type: ignore[no-untyped-def]
    reference = scopes[Role.TRIAGE_OFFICER].reference
    response = browser(app).post(f"/staff/items/{reference}/move", data=POST_DATA["staff.move_item"])
    assert response.status_code == 400


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_gets_403_exactly_where_the_permission_table_says(walk_app: Flask, scopes, role: Role) -> None:  # type: ignore[no-untyped-def]
    scope = scopes[role]
    client = walk_app.test_client()
    assert sign_in(client, scope.username).status_code == 303
    checked = 0
    for rule, method in _staff_routes(walk_app):
        view = walk_app.view_functions[rule.endpoint]
        url = _url(walk_app, rule, scope)
        response = client.open(url, method=method, data=_post_data(rule.endpoint, scope))
        permission = getattr(view, "required_permission", None)
        where = f"{role.value}: {method} {url} ({rule.endpoint}) gave {response.status_code}"
        if getattr(view, "public_staff_view", False):
            assert response.status_code < 500, where
        elif role_allows(role.value, permission):
            assert response.status_code in ALLOWED_CODES, where
            if response.status_code in (302, 303) and rule.endpoint != "staff.logout":
                assert not response.headers["Location"].startswith("/staff/login"), where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked >= 25


def test_supervisor_is_read_only(walk_app: Flask, scopes) -> None:  # type: ignore[no-untyped-def]
    scope = scopes[Role.SUPERVISOR]
    client = walk_app.test_client()
    sign_in(client, scope.username)
    reference = scope.reference
    assert client.get(f"/staff/items/{reference}").status_code == 200
    assert client.get("/staff/dashboard").status_code == 200
    assert client.get("/staff/audit").status_code == 200
    for action, data in (("contact", POST_DATA["staff.update_contact"]), ("move", POST_DATA["staff.move_item"]),
                         ("priority", {"priority": "0", "reason": "x"}), ("notes", POST_DATA["staff.add_note"]),
                         ("region", POST_DATA["staff.item_region"]),
                         ("category", POST_DATA["staff.change_item_category"]),
                         ("feedback", POST_DATA["staff.give_feedback"]),
                         ("owner", {"owner": str(scope.owner_id)}),
                         ("attachments", {"attachment": (io.BytesIO(jpeg_bytes()), "still.jpg")})):
        assert client.post(f"/staff/items/{reference}/{action}", data=data).status_code == 403, action
    assert client.post(f"/staff/alerts/{scope.alert_id}/acknowledge").status_code == 403


def test_group_member_cannot_triage_or_accept(walk_app: Flask, scopes) -> None:  # type: ignore[no-untyped-def]
    scope = scopes[Role.GROUP_MEMBER]
    client = walk_app.test_client()
    sign_in(client, scope.username)
    # Triaging (new → triaged) needs the triage permission even though the route needs only EDIT_ITEM.
    response = client.post(f"/staff/items/{scope.reference}/move", data={"expected": "new", "target": "triaged"})
    assert response.status_code == 403


def test_guard_refuses_an_undeclared_view_to_every_role(app: Flask, app_factory, scopes) -> None:  # type: ignore[no-untyped-def]
    probe_app = app_factory(config={"WTF_CSRF_ENABLED": False}, ratelimit_login="1000 per minute")
    probe = Blueprint("staff_probe", __name__)
    probe.before_request(guard_staff_request)

    @probe.get("/undeclared")
    def undeclared() -> str:
        return "should never be seen"

    @probe.get("/accounts")
    @requires(Permission.MANAGE_STAFF)
    def accounts() -> str:
        return "accounts"

    probe_app.register_blueprint(probe, url_prefix="/staff-probe")

    anonymous = probe_app.test_client().get("/staff-probe/undeclared")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/staff/login")
    for role in Role:
        client = probe_app.test_client()
        sign_in(client, scopes[role].username)
        assert client.get("/staff-probe/undeclared").status_code == 403, role
        expected = 200 if role is Role.ADMIN else 403
        assert client.get("/staff-probe/accounts").status_code == expected, role


def test_unknown_role_is_allowed_nothing() -> None:
    assert not any(role_allows("chief", permission) for permission in Permission)
    assert all(role_allows(Role.ADMIN.value, permission) for permission in Permission)
    assert not role_allows(Role.SUPERVISOR.value, Permission.EDIT_ITEM)
    assert not role_allows(Role.SITE_STAFF.value, Permission.EDIT_ITEM)


def test_case_file_urls_need_view_item(app: Flask) -> None:
    """The issue-16 case file (print page and PDF): whoever may open the item may print it."""
    needs = {endpoint: getattr(view, "required_permission", None) for endpoint, view in app.view_functions.items()}
    assert needs["staff.case_file"] is Permission.VIEW_ITEM
    assert needs["staff.case_file_pdf"] is Permission.VIEW_ITEM

"""Deny by default: every staff URL refuses anonymous visitors and the wrong roles.

Walks `app.url_map`, so a new staff view is covered the day it is added (the pattern of GOV.UK
Notify's test_route_authentication.py).
"""

from __future__ import annotations

from typing import Iterator

import pytest
from flask import Blueprint, Flask, url_for
from werkzeug.routing import Rule

from portal.extensions import db
from portal.models import WorkingGroup, staff_site
from portal.permissions import Permission, Role, requires, role_allows
from portal.staff.auth import guard_staff_request
from tests.factories import create_site, create_slot, create_staff, create_tip
from tests.staff_support import browser, create_appointment, sign_in

POST_DATA = {
    "staff.login": {"username": "nobody", "password": "wrong password"},
    "staff.update_contact": {"contact_name": "王五", "contact_phone": "13800138000"},
    "staff.change_status": {"status": "triaged", "priority": "1"},
}


def _staff_routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    rules = sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")),
        # Signing out last, so that one sign-in serves every other request of a role.
        key=lambda rule: (rule.endpoint == "staff.logout", rule.rule),
    )
    for rule in rules:
        for method in sorted({"GET", "POST"} & (rule.methods or set())):
            yield rule, method


def _url(app: Flask, rule: Rule, reference: str) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: reference for name in rule.arguments})


@pytest.fixture
def walk_app(app: Flask, app_factory) -> Flask:  # type: ignore[no-untyped-def]
    """The app with CSRF off (tested elsewhere) and a login limit the walk cannot reach.

    Data is made in `app`'s context (same database); requests go to this app, each in a fresh context.
    """
    return app_factory(config={"WTF_CSRF_ENABLED": False}, ratelimit_login="1000 per minute")


@pytest.fixture
def scoped_staff(app: Flask) -> dict[Role, tuple[str, str]]:
    """One account per role and, for each, the reference of an item inside its scope."""
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    tip = create_tip().tip
    tip.item.working_group_id = group.id
    site = create_site()
    appointment = create_appointment(create_slot(site))
    db.session.commit()
    accounts: dict[Role, tuple[str, str]] = {}
    for role in Role:
        user = create_staff(role)
        if role is Role.GROUP_MEMBER:
            user.working_group_id = group.id
        if role is Role.SITE_STAFF:
            db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
        db.session.commit()
        accounts[role] = (user.username, appointment.reference if role is Role.SITE_STAFF else tip.item.reference)
    return accounts


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


def test_every_staff_url_sends_anonymous_visitors_to_sign_in(walk_app: Flask, scoped_staff) -> None:  # type: ignore[no-untyped-def]
    reference = scoped_staff[Role.TRIAGE_OFFICER][1]
    checked = 0
    for rule, method in _staff_routes(walk_app):
        if getattr(walk_app.view_functions[rule.endpoint], "public_staff_view", False):
            continue
        url = _url(walk_app, rule, reference)
        response = walk_app.test_client().open(url, method=method, data=POST_DATA.get(rule.endpoint, {}))
        assert response.status_code != 200, f"{method} {url} answered an anonymous visitor"
        if method == "GET" or response.status_code in (302, 303):
            assert response.status_code in (302, 303), f"{method} {url} gave {response.status_code}"
            assert response.headers["Location"].startswith("/staff/login"), f"{method} {url}"
        else:
            assert response.status_code == 403, f"{method} {url} gave {response.status_code}"
        checked += 1
    assert checked >= 5


def test_anonymous_post_without_csrf_token_is_refused(app: Flask, scoped_staff) -> None:  # type: ignore[no-untyped-def]
    reference = scoped_staff[Role.TRIAGE_OFFICER][1]
    response = browser(app).post(f"/staff/items/{reference}/status", data=POST_DATA["staff.change_status"])
    assert response.status_code == 400


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_gets_403_exactly_where_the_permission_table_says(walk_app: Flask, scoped_staff, role: Role) -> None:  # type: ignore[no-untyped-def]
    username, reference = scoped_staff[role]
    client = walk_app.test_client()
    assert sign_in(client, username).status_code == 303
    for rule, method in _staff_routes(walk_app):
        view = walk_app.view_functions[rule.endpoint]
        url = _url(walk_app, rule, reference)
        response = client.open(url, method=method, data=POST_DATA.get(rule.endpoint, {}))
        permission = getattr(view, "required_permission", None)
        if getattr(view, "public_staff_view", False) or role_allows(role.value, permission):
            assert response.status_code in (200, 302, 303, 400), f"{role.value}: {method} {url} gave {response.status_code}"
        else:
            assert response.status_code == 403, f"{role.value}: {method} {url} gave {response.status_code}"


def test_supervisor_is_read_only(walk_app: Flask, scoped_staff) -> None:  # type: ignore[no-untyped-def]
    username, reference = scoped_staff[Role.SUPERVISOR]
    client = walk_app.test_client()
    sign_in(client, username)
    assert client.get(f"/staff/items/{reference}").status_code == 200
    assert client.post(f"/staff/items/{reference}/contact", data=POST_DATA["staff.update_contact"]).status_code == 403
    assert client.post(f"/staff/items/{reference}/status", data=POST_DATA["staff.change_status"]).status_code == 403


def test_guard_refuses_an_undeclared_view_to_every_role(app: Flask, app_factory, scoped_staff) -> None:  # type: ignore[no-untyped-def]
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
        sign_in(client, scoped_staff[role][0])
        assert client.get("/staff-probe/undeclared").status_code == 403, role
        expected = 200 if role is Role.ADMIN else 403
        assert client.get("/staff-probe/accounts").status_code == expected, role


def test_unknown_role_is_allowed_nothing() -> None:
    assert not any(role_allows("chief", permission) for permission in Permission)
    assert all(role_allows(Role.ADMIN.value, permission) for permission in Permission)
    assert not role_allows(Role.SUPERVISOR.value, Permission.EDIT_ITEM)
    assert not role_allows(Role.SITE_STAFF.value, Permission.EDIT_ITEM)

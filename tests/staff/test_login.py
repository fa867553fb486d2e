"""Signing staff in and out, and creating staff accounts from the command line."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import AuditEvent, StaffUser
from portal.core.permissions import Role
from tests.support.factories import STAFF_PASSWORD, create_staff
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.staff import browser, sign_in

GENERIC_ERROR = "Enter a correct username and password"


def _actions() -> list[tuple[str, int | None]]:
    db.session.expire_all()
    return [(e.action, e.actor_id) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_login_page_lets_password_managers_and_paste_work(app: Flask) -> None:
    response, page = get_page(browser(app), "/staff/login", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert 'autocomplete="current-password"' in html and 'autocomplete="off"' not in html
    assert "Sign in to the staff console" in text_of(response)
    response, page = get_page(browser(app), "/staff/login")
    assert page.html_lang == "zh-CN" and "登录民警工作台" in text_of(response)


def test_right_password_signs_in_and_opens_the_queue(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    response = sign_in(client, user.username)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/queue"
    get_page(client, "/staff/queue")
    assert _actions() == [("login", user.id)]
    assert db.session.get(StaffUser, user.id).last_login_at is not None


@pytest.mark.parametrize("username", ["triage_officer-user", "no-such-person"])
def test_wrong_password_or_unknown_name_gets_one_generic_error_and_no_session(app: Flask, username: str) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    response = sign_in(client, username, password="wrong password!", next_url="")
    assert response.status_code == 400
    page = check_page(response)
    assert page.title.startswith("错误") or page.title.startswith("Error")
    client_en = browser(app)
    page_en = client_en.get("/staff/login", headers={"Accept-Language": "en"})
    response_en = client_en.post(
        "/staff/login",
        data={"csrf_token": csrf_token(page_en.get_data(as_text=True)), "username": username, "password": "nope nope nope"},
        headers={"Accept-Language": "en"},
    )
    assert GENERIC_ERROR in text_of(response_en)
    assert text_of(response_en).count(GENERIC_ERROR) == 2  # in the summary and beside the field
    assert client.get("/staff/queue").status_code == 302
    # Failed sign-ins are audited against a real account only; nothing names an unknown one.
    expected_actor = user.id if username == user.username else None
    assert _actions() == [("login_failed", expected_actor)] * 2
    assert "no-such-person" not in repr(db.session.execute(text("SELECT * FROM audit_event")).all())


def test_unknown_usernames_are_checked_against_a_hash_with_the_live_argon2_parameters(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from portal.staff import auth

    checked: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's name
            checked.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "_hasher", Recording())
    auth._dummy_hash.cache_clear()
    assert auth.check_password(None, "any password at all") is False
    # The same work as for a real account: a full argon2id verification with today's parameters.
    assert len(checked) == 1 and extract_parameters(checked[0]) == auth._hasher._parameters
    assert checked[0] == auth._DUMMY_HASH  # the constant, not a hash made in this process
    assert create_staff(Role.ADMIN).password_hash != auth._DUMMY_HASH


def test_the_unknown_username_hash_follows_argon2_parameters_that_changed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from portal.staff import auth

    stronger = PasswordHasher(time_cost=4)
    monkeypatch.setattr(auth, "_hasher", stronger)
    auth._dummy_hash.cache_clear()
    try:
        dummy = auth._dummy_hash()
        assert dummy != auth._DUMMY_HASH and extract_parameters(dummy).time_cost == 4
        assert auth._dummy_hash() is dummy  # made once per process, then reused
        assert auth.check_password(None, "any password at all") is False
    finally:
        auth._dummy_hash.cache_clear()


def test_passwords_are_stored_as_argon2id(app: Flask, production_password_hasher: object) -> None:
    from argon2 import extract_parameters

    user = create_staff(Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash
    # Production's parameters (argon2-cffi's defaults, RFC 9106's low-memory choice); the rest of
    # the suite hashes with cheap ones (tests/conftest.py).
    parameters = extract_parameters(user.password_hash)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)


def test_switched_off_account_cannot_sign_in_and_is_signed_out(app: Flask) -> None:
    user = create_staff(Role.ADMIN)
    client = browser(app)
    sign_in(client, user.username)
    user.active = False
    db.session.commit()
    assert client.get("/staff/queue").status_code == 302
    assert sign_in(browser(app), user.username).status_code == 400


def test_sign_in_starts_a_fresh_session(app: Flask) -> None:
    user = create_staff(Role.ADMIN)
    client = browser(app)
    client.get("/staff/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user.username)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id") == str(user.id)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/staff/items/TY-2345-6789", "/staff/items/TY-2345-6789"),
        ("//evil.example/staff/", "/staff/queue"),
        ("https://evil.example/staff/queue", "/staff/queue"),
        ("/tips/new", "/staff/queue"),
        ("/staff/login", "/staff/queue"),
    ],
)
def test_after_sign_in_only_local_staff_pages_are_followed(app: Flask, next_url: str, expected: str) -> None:
    user = create_staff(Role.ADMIN)
    response = sign_in(browser(app), user.username, next_url=next_url)
    assert response.headers["Location"] == expected


def test_anonymous_visitor_is_sent_to_sign_in_and_comes_back(app: Flask) -> None:
    user = create_staff(Role.ADMIN)
    client = browser(app)
    response = client.get("/staff/queue")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login?next=/staff/queue"
    assert sign_in(client, user.username, next_url="/staff/queue").headers["Location"] == "/staff/queue"


def test_sign_out_needs_a_post_with_a_token_and_ends_the_session(app: Flask) -> None:
    user = create_staff(Role.SITE_STAFF)
    client = browser(app)
    sign_in(client, user.username)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400  # no CSRF token
    queue, _page = get_page(client, "/staff/queue")
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(queue.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/queue").status_code == 302
    assert [action for action, _ in _actions()] == ["login", "logout"]


def test_sign_in_attempts_are_rate_limited(app_factory, app: Flask) -> None:  # type: ignore[no-untyped-def]
    limited = app_factory(ratelimit_login="3 per minute")
    client = limited.test_client()
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    codes = [
        client.post("/staff/login", data={"csrf_token": token, "username": "x", "password": "y"}).status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    assert client.get("/staff/login").status_code == 200  # reading the page is not limited


def test_create_staff_command_creates_an_account_with_a_prompted_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "--username", "wang.officer", "--role", "triage_officer"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created staff account 'wang.officer' with role triage_officer" in result.output
    assert "a long enough password" not in result.output
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "wang.officer"))
    assert user is not None and user.role == "triage_officer" and user.password_hash.startswith("$argon2id$")
    assert sign_in(browser(app), "wang.officer", "a long enough password").status_code == 303


def test_create_staff_command_sets_group_and_refuses_duplicates(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["create-staff", "--username", "li", "--role", "group_member", "--password", "0123456789ab", "--group", "第一专班"]
    assert runner.invoke(args=args).exit_code == 0
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "li"))
    assert user.working_group.name == "第一专班"
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already exists" in again.output


def test_create_staff_command_refuses_a_short_password_or_unknown_role(app: Flask) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-staff", "--username", "zhao", "--role", "admin", "--password", "short"])
    assert short.exit_code == 1
    assert "password must be at least 10 characters" in short.output
    assert runner.invoke(args=["create-staff", "--username", "zhao", "--role", "chief", "--password", "x" * 12]).exit_code == 2
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "zhao")) is None


def test_create_staff_warns_when_a_group_member_has_no_group(app):
    result = app.test_cli_runner().invoke(
        args=["create-staff", "--username", "member", "--role", "group_member", "--password", "long-enough-password"]
    )
    assert result.exit_code == 0
    assert "give one with --group" in result.output

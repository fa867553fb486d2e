"""Signing in to the staff console under attack: wrong passwords in parallel, one code sent by several
sessions, a session cookie copied before signing out, a `next` path that climbs out of /staff, and
usernames that differ only in case."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import StaffUser
from portal.core.permissions import Role
from portal.staff import throttle
from portal.staff.auth import check_password
from tests.support.factories import STAFF_PASSWORD, create_staff
from tests.support.helpers import csrf_token, text_of
from tests.support.staff import browser, control_clock, sign_in, totp_code


# --- parallel wrong passwords ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_parallel_wrong_passwords_check_at_most_the_limit_and_a_right_one_after_the_lock_is_refused(app: Flask) -> None:
    """Twelve wrong passwords at once, each in its own thread and connection (PostgreSQL)."""
    create_staff(Role.TRIAGE_OFFICER, username="target")
    limit = app.config["SETTINGS"].login_max_failures
    barrier = threading.Barrier(12)
    checked: list[bool] = []
    errors: list[BaseException] = []

    def attempt(password: str, wait: bool = True) -> None:
        with app.test_request_context("/staff/login", method="POST"):
            try:
                if wait:
                    barrier.wait()
                refusal = throttle.begin_attempt("target", "198.51.100.7")
                db.session.commit()
                if refusal is None:
                    right = check_password(db.session.scalar(select(StaffUser).where(StaffUser.username == "target")),
                                           password)
                    checked.append(right)
                    if right:
                        throttle.attempt_succeeded("target")
                    else:
                        throttle.record_failure("target", "198.51.100.7")
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - any crash fails the test below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=("wrong-password",)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(checked) <= limit and checked.count(False) == len(checked)
    attempt(STAFF_PASSWORD, wait=False)  # the right password, after the lock
    assert len(checked) <= limit and True not in checked


def test_wrong_passwords_over_the_limit_are_refused_unchecked_and_lock_the_account(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    limit = app.config["SETTINGS"].login_max_failures
    moving = control_clock(monkeypatch)
    with app.test_request_context("/staff/login", method="POST"):
        for _ in range(limit):
            moving.advance(seconds=30)  # past each slow-down wait
            assert throttle.begin_attempt(user.username, "198.51.100.8") is None
            throttle.record_failure(user.username, "198.51.100.8")
            db.session.commit()
        refusal = throttle.begin_attempt(user.username, "198.51.100.8")
        assert refusal is not None and refusal.locked


# --- one code in several sessions -----------------------------------------------------------------


def _password_step(client, username: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"username": username, "password": STAFF_PASSWORD,
                                                 "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/login/code")
    return csrf_token(client.get("/staff/login/code").get_data(as_text=True))


@pytest.mark.postgres
@pytest.mark.slow
def test_one_code_sent_by_four_sessions_at_once_signs_in_only_one(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    clients = [browser(app) for _ in range(4)]
    tokens = [_password_step(c, user.username) for c in clients]
    code = totp_code(user.username)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send(client, token: str) -> None:  # type: ignore[no-untyped-def]
        with app.app_context():  # each thread its own context and database session
            barrier.wait()
            try:
                statuses.append(client.post("/staff/login/code", data={"code": code, "csrf_token": token}).status_code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303, 400, 400, 400]


def test_a_code_used_in_one_session_is_refused_in_another(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    first, second = browser(app), browser(app)
    tokens = [_password_step(c, user.username) for c in (first, second)]
    code = totp_code(user.username)
    assert first.post("/staff/login/code", data={"code": code, "csrf_token": tokens[0]}).status_code == 303
    assert second.post("/staff/login/code", data={"code": code, "csrf_token": tokens[1]}).status_code == 400


# --- a copied cookie after sign-out ---------------------------------------------------------------


def test_a_copied_session_cookie_no_longer_works_after_sign_out(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = browser(app)
    copy.set_cookie("session", cookie.value)
    assert copy.get("/staff/queue").status_code == 200
    page = client.get("/staff/account")
    out = client.post("/staff/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert out.status_code == 303
    refused = copy.get("/staff/queue")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/staff/login")


def test_signing_out_one_session_leaves_the_others_of_the_account_signed_in(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    first, second = browser(app), browser(app)
    assert sign_in(first, user.username).status_code == 303
    assert sign_in(second, user.username).status_code == 303
    page = first.get("/staff/account")
    first.post("/staff/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert first.get("/staff/queue").status_code == 302
    assert second.get("/staff/queue").status_code == 200


# --- redirects that climb out of /staff -----------------------------------------------------------


@pytest.mark.parametrize("next_url", ["/staff/../../evil", "/staff/%2e%2e/evil", "/staff/./../tips/new"])
def test_after_sign_in_a_next_path_climbing_out_of_staff_goes_to_the_queue(app: Flask, next_url: str) -> None:
    user = create_staff(Role.ADMIN)
    response = sign_in(browser(app), user.username, next_url=quote(next_url, safe="/"))
    assert response.headers["Location"] == "/staff/queue"


def test_safe_next_resolves_dot_segments() -> None:
    from portal.core.security.redirects import safe_next

    assert safe_next("/staff/../../evil", "/x") == "/evil"
    assert safe_next("/staff/items/../queue?status=all", "/x") == "/staff/queue?status=all"
    assert safe_next("/staff/", "/x") == "/staff/"


# --- usernames differing only in case -------------------------------------------------------------


def test_a_username_differing_only_in_case_is_refused_by_the_command(app: Flask) -> None:
    create_staff(Role.ADMIN, username="Alice")
    result = CliRunner().invoke(app.cli, ["create-staff", "--username", "ALICE", "--role", "triage_officer",
                                          "--password", "a very long and unusual passphrase 42"], catch_exceptions=False)
    assert result.exit_code != 0 and "already exists" in result.output
    assert len(list(db.session.scalars(select(StaffUser)))) == 1


def test_a_username_differing_only_in_case_is_refused_by_the_accounts_page(app: Flask) -> None:
    admin = create_staff(Role.ADMIN, username="root-admin")
    create_staff(Role.TRIAGE_OFFICER, username="bob")
    client = browser(app)
    assert sign_in(client, admin.username).status_code == 303
    page = client.get("/staff/accounts")
    response = client.post("/staff/accounts", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                    "username": "BoB", "role": "triage_officer"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "That username is taken" in text_of(response)


def test_staff_sign_in_with_the_username_in_any_case(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER, username="Carol")
    assert user.username == "carol"
    assert sign_in(browser(app), "CAROL", code=totp_code("carol")).status_code == 303

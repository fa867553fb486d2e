"""Findings of an attack on the staff console, each reproduced: parallel wrong passwords, one
code in several sessions, a copied cookie after sign-out, tampered forms, filters, page keys and
ids, merges into each other, redirects that climb out of /staff, and usernames differing in case."""

from __future__ import annotations

import base64
import threading
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import IntakeItem, ItemStatus, StaffUser
from portal.permissions import Role
from portal.staff import throttle
from portal.staff.auth import check_password
from portal.triage import workflow
from tests.factories import STAFF_PASSWORD, create_staff, create_tip
from tests.helpers import csrf_token, text_of
from tests.staff_support import browser, control_clock, sign_in, totp_code

# --- 2. parallel wrong passwords -----------------------------------------------------------------


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


# --- 3. one code in several sessions -------------------------------------------------------------


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


# --- 4. a copied cookie after sign-out -----------------------------------------------------------


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


# --- 5. a tampered move form ---------------------------------------------------------------------


@pytest.fixture
def officer(app: Flask):  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


@pytest.mark.parametrize("expected", ["bogus", ""])
def test_a_move_with_a_tampered_expected_status_is_refused_with_a_message(app: Flask, officer, expected: str) -> None:  # type: ignore[no-untyped-def]
    _user, client = officer
    reference = create_tip().reference
    page = client.get(f"/staff/items/{reference}")
    response = client.post(f"/staff/items/{reference}/move", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "expected": expected, "target": "triaged"},
        headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Reload the page" in text_of(response)
    db.session.expire_all()
    assert db.session.scalar(select(IntakeItem.status).where(IntakeItem.reference == reference)) == "new"


# --- 6. queue filters ----------------------------------------------------------------------------

BAD_FILTERS = ["group=abc", "group=99999999999", "received_to=9999-12-31", "received_from=0001-01-01",
               "q=%00", "region=%00", "q=a%00b", "priority=abc", "priority=99999999999"]


@pytest.mark.parametrize("query", BAD_FILTERS)
def test_invalid_queue_filters_never_cause_a_server_error(app: Flask, query: str) -> None:
    create_tip()
    user = create_staff(Role.ADMIN)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    page = client.get(f"/staff/queue?{query}")
    assert page.status_code in (200, 400)
    export = client.get(f"/staff/queue.csv?{query}")
    assert export.status_code in (200, 400)


# --- 7. tampered page keys -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    "0|2026-01-01T00:00:00+00:00|99999999999999999999",
    "-99999999999999999999|2026-01-01T00:00:00+00:00|1",
    "0|0001-01-01T00:00:00+14:00|1",
])
def test_a_page_key_out_of_range_is_ignored_like_a_garbage_key(app: Flask, raw: str) -> None:
    from portal.staff.queue import decode_cursor

    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    assert decode_cursor(cursor) is None
    user = create_staff(Role.ADMIN)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    assert client.get(f"/staff/queue?after={cursor}").status_code == 200


# --- 8. dates and ids in query strings -----------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/staff/audit?before=99999999999999999999",
    "/staff/audit?from=0001-01-01",
    "/staff/audit?to=9999-12-31",
    "/staff/accounts/99999999999999999999",
])
def test_out_of_range_dates_and_ids_in_staff_urls_never_cause_a_server_error(app: Flask, url: str) -> None:
    user = create_staff(Role.ADMIN)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    assert client.get(url).status_code in (200, 400, 404)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_sampling_day_out_of_range_is_not_found(app: Flask, day: str) -> None:
    from tests.factories import create_site

    site = create_site()
    user = create_staff(Role.ADMIN)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    assert client.get(f"/staff/sampling/sites/{site.id}/day?day={day}").status_code == 404


def test_query_helpers_accept_only_dates_and_ids_the_database_can_hold() -> None:
    from datetime import date

    from portal.query_args import query_date, query_id

    assert query_date("2026-03-01") == date(2026, 3, 1)
    assert query_date("0001-01-01") is None and query_date("9999-12-31") is None and query_date("x") is None
    assert query_id("42") == 42
    assert query_id("99999999999999999999") is None and query_id("-1") is None and query_id("abc") is None


# --- 10. merging items into each other -----------------------------------------------------------


def test_an_item_cannot_be_merged_into_one_that_was_merged_into_it(app: Flask) -> None:
    actor = create_staff(Role.TRIAGE_OFFICER)
    first = db.session.get(IntakeItem, create_tip().tip.item_id)
    second = db.session.get(IntakeItem, create_tip().tip.item_id)
    workflow.merge(first, second, expected="new", actor_id=actor.id)
    db.session.commit()
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.merge(second, first, expected="new", actor_id=actor.id)
    assert refused.value.code == "merge_target_closed"
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(IntakeItem, second.id).status == "new"


def test_an_item_cannot_be_merged_into_itself_or_into_a_closed_item(app: Flask) -> None:
    actor = create_staff(Role.TRIAGE_OFFICER)
    first = db.session.get(IntakeItem, create_tip().tip.item_id)
    closed = db.session.get(IntakeItem, create_tip().tip.item_id)
    with pytest.raises(workflow.WorkflowError):
        workflow.merge(first, first, expected="new", actor_id=actor.id)
    from portal.models import Outcome

    workflow.move(closed, expected="new", target=ItemStatus.CLOSED, actor_id=actor.id, outcome=Outcome.SPAM)
    db.session.commit()
    with pytest.raises(workflow.WorkflowError):
        workflow.merge(first, closed, expected="new", actor_id=actor.id)


def test_merging_into_a_merged_item_through_the_page_is_refused_with_a_message(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _user, client = officer
    first, second = create_tip().reference, create_tip().reference
    page = client.get(f"/staff/items/{first}")
    merged = client.post(f"/staff/items/{first}/link", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "other": second, "merge": "merge"})
    assert merged.status_code == 303
    page = client.get(f"/staff/items/{second}")
    back = client.post(f"/staff/items/{second}/link", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "other": first, "merge": "merge"}, headers={"Accept-Language": "en"})
    assert back.status_code == 400 and "is closed" in text_of(back)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_items_merged_into_each_other_at_the_same_moment_leave_one_open(app: Flask) -> None:
    """Two threads, each with its own connection, merge A into B and B into A at once (PostgreSQL)."""
    actor = create_staff(Role.TRIAGE_OFFICER)
    ids = [create_tip().tip.item_id, create_tip().tip.item_id]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def merge(duplicate_id: int, into_id: int) -> None:
        with app.app_context():
            duplicate, into = db.session.get(IntakeItem, duplicate_id), db.session.get(IntakeItem, into_id)
            barrier.wait()
            try:
                workflow.merge(duplicate, into, expected="new", actor_id=actor.id)
                db.session.commit()
                results.append("merged")
            except workflow.WorkflowError:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=merge, args=ids), threading.Thread(target=merge, args=ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["merged", "refused"]
    db.session.expire_all()
    statuses = sorted(db.session.get(IntakeItem, i).status for i in ids)
    assert statuses == ["closed", "new"]


# --- 11. redirects that climb out of /staff ------------------------------------------------------


@pytest.mark.parametrize("next_url", ["/staff/../../evil", "/staff/%2e%2e/evil", "/staff/./../tips/new"])
def test_after_sign_in_a_next_path_climbing_out_of_staff_goes_to_the_queue(app: Flask, next_url: str) -> None:
    user = create_staff(Role.ADMIN)
    response = sign_in(browser(app), user.username, next_url=quote(next_url, safe="/"))
    assert response.headers["Location"] == "/staff/queue"


def test_safe_next_resolves_dot_segments() -> None:
    from portal.security.redirects import safe_next

    assert safe_next("/staff/../../evil", "/x") == "/evil"
    assert safe_next("/staff/items/../queue?status=all", "/x") == "/staff/queue?status=all"
    assert safe_next("/staff/", "/x") == "/staff/"


# --- 13. usernames differing only in case --------------------------------------------------------


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

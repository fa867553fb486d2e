"""Staff requests tampered with are refused, never a server error or a wrong change: a move form's
expected status, queue filters, page keys, dates and ids in URLs, and items merged into each
other. (Signing in under attack: test_sign_in_attacks.py.)"""

from __future__ import annotations

import base64
import threading

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemStatus
from portal.core.permissions import Role
from portal.triage import workflow
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, text_of
from tests.support.staff import browser, sign_in

# --- a tampered move form -------------------------------------------------------------------------


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


# --- queue filters --------------------------------------------------------------------------------

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


# --- tampered page keys ---------------------------------------------------------------------------


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


# --- dates and ids in query strings ---------------------------------------------------------------


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
    from tests.support.factories import create_site

    site = create_site()
    user = create_staff(Role.ADMIN)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    assert client.get(f"/staff/sampling/sites/{site.id}/day?day={day}").status_code == 404


def test_query_helpers_accept_only_dates_and_ids_the_database_can_hold() -> None:
    from datetime import date

    from portal.core.query_args import query_date, query_id

    assert query_date("2026-03-01") == date(2026, 3, 1)
    assert query_date("0001-01-01") is None and query_date("9999-12-31") is None and query_date("x") is None
    assert query_id("42") == 42
    assert query_id("99999999999999999999") is None and query_id("-1") is None and query_id("abc") is None


def test_an_id_in_a_url_is_made_of_ascii_digits_only(app: Flask) -> None:
    from werkzeug.exceptions import NotFound

    urls = app.url_map.bind("localhost")
    assert urls.match("/staff/accounts/12") == ("staff.account_detail", {"user_id": 12})
    assert urls.match("/sampling/site/12") == ("sampling.choose_day", {"site_id": 12})
    for text in ("\uff11\uff12", "\u0663", "2147483648", "-1"):  # full-width 12, Arabic-Indic 3, too large, signed
        for path in (f"/staff/accounts/{text}", f"/sampling/site/{text}"):
            with pytest.raises(NotFound):
                urls.match(path)


# --- merging items into each other ----------------------------------------------------------------


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
    from portal.core.models import Outcome

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

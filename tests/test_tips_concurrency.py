"""A double click whose two requests arrive at the same moment creates one tip, not two; and the
submission id that makes this work cannot be used to reach another visitor's tip."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import IntakeItem, Tip
from tests.helpers import csrf_token, parse_page



def test_simultaneous_double_submit_of_one_form_creates_one_tip(app):
    first = app.test_client()
    page = first.get("/tips/report", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(html),
        "submission_id": parse_page(html).inputs["submission_id"],
        "child_in_danger": "no",
        "category": "begging_or_exploited",
        "description": "A child begging at the station under an adult's control",
    }
    cookie = first.get_cookie("session")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def click() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        barrier.wait()
        statuses.append(client.post("/tips/report", data=form).status_code)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * 6
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tip)) == 1
        assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 1


def test_a_submission_id_planted_from_another_session_never_returns_that_sessions_receipt(app):
    """THREATS.md: reading someone else's tip. The id is visible in the page; the session's own
    secret is not, so an attacker who knows (or planted) the id gets a tip of their own."""
    from tests.helpers import text_of

    victim, attacker = app.test_client(), app.test_client()
    fields = {"child_in_danger": "no", "category": "other", "description": "What I saw near the school"}

    victim_page = victim.get("/tips/report").get_data(as_text=True)
    known_id = parse_page(victim_page).inputs["submission_id"]
    victim.post("/tips/report", data={**fields, "csrf_token": csrf_token(victim_page), "submission_id": known_id})
    victim_receipt = text_of(victim.get("/tips/confirmation"))

    attacker_page = attacker.get("/tips/report").get_data(as_text=True)
    attacker.post("/tips/report", data={**fields, "csrf_token": csrf_token(attacker_page), "submission_id": known_id})
    attacker_receipt = text_of(attacker.get("/tips/confirmation"))

    import re

    pattern = r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}"
    assert re.search(pattern, victim_receipt).group(0) != re.search(pattern, attacker_receipt).group(0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tip)) == 2


def test_tips_sent_at_the_same_moment_by_different_people_are_all_kept(app):
    """On the embedded SQLite default too: a writer waits for another instead of failing."""
    visitors = []
    for n in range(8):
        client = app.test_client()
        html = client.get("/tips/report").get_data(as_text=True)
        visitors.append((client, {
            "csrf_token": csrf_token(html),
            "submission_id": parse_page(html).inputs["submission_id"],
            "child_in_danger": "no",
            "category": "other",
            "description": f"Report number {n}",
        }))
    barrier = threading.Barrier(len(visitors))
    statuses: list[int] = []

    def send(client, form) -> None:
        barrier.wait()
        statuses.append(client.post("/tips/report", data=form).status_code)

    threads = [threading.Thread(target=send, args=visitor) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [303] * len(visitors)
    assert db.session.scalar(select(func.count()).select_from(Tip)) == len(visitors)

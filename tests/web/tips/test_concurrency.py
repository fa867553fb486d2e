"""A double click whose two requests arrive at the same moment creates one tip, not two; and
reports sent at the same moment by different people are all kept."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import IntakeItem, Tip
from tests.support.tips import csrf_of, fill_journey


def _ready_to_send(app):
    """A browser that has answered every question: (its cookies, the check page's form)."""
    client = app.test_client()
    fill_journey(client)
    html = client.get("/tips/report/check").get_data(as_text=True)
    return client, {"csrf_token": csrf_of(html)}


def _post_together(posts) -> list[int]:
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = []

    def send(client, form) -> None:
        barrier.wait()
        statuses.append(client.post("/tips/report/check", data=form).status_code)

    threads = [threading.Thread(target=send, args=post) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_simultaneous_double_submit_of_one_report_creates_one_tip(app):
    client, form = _ready_to_send(app)
    clicks = []
    for _ in range(6):
        twin = app.test_client()
        for name in ("session", "tip_draft"):
            cookie = client.get_cookie(name)
            twin.set_cookie(name, cookie.value, path=cookie.path)
        clicks.append((twin, form))
    assert _post_together(clicks) == [303] * 6
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1
    assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 1


def test_the_draft_secret_that_makes_sending_idempotent_never_appears_in_a_page(app):
    client, _form = _ready_to_send(app)
    token = client.get_cookie("tip_draft").value
    for url in ("/tips/report/check", "/tips/report/contact", "/tips/report"):
        assert token not in client.get(url).get_data(as_text=True)


def test_tips_sent_at_the_same_moment_by_different_people_are_all_kept(app, app_factory):
    """On the embedded SQLite default too: a writer waits for another instead of failing."""
    roomy = app_factory(ratelimit_tip_steps="1000 per minute", ratelimit_public_post="1000 per minute")
    visitors = [_ready_to_send(roomy) for _ in range(8)]
    assert sorted(_post_together(visitors)) == [303] * len(visitors)
    assert db.session.scalar(select(func.count()).select_from(Tip)) == len(visitors)

"""A double click whose two requests arrive at the same moment creates one tip, not two."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import IntakeItem, Tip
from tests.helpers import csrf_token, parse_page

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_simultaneous_double_submit_of_one_form_creates_one_tip(app_factory):
    app = app_factory()
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

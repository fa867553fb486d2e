"""With 100,000 items on PostgreSQL the first queue page and the overdue filter take a bounded
number of queries and, after ANALYZE, read an index (the plan is checked, not the time)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import event, text

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import StaffUser
from portal.core.permissions import Role
from portal.staff.queue import QueueFilters, filtered_query
from tests.support.database import counted_queries
from tests.support.factories import create_staff
from tests.support.staff import browser, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ITEMS = 100_000
# The account and its session, the working groups and the people who may own items (filter
# form), the page of items (with group, owner and tip joined), the page's facts (audit trail,
# later information, SMS: one UNION), the urgent banner, the count of "My items" in the
# navigation, the people a bulk assignment offers (portal.staff.bulk), the account's saved views
# (and its group's), and the audit event of the page with the items it lists (one INSERT each):
# the same whatever the page holds.
MAX_QUERIES = 12


def _generate_items(count: int) -> None:
    """`count` items over two years: 90% closed, the rest open in every status; one in 50 urgent."""
    db.session.execute(text("""
        INSERT INTO intake_item (reference, kind, channel, status, priority, received_at, feedback_due_at, updated_at)
        SELECT 'G-' || i,
               CASE WHEN i % 3 = 0 THEN 'sms_message' ELSE 'tip' END,
               CASE WHEN i % 2 = 0 THEN 'sms' ELSE 'web' END,
               CASE WHEN i % 10 = 0 THEN (ARRAY['new','triaged','assigned','verifying'])[1 + (i / 10) % 4] ELSE 'closed' END,
               CASE WHEN i % 50 = 0 THEN 0 ELSE 1 + i % 3 END,
               now() - make_interval(mins => i * 10),
               now() - make_interval(mins => i * 10) + interval '7 days',
               now()
        FROM generate_series(1, :count) AS i
    """), {"count": count})
    db.session.commit()
    db.session.execute(text("ANALYZE intake_item"))
    db.session.commit()


def _plan(user: StaffUser, filters: QueueFilters) -> str:
    query = filtered_query(user, filters, clock.now()).limit(51)
    compiled = query.compile(dialect=db.engine.dialect)
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN " + compiled.string, compiled.params).all()
    return "\n".join(row[0] for row in rows)


def test_first_page_and_overdue_filter_are_bounded_and_use_an_index(app: Flask) -> None:
    _generate_items(ITEMS)
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    for url in ("/staff/queue", "/staff/queue?overdue=y", "/staff/queue?status=all"):
        with counted_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        assert len(re.findall(r'href="/staff/items/G-', response.get_data(as_text=True))) == 50, url
        assert len(statements) <= MAX_QUERIES, f"{url}: {len(statements)} queries:\n" + "\n".join(statements)
    for filters in (QueueFilters(), QueueFilters(overdue=True), QueueFilters(status="all")):
        plan = _plan(user, filters)
        assert "Seq Scan on intake_item" not in plan, plan
        assert re.search(r"Index (Only )?Scan using ix_intake_item_\w+", plan), plan
    # The next page costs what the first did (key-set, not offset).
    html = client.get("/staff/queue").get_data(as_text=True)
    next_url = re.search(r'href="(/staff/queue\?after=[^"]+)" rel="next"', html).group(1)
    with counted_queries() as statements:
        assert client.get(next_url).status_code == 200
    assert len(statements) <= MAX_QUERIES


def test_an_officer_who_owns_most_open_items_costs_the_queue_page_no_scan_of_them(app: Flask) -> None:
    # "My items (N)" in the navigation and the owner filter's choices run on every queue page:
    # neither may read every open item the officer owns.
    from sqlalchemy import func, select

    from portal.core.models import IntakeItem, ItemStatus
    from portal.triage import owners

    _generate_items(ITEMS)
    user = create_staff(Role.TRIAGE_OFFICER)
    db.session.execute(text("UPDATE intake_item SET assigned_to_id = :id WHERE status != 'closed'"), {"id": user.id})
    db.session.execute(text("ANALYZE intake_item"))
    db.session.commit()
    owned = db.session.scalar(select(func.count()).where(IntakeItem.assigned_to_id == user.id,
                                                        IntakeItem.status != ItemStatus.CLOSED))
    assert owned > 5_000
    assert owners.open_item_count(user.id) == owners.COUNT_CAP
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    page = client.get("/staff/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "My items (99+)" in page and f">{user.username}</option>" in page
    executed: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        executed.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        client.get("/staff/queue")
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    about_owners = [(statement, parameters) for statement, parameters in executed
                    if "assigned_to_id =" in statement and "intake_item.reference" not in statement]
    assert len(about_owners) == 2, [statement[:80] for statement, _ in about_owners]  # the count and the choices
    with db.engine.connect() as conn:
        for statement, parameters in about_owners:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())
            assert "Seq Scan on intake_item" not in plan, plan

"""A list view is one audit event naming the items it showed (their ids, not personal values),
and the audit log's filter by item still finds that event for each item listed: the sampling day
list and the queue alike."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import AuditEvent, AuditEventItem, staff_site
from portal.core.permissions import Role
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.helpers import get_page, text_of
from tests.support.staff import browser, create_appointment, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _signed_in(app: Flask, role: Role, username: str, **attrs: object):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=username, **attrs)
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return user, client


def _audit_rows(client, reference: str, headers: dict[str, str] = EN) -> list[str]:  # type: ignore[no-untyped-def]
    """The audit log filtered by `reference`: each row's text."""
    response, _parsed = get_page(client, f"/staff/audit?item={reference}", headers=headers)
    table = re.search(r'<tbody>(.*?)</tbody>', response.get_data(as_text=True), re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in table.split("<tr>")[1:]]


def test_a_day_list_is_one_audit_event_naming_its_bookings_and_the_filter_by_item_finds_it(app: Flask) -> None:
    site = create_site()
    slot = create_slot(site)
    items = [create_appointment(slot, applicant_name=name, applicant_phone=f"+86139001390{n:02d}",
                                attendee_id_number=number)
             for n, (name, number) in enumerate([("王秀英", "11010519491231002X"), ("李建国", "110105194912310029"),
                                                 ("张桂兰", "110105194912310045")])]
    desk_user, desk = _signed_in(app, Role.SITE_STAFF, "desk")
    db.session.execute(staff_site.insert().values(staff_user_id=desk_user.id, site_id=site.id))
    db.session.commit()
    day = slot.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    get_page(desk, f"/staff/sampling/sites/{site.id}/day?day={day.isoformat()}", headers=EN)

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_day_list")).all()
    assert event.item_id is None and event.actor_id == desk_user.id and event.fields == ["applicant_name"]
    assert sorted(event.changes["numbers"]["items"]) == sorted(item.id for item in items)
    assert event.changes["numbers"]["site_id"] == site.id
    stored = repr(db.session.execute(text("SELECT * FROM audit_event")).all())
    assert not any(name in stored for name in ("王秀英", "李建国", "张桂兰", "13900139000"))
    assert sorted(db.session.scalars(select(AuditEventItem.item_id).where(AuditEventItem.audit_event_id == event.id))) \
        == sorted(item.id for item in items)

    _supervisor, watcher = _signed_in(app, Role.SUPERVISOR, "watcher")
    for item in items:
        rows = [row for row in _audit_rows(watcher, item.reference.lower()) if "Opened the day list" in row]
        assert len(rows) == 1 and f"desk Opened the day list {item.reference} (one of 3 items listed)" in rows[0], rows
    unlisted = create_tip().reference
    assert not any("day list" in row for row in _audit_rows(watcher, unlisted))
    # Unfiltered, the event says how many items it listed; in Chinese too.
    everything = text_of(get_page(watcher, "/staff/audit?action=view_day_list", headers=EN)[0])
    assert "Opened the day list 3 items listed" in everything
    chinese = _audit_rows(watcher, items[0].reference, ZH)
    assert any(items[0].reference in row and "查看了当日名单" in row and "（列出的3条之一）" in row for row in chinese), chinese


def test_a_day_list_with_nobody_booked_writes_no_audit_event(app: Flask) -> None:
    site = create_site()
    desk_user, desk = _signed_in(app, Role.SITE_STAFF, "desk")
    db.session.execute(staff_site.insert().values(staff_user_id=desk_user.id, site_id=site.id))
    db.session.commit()
    get_page(desk, f"/staff/sampling/sites/{site.id}/day?day=2026-03-02", headers=EN)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_day_list")).all() == []


def test_the_filter_by_item_finds_the_queue_page_that_listed_it_and_only_that(app: Flask) -> None:
    shown = [create_tip(description=f"第{n}条线索：火车站有孩子乞讨").reference for n in range(3)]
    _officer, client = _signed_in(app, Role.TRIAGE_OFFICER, "officer")
    get_page(client, "/staff/queue", headers=EN)
    later = create_tip(description="后来的线索").reference  # not on the page the officer opened

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_queue")).all()
    assert len(event.changes["numbers"]["items"]) == 3
    _supervisor, watcher = _signed_in(app, Role.SUPERVISOR, "watcher")
    for reference in shown:
        rows = [row for row in _audit_rows(watcher, reference) if "Opened a page of the queue" in row]
        assert len(rows) == 1 and f"{reference} (one of 3 items listed)" in rows[0], rows
    assert not any("page of the queue" in row for row in _audit_rows(watcher, later))
    # The item's own events are still found: opening it, for one.
    get_page(client, f"/staff/items/{later}", headers=EN)
    assert any("officer Opened the item" in row
               for row in _audit_rows(watcher, later)), _audit_rows(watcher, later)


def test_an_unknown_or_mistyped_reference_finds_no_events(app: Flask) -> None:
    create_tip()
    _officer, client = _signed_in(app, Role.TRIAGE_OFFICER, "officer")
    get_page(client, "/staff/queue", headers=EN)
    _supervisor, watcher = _signed_in(app, Role.SUPERVISOR, "watcher")
    for typed in ("TY-0000-0000", "not a reference"):
        assert _audit_rows(watcher, typed) == ["No events match."]

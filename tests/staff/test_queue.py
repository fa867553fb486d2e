"""The staff queue and item pages: order, scope by role, and what each kind of item shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import Flask
from portal.core.extensions import db
from portal.core.models import ItemStatus, WorkingGroup, staff_site
from portal.core.permissions import Role

from tests.support.factories import create_kept_sms, create_site, create_slot, create_staff, create_tip
from tests.support.helpers import get_page, text_of
from tests.support.staff import browser, create_appointment, sign_in


def _signed_in(app: Flask, role: Role, **attrs: object):  # type: ignore[no-untyped-def]
    user = create_staff(role, **attrs)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _queue_references(client) -> list[str]:  # type: ignore[no-untyped-def]
    response, _page = get_page(client, "/staff/queue")
    table = response.get_data(as_text=True).split('<table class="staff-table">', 1)[-1]  # not the alert banner
    return re.findall(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', table)


def _received(receipt, when: datetime) -> str:  # type: ignore[no-untyped-def]
    item = receipt.tip.item
    item.received_at = when
    item.feedback_due_at = when + timedelta(days=7)
    db.session.commit()
    return item.reference


def test_urgent_tip_received_later_is_listed_above_older_normal_tips(app: Flask) -> None:
    now = datetime.now(timezone.utc)
    newer_normal = _received(create_tip(), now - timedelta(hours=1))
    older_normal = _received(create_tip(), now - timedelta(hours=5))
    urgent = _received(create_tip(child_in_danger=True), now - timedelta(minutes=1))
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    assert _queue_references(client) == [urgent, older_normal, newer_normal]


def test_queue_shows_priority_and_overdue_deadline_but_no_contact_details(app: Flask) -> None:
    now = datetime.now(timezone.utc)
    _received(create_tip(child_in_danger=True, contact_name="张三", contact_phone="+8613800138000"), now - timedelta(days=8))
    _, client = _signed_in(app, Role.SUPERVISOR)
    response, _page = get_page(client, "/staff/queue", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert 'class="tag tag-urgent">Urgent<' in html
    assert 'class="tag tag-overdue">Overdue by 24 hours<' in html
    assert "table-wrap" in html
    assert "张三" not in html and "8000" not in text_of(response).replace("2026", "")
    # Local time with date and weekday: 8 days ago in Asia/Shanghai.
    assert ("am" in text_of(response) or "pm" in text_of(response)) and "day" in text_of(response)


def test_closed_item_past_its_deadline_is_not_overdue(app: Flask) -> None:
    receipt = create_tip()
    _received(receipt, datetime.now(timezone.utc) - timedelta(days=9))
    receipt.tip.item.status = ItemStatus.CLOSED.value
    db.session.commit()
    _, client = _signed_in(app, Role.ADMIN)
    response, _page = get_page(client, "/staff/queue")
    assert "tag-overdue" not in response.get_data(as_text=True)


def test_queue_labels_are_translated(app: Flask) -> None:
    create_tip(child_in_danger=True)
    _, client = _signed_in(app, Role.ADMIN)
    page_text = text_of(get_page(client, "/staff/queue")[0])
    for words in ("待办队列", "剩余时间", "举报线索", "新收到", "紧急", "天后到期", "退出登录"):
        assert words in page_text


def test_group_member_sees_and_opens_only_their_groups_items(app: Flask) -> None:
    mine, theirs = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([mine, theirs])
    db.session.commit()
    own_tip, other_tip, unassigned = create_tip(), create_tip(), create_tip()
    own_tip.tip.item.working_group_id = mine.id
    other_tip.tip.item.working_group_id = theirs.id
    db.session.commit()
    _, client = _signed_in(app, Role.GROUP_MEMBER, working_group_id=mine.id)
    assert _queue_references(client) == [own_tip.reference]
    assert client.get(f"/staff/items/{own_tip.reference}").status_code == 200
    for reference in (other_tip.reference, unassigned.reference):
        assert client.get(f"/staff/items/{reference}").status_code == 404
        assert client.post(f"/staff/items/{reference}/status", data={}).status_code in (400, 404)


def test_out_of_scope_and_unknown_references_get_the_same_404(app: Flask) -> None:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    other = create_tip()
    _, client = _signed_in(app, Role.GROUP_MEMBER, working_group_id=group.id)
    hidden = client.get(f"/staff/items/{other.reference}")
    unknown = client.get("/staff/items/TY-2222-2222")
    garbage = client.get("/staff/items/not-a-reference")
    assert hidden.status_code == unknown.status_code == garbage.status_code == 404
    assert text_of(hidden) == text_of(unknown)  # the pages differ only in the language link back to them


def test_site_staff_see_their_sites_appointments_only(app: Flask) -> None:
    my_site = create_site(name="南通市公安局崇川分局")
    other_site = create_site(name="南通市公安局通州分局")
    mine = create_appointment(create_slot(my_site), applicant_name="李四", attendee_id_number="11010519491231002X")
    other = create_appointment(create_slot(other_site))
    tip = create_tip()
    user, client = _signed_in(app, Role.SITE_STAFF)
    db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=my_site.id))
    db.session.commit()
    assert _queue_references(client) == [mine.reference]
    response, _page = get_page(client, f"/staff/items/{mine.reference}")
    page_text = text_of(response)
    assert "李四" in page_text and "南通市公安局崇川分局" in page_text and "139 0013 9000" in page_text
    assert "002X" in page_text and "11010519491231002X" not in page_text
    assert client.get(f"/staff/items/{tip.reference}").status_code == 404
    assert client.get(f"/staff/items/{other.reference}").status_code == 404


def test_appointment_view_is_audited_with_the_fields_shown(app: Flask) -> None:
    from portal.core.models import AuditEvent
    from sqlalchemy import select

    item = create_appointment(create_slot(create_site()))
    user, client = _signed_in(app, Role.ADMIN)
    get_page(client, f"/staff/items/{item.reference}", headers={"Accept-Language": "en"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_item"))
    assert event.actor_id == user.id and event.item_id == item.id
    assert event.fields == ["applicant_name", "applicant_phone", "attendee_id_number_masked", "attendee_name", "attendee_phone"]


def test_sms_item_shows_the_message_with_the_sender_masked(app: Flask) -> None:
    item = create_kept_sms("你好，我想问一下采血", sid_digit="1")
    _, client = _signed_in(app, Role.TRIAGE_OFFICER)
    response, _page = get_page(client, f"/staff/items/{item.reference}")
    page_text = text_of(response)
    assert "你好，我想问一下采血" in page_text
    assert "8000" in page_text and "138 0013 8000" not in page_text and "13800138000" not in page_text


def test_references_are_accepted_in_any_case_and_spacing(app: Flask) -> None:
    receipt = create_tip()
    _, client = _signed_in(app, Role.ADMIN)
    typed = receipt.reference.lower().replace("-", " ")
    assert client.get(f"/staff/items/{typed}").status_code == 200

"""What a queue row says: a snippet (the matched words marked, on a search), the place, the owner,
the time left in words, the last activity and the unread markers; bookings left out of the lead
queue; the "needs attention" order page by page; a constant number of queries per page; and one
audited view per page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select
from portal.core.extensions import db
from portal.core.models import AuditEvent, Channel, InboundMessage, Priority, WorkingGroup
from portal.core.permissions import Role
from portal.core.security.crypto import lookup_hash
from portal.staff import queue

from tests.support.database import counted_queries
from tests.support.factories import create_kept_sms, create_site, create_slot, create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, create_appointment, sign_in

EN = {"Accept-Language": "en"}
LONG = ("我昨天下午在成都火车站东广场看到一个小孩被两个成年人强迫乞讨，孩子大约六岁，穿红色外套，"
        "说四川话，看起来很害怕，一直在哭。\n那两个大人一男一女，男的四十岁左右，女的三十多岁。")


def _signed_in(app: Flask, role: Role = Role.TRIAGE_OFFICER, **attrs):  # type: ignore[no-untyped-def]
    user = create_staff(role, **attrs)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _rows(client, url: str = "/staff/queue", headers: dict | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """{reference: the row's text} of the queue table, in order."""
    response, _page = get_page(client, url, headers=headers or EN)
    table = response.get_data(as_text=True).split('<table class="staff-table">', 1)[-1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        reference = re.search(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', row)
        if reference:
            found[reference.group(1)] = _words(row)
    return found


def _row_html(client, reference: str, url: str = "/staff/queue") -> str:  # type: ignore[no-untyped-def]
    html = client.get(url, headers=EN).get_data(as_text=True).split('<table class="staff-table">', 1)[-1]
    return next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if reference in row)


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _due_in(receipt, delta: timedelta) -> str:  # type: ignore[no-untyped-def]
    item = receipt.tip.item
    item.feedback_due_at = datetime.now(timezone.utc) + delta
    db.session.commit()
    return receipt.reference


def test_a_row_shows_snippet_place_category_channel_owner_and_group(app: Flask) -> None:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER, username="wang-wei", working_group_id=group.id)
    receipt = create_tip(description=LONG, channel=Channel.SMS)
    item = receipt.tip.item
    item.region_code, item.working_group_id, item.assigned_to_id = "320614", group.id, member.id
    db.session.commit()
    typed_place = create_tip(place="成都火车站东广场")
    typed_place.tip.item.region_code, typed_place.tip.item.region_text = None, "成都火车站东广场"
    _, client = _signed_in(app)
    row = _words(_row_html(client, receipt.reference))
    assert " ".join(LONG.split())[:60] + "…" in row and LONG not in row
    assert "江苏省南通市海门区" in row
    assert "Begging or made to work" in row or "beg" in row.lower()
    assert "SMS" in row
    assert "wang-wei" in row and "第一专班" in row
    other = _words(_row_html(client, typed_place.reference))
    assert "成都火车站东广场" in other and "Nobody yet" in other


def test_time_left_reads_due_in_due_within_24_hours_and_overdue_in_both_languages(app: Flask) -> None:
    later = _due_in(create_tip(), timedelta(days=3, minutes=5))
    soon = _due_in(create_tip(), timedelta(hours=5, minutes=5))
    late = _due_in(create_tip(), -timedelta(days=2, minutes=5))
    _, client = _signed_in(app)
    assert 'class="tag tag-later">Due in 3 days<' in _row_html(client, later)
    assert 'class="tag tag-soon">Due within 24 hours: in 5 hours<' in _row_html(client, soon)
    overdue_row = _row_html(client, late)
    assert 'class="tag tag-overdue">Overdue by 2 days<' in overdue_row and 'class="row-overdue"' in overdue_row
    chinese = client.get("/staff/queue", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    for words in ("3天后到期", "24小时内到期：还剩5小时", "已超期2天"):
        assert words in chinese


def test_last_activity_and_unread_markers(app: Flask) -> None:
    replied, noted, fresh = create_tip(), create_tip(), create_tip()
    for receipt in (replied, noted, fresh):
        receipt.tip.item.received_at = datetime.now(timezone.utc) - timedelta(days=1)
    replied.tip.item.tipster_replied_at = datetime.now(timezone.utc) - timedelta(hours=2)
    db.session.commit()
    _, client = _signed_in(app)
    page = client.get(f"/staff/items/{noted.reference}").get_data(as_text=True)
    assert client.post(f"/staff/items/{noted.reference}/notes",
                       data={"csrf_token": csrf_token(page), "note": "已电话联系车站派出所"}).status_code == 303
    replied_row, noted_row, fresh_row = (_words(_row_html(client, r.reference)) for r in (replied, noted, fresh))
    assert "Tipster replied 2 hours ago" in replied_row and "Tipster replied" in replied_row
    assert "Note just now" in noted_row  # under a minute: "just now", not "0 seconds ago"
    assert "Received " in fresh_row
    # Opened by nobody: marked; opened (the note's author opened it): not.
    assert "Not opened by anyone yet" in fresh_row and "Not opened by anyone yet" in replied_row
    assert "Not opened by anyone yet" not in noted_row
    # The note's words never reach the queue.
    assert "派出所" not in client.get("/staff/queue").get_data(as_text=True)


def test_search_shows_the_matched_words_marked_and_escaped(app: Flask) -> None:
    tip = create_tip(description="开头一段很长的话，" * 8 + "<b>火车站</b>旁边有个孩子 & 一个男人")
    sms = create_kept_sms("请问南通火车站附近有采血点吗", sid_digit="5")
    _, client = _signed_in(app)
    tip_row = _row_html(client, tip.reference, "/staff/queue?q=火车站")
    assert "&lt;b&gt;<mark>火车站</mark>&lt;/b&gt;" in tip_row and "<b>" not in tip_row
    assert "&amp;" in tip_row and tip_row.count("<mark>") == 1
    assert "…" in tip_row  # the window starts inside the long description
    assert "请问南通<mark>火车站</mark>附近有采血点吗" in _row_html(client, sms.reference, "/staff/queue?q=火车站")
    # Without a search nothing is marked.
    assert "<mark>" not in client.get("/staff/queue").get_data(as_text=True)


def test_bookings_are_not_in_the_lead_queue_unless_asked_for(app: Flask) -> None:
    booking = create_appointment(create_slot(create_site()))
    tip = create_tip()
    _, client = _signed_in(app, Role.ADMIN)
    assert list(_rows(client)) == [tip.reference]
    assert list(_rows(client, "/staff/queue?kind=appointment")) == [booking.reference]
    assert sorted(_rows(client, "/staff/queue?kind=all")) == sorted([tip.reference, booking.reference])


def test_needs_attention_order_is_the_default_and_pages_follow_it(app: Flask) -> None:
    far = _due_in(create_tip(), timedelta(days=6))
    nearly_due = _due_in(create_tip(), timedelta(hours=2))
    high = create_tip()
    high.tip.item.priority = Priority.HIGH
    high_ref = _due_in(high, timedelta(days=4))
    replied = create_tip()
    replied.tip.item.tipster_replied_at = datetime.now(timezone.utc)
    replied_ref = _due_in(replied, timedelta(days=5))
    urgent = _due_in(create_tip(child_in_danger=True), timedelta(days=7))
    overdue = _due_in(create_tip(), -timedelta(hours=3))
    expected = [urgent, replied_ref, overdue, nearly_due, high_ref, far]
    _, client = _signed_in(app)
    assert list(_rows(client)) == expected
    original = queue.PAGE_SIZE
    seen: list[str] = []
    try:
        queue.PAGE_SIZE = 4
        url = "/staff/queue"
        while url:
            html = client.get(url).get_data(as_text=True)
            seen += list(_rows(client, url))
            following = re.search(r'href="(/staff/queue\?after=[^"]+)" rel="next"', html)
            url = following.group(1).replace("&amp;", "&") if following else ""
        # The other order pages by its own key; a key of one order is not read as the other's.
        html = client.get("/staff/queue?sort=priority").get_data(as_text=True)
        priority_next = re.search(r'href="(/staff/queue\?after=[^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
        assert list(_rows(client, priority_next))  # the priority order's second page
        cursor = priority_next.split("after=")[1].split("&")[0]
        assert list(_rows(client, f"/staff/queue?after={cursor}")) == expected[:4]  # ignored: first page
    finally:
        queue.PAGE_SIZE = original
    assert seen == expected
    assert list(_rows(client, "/staff/queue?sort=priority")) == [urgent, high_ref, far, nearly_due, replied_ref, overdue]


def _busy_items(numbers: range, group: WorkingGroup, owner_id: int) -> None:
    """Items numbered `numbers` with owners, groups, notes' audit events, replies and SMS messages."""
    for n in numbers:
        receipt = create_tip(channel=Channel.SMS if n % 2 else Channel.WEB, child_in_danger=(n % 5 == 0))
        item = receipt.tip.item
        item.working_group_id, item.assigned_to_id = group.id, owner_id
        item.region_code = "320614" if n % 3 else None
        item.tipster_replied_at = datetime.now(timezone.utc) if n % 4 == 0 else None
        db.session.add(AuditEvent(action="add_note", actor_id=owner_id, item_id=item.id))
        db.session.add(InboundMessage(provider_message_id=f"SM{n:032d}", from_phone="+8613800138000",
                                      from_phone_hash=lookup_hash("+8613800138000", "phone"),
                                      body=f"第{n}条短信", item_id=item.id))
    db.session.commit()


def test_a_page_costs_the_same_number_of_queries_whatever_it_holds(app: Flask) -> None:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    owner = create_staff(Role.GROUP_MEMBER, username="li-na", working_group_id=group.id)
    _busy_items(range(2), group, owner.id)
    _, client = _signed_in(app)
    counts = []
    for more in (range(0), range(2, 20)):
        _busy_items(more, group, owner.id)
        with counted_queries() as statements:
            assert client.get("/staff/queue").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], "\n".join(statements)


def test_each_queue_page_is_one_audited_view_listing_the_items_shown(app: Flask) -> None:
    tips = [create_tip() for _ in range(3)]
    tips[0].tip.item.region_code, tips[0].tip.item.region_text = None, "南通市崇川区"
    db.session.commit()
    user, client = _signed_in(app)
    original = queue.PAGE_SIZE
    try:
        queue.PAGE_SIZE = 2
        html = client.get("/staff/queue").get_data(as_text=True)
        following = re.search(r'href="(/staff/queue\?after=[^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
        client.get(following)
    finally:
        queue.PAGE_SIZE = original
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_queue").order_by(AuditEvent.id)))
    assert len(events) == 2
    listed = [event.changes["numbers"]["items"] for event in events]
    assert sorted(listed[0] + listed[1]) == sorted(t.tip.item_id for t in tips)
    assert all(event.actor_id == user.id and event.item_id is None for event in events)
    assert "description" in events[0].fields
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_item")).first()
    # An empty queue shows nothing personal and records nothing.
    client.get("/staff/queue?q=飞机场")
    assert db.session.query(AuditEvent).filter_by(action="view_queue").count() == 2
    assert "南通市崇川区" in text_of(client.get("/staff/queue"))

"""The queue's filters, Chinese text search, key-set pages, overdue deadlines (tests move the
clock), and urgent tips alerting the officers on duty."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select
from portal.core.extensions import db
from portal.core.models import Channel, OutboundMessage, UrgentAlert, WorkingGroup
from portal.core.permissions import Role
from portal.staff.queue import decode_cursor

from tests.support.factories import create_kept_sms, create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, control_clock, sign_in

DAY0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def _signed_in(app: Flask, role: Role = Role.TRIAGE_OFFICER, **attrs):  # type: ignore[no-untyped-def]
    user = create_staff(role, **attrs)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _listed(client, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    response, _page = get_page(client, "/staff/queue" + query)
    table = response.get_data(as_text=True).split('<table class="staff-table">', 1)
    return re.findall(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', table[1]) if len(table) > 1 else []


def test_search_finds_chinese_words_inside_a_longer_sentence(app: Flask) -> None:
    station = create_tip(description="我昨天在成都火车站看到一个小孩被成年人强迫乞讨")
    create_tip(description="我在菜市场看到一个小孩一个人哭")
    sms = create_kept_sms("请问南通火车站附近有采血点吗", sid_digit="7")
    _, client = _signed_in(app)
    assert sorted(_listed(client, "?q=火车站")) == sorted([station.reference, sms.reference])
    assert _listed(client, "?q=成都火车站") == [station.reference]
    assert _listed(client, "?q=小孩") .__len__() == 2  # two characters: the plain scan
    assert _listed(client, "?q=飞机场") == []
    assert _listed(client, "?q=" + station.reference.lower()) == [station.reference]
    # Characters that mean something to LIKE or FTS5 are only text.
    assert _listed(client, '?q=%25"_*') == []


def test_filters_narrow_the_queue(app: Flask) -> None:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    web = create_tip(place="四川省成都市")
    sms = create_tip(channel=Channel.SMS, child_in_danger=True, place="江苏省南通市")
    web.tip.item.working_group_id = group.id
    db.session.commit()
    user, client = _signed_in(app)
    assert _listed(client, "?channel=sms") == [sms.reference]
    assert _listed(client, "?priority=0") == [sms.reference]
    assert _listed(client, f"?group={group.id}") == [web.reference]
    assert _listed(client, "?region=成都") == [web.reference]
    assert _listed(client, "?kind=appointment") == []
    assert _listed(client, "?mine=y") == []
    web.tip.item.assigned_to_id = user.id
    db.session.commit()
    assert _listed(client, "?mine=y") == [web.reference]
    today = datetime.now(timezone.utc).date()
    assert len(_listed(client, f"?received_from={today - timedelta(days=1)}&received_to={today + timedelta(days=1)}")) == 2
    assert _listed(client, f"?received_to={today - timedelta(days=3)}") == []
    bad = client.get("/staff/queue?received_from=not-a-date", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "Enter a date, like 2026-12-03" in text_of(bad)


def test_pages_follow_by_key_in_priority_then_age_order(app: Flask) -> None:
    made = []
    for n in range(7):
        receipt = create_tip(child_in_danger=(n == 6))
        receipt.tip.item.received_at = DAY0 + timedelta(hours=n)
        made.append(receipt.reference)
    db.session.commit()
    expected = [made[6]] + made[:6]
    from portal.staff import queue

    _, client = _signed_in(app)
    original = queue.PAGE_SIZE
    seen: list[str] = []
    try:
        queue.PAGE_SIZE = 3
        url = "/staff/queue"
        while True:
            response = client.get(url)
            html = response.get_data(as_text=True).split('<table class="staff-table">', 1)[1]
            seen += re.findall(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', html)
            following = re.search(r'href="(/staff/queue\?after=[^"]+)" rel="next"', html)
            if not following:
                break
            url = following.group(1).replace("&amp;", "&")
    finally:
        queue.PAGE_SIZE = original
    assert seen == expected
    assert decode_cursor("garbage") is None
    assert client.get("/staff/queue?after=garbage").status_code == 200


def test_a_tip_received_on_day_0_and_not_answered_is_overdue_on_day_8(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch, DAY0)
    monkeypatch.setattr("portal.tips.service.utcnow", lambda: clock.now)
    receipt = create_tip()
    item = receipt.tip.item
    item.received_at = DAY0
    item.feedback_due_at = DAY0 + timedelta(days=7)
    db.session.commit()
    clock.advance(days=1)
    _, client = _signed_in(app, Role.SUPERVISOR)
    assert _listed(client, "?overdue=y") == []
    assert "tag-overdue" not in client.get(f"/staff/items/{receipt.reference}").get_data(as_text=True)
    clock.advance(days=7)  # day 8 (signed in again: a day idle ends any session)
    client = browser(app)
    sign_in(client, "supervisor-user")
    assert _listed(client, "?overdue=y") == [receipt.reference]
    html = client.get("/staff/queue").get_data(as_text=True)
    assert 'class="row-overdue"' in html and "tag-overdue" in html
    assert "tag-overdue" in client.get(f"/staff/items/{receipt.reference}").get_data(as_text=True)
    dashboard = text_of(client.get("/staff/dashboard", headers={"Accept-Language": "en"}))
    assert "1 open items are past their feedback deadline" in dashboard


def test_feedback_deadline_follows_the_setting(app_factory, app: Flask) -> None:  # type: ignore[no-untyped-def]
    ten_days = app_factory(feedback_deadline_days=10)
    with ten_days.app_context():
        receipt = create_tip(deadline_days=ten_days.config["SETTINGS"].feedback_deadline_days)
        item = receipt.tip.item
        assert item.feedback_due_at - item.received_at == timedelta(days=10)


def test_an_urgent_tip_texts_every_duty_number_and_shows_a_banner_until_acknowledged(app_factory, app: Flask) -> None:  # type: ignore[no-untyped-def]
    duty = app_factory(duty_phone_numbers=("+8613800138001", "+8613800138002"))
    with duty.app_context():
        urgent = create_tip(child_in_danger=True, description="孩子被拖上一辆面包车")
        create_tip()  # a normal tip alerts nobody
        messages = list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "duty_alert")))
        assert sorted(m.to_phone for m in messages) == ["+8613800138001", "+8613800138002"]
        assert all(urgent.reference in m.body and "面包车" not in m.body for m in messages)
        assert all(m.item_id == urgent.tip.item_id and m.status == "queued" for m in messages)
    user = create_staff(Role.TRIAGE_OFFICER)
    supervisor = create_staff(Role.SUPERVISOR)
    client, watcher = browser(duty), browser(duty)
    sign_in(client, user.username)
    sign_in(watcher, supervisor.username)
    for page in ("/staff/queue", "/staff/account", f"/staff/items/{urgent.reference}"):
        html = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "urgent-banner" in html and urgent.reference in html, page
    watcher_html = watcher.get("/staff/queue").get_data(as_text=True)
    assert "urgent-banner" in watcher_html and "/acknowledge" not in watcher_html  # supervisors see, cannot act
    alert = db.session.scalar(select(UrgentAlert))
    token = csrf_token(client.get("/staff/queue").get_data(as_text=True))
    assert client.post(f"/staff/alerts/{alert.id}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert "urgent-banner" not in client.get("/staff/queue").get_data(as_text=True)
    assert "urgent-banner" not in watcher.get("/staff/queue").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(UrgentAlert, alert.id).acknowledged_by_id == user.id


def test_priority_rules(app: Flask) -> None:
    from portal.core.models import Priority, TipCategory
    from portal.triage.priority import TipSignals, tip_priority

    now = DAY0
    base = dict(category=TipCategory.BEGGING_OR_EXPLOITED.value, description="我在成都火车站看到一个小孩被强迫乞讨", now=now)
    assert tip_priority(TipSignals(child_in_danger=True, **base)) is Priority.URGENT
    serious = dict(base, category=TipCategory.ABDUCTED_OR_TRAFFICKED.value)
    assert tip_priority(TipSignals(child_in_danger=False, seen_when="今天下午三点", **serious)) is Priority.HIGH
    assert tip_priority(TipSignals(child_in_danger=False, seen_at=now - timedelta(hours=5), **serious)) is Priority.HIGH
    assert tip_priority(TipSignals(child_in_danger=False, seen_at=now - timedelta(days=30), **serious)) is Priority.NORMAL
    assert tip_priority(TipSignals(child_in_danger=False, **base)) is Priority.NORMAL
    assert tip_priority(TipSignals(child_in_danger=False, **dict(base, description="有个小孩"))) is Priority.LOW
    # Through create_tip, as the web form and the SMS hotline call it.
    assert create_tip(category=TipCategory.KNOWN_MISSING_CHILD, seen_when="just now").tip.item.priority == Priority.HIGH


def test_filters_that_match_nothing_say_so_with_a_clear_filters_link_not_that_the_queue_is_empty(app: Flask) -> None:
    create_tip(description="我在菜市场看到一个小孩一个人哭")
    _user, client = _signed_in(app)
    for language, nothing, empty in (("en", "No items match these filters.", "There is nothing in the queue for you."),
                                     ("zh", "没有符合这些筛选条件的记录。", "您的待办队列中暂无事项")):
        headers = {"Accept-Language": language}
        html = client.get("/staff/queue?q=火车站&channel=web", headers=headers).get_data(as_text=True)
        assert nothing in html and empty not in html
        assert '<a href="/staff/queue">' + ("Clear filters" if language == "en" else "清除筛选") in html.split(nothing)[1]
        # "My items" with filters: clearing keeps the page.
        mine = client.get("/staff/queue?mine=y&q=火车站", headers=headers).get_data(as_text=True)
        assert nothing in mine and '<a href="/staff/queue?mine=y">' in mine.split(nothing)[1]
        # No filter at all, nothing of one's own: the queue is empty for this person.
        plain = client.get("/staff/queue?mine=y", headers=headers).get_data(as_text=True)
        assert nothing not in plain and empty in plain


def test_a_group_members_filters_name_only_their_group_and_its_people(app: Flask) -> None:
    ours, theirs = WorkingGroup(name="崇川专班"), WorkingGroup(name="海门专班")
    db.session.add_all([ours, theirs])
    db.session.commit()
    create_staff(Role.GROUP_MEMBER, username="colleague-ours", working_group_id=ours.id)
    create_staff(Role.GROUP_MEMBER, username="member-theirs", working_group_id=theirs.id)
    officer = create_staff(Role.TRIAGE_OFFICER, username="officer-owner")
    create_staff(Role.TRIAGE_OFFICER, username="officer-idle")
    item = create_tip().tip.item
    item.working_group_id, item.assigned_to_id = ours.id, officer.id
    db.session.commit()

    _user, client = _signed_in(app, Role.GROUP_MEMBER, working_group_id=ours.id)
    page = client.get("/staff/queue").get_data(as_text=True)
    group_options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page.split('name="group"')[1].split("</select>")[0])
    owner_options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page.split('name="owner"')[1].split("</select>")[0])

    assert group_options == ["崇川专班"]
    # The group's members, and whoever owns one of its open items; nobody else is named.
    assert "colleague-ours" in owner_options and "officer-owner" in owner_options
    assert "member-theirs" not in page and "海门专班" not in page and "officer-idle" not in page


def test_a_kept_sms_row_names_its_kind_once_not_sms_twice(app: Flask) -> None:
    create_kept_sms("请问采血点在哪里", sid_digit="8")
    _user, client = _signed_in(app)

    zh = text_of(client.get("/staff/queue", headers={"Accept-Language": "zh-CN"}))
    en = text_of(client.get("/staff/queue", headers={"Accept-Language": "en"}))

    assert "短信 · 短信" not in zh and "短信" in zh
    assert "SMS message · SMS" not in en and "SMS message" in en

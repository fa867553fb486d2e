"""The urgent banner on every staff page: one line per urgent item nobody has in hand, saying why
it is urgent and how long it has waited; gone once the item is accepted, owned, merged, closed
or no longer urgent; at most three lines; and the item page names who acknowledged the alert."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from datetime import datetime, timedelta, timezone

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.i18n import time_ago
from portal.core.models import AuditEvent, Channel, IntakeItem, Priority, Tip, UrgentAlert, WorkingGroup
from portal.core.permissions import Role
from portal.hotline.danger import first_danger_word
from portal.triage import workflow
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page
from tests.support.sms import sms_params, signed_post
from tests.support.staff import browser, control_clock, sign_in

DAY0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def _banner(client, language: str = "en", page: str = "/staff/account") -> str:  # type: ignore[no-untyped-def]
    """The banner's text on `page` ("" when the page has none)."""
    response, _parsed = get_page(client, page, headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    found = re.search(r'<section class="urgent-banner".*?</section>', html, re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


def _urgent(**overrides: object) -> str:
    return create_tip(child_in_danger=True, description="孩子被拖上一辆面包车", **overrides).reference


def _officer(app: Flask, role: Role = Role.TRIAGE_OFFICER):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=f"{role.value}-{uuid.uuid4().hex[:8]}")
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _item(reference: str) -> IntakeItem:
    return db.session.scalars(select(IntakeItem).where(IntakeItem.reference == reference)).one()


def test_accepted_downgraded_merged_closed_and_owned_urgent_items_leave_the_banner(app: Flask) -> None:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    officer, client = _officer(app)
    waiting, triaged, accepted, downgraded, merged, closed, owned = (_urgent() for _ in range(7))
    assert len(set(re.findall(r"TY-[0-9A-Z]{4}-[0-9A-Z]{4}", _banner(client)))) == 3  # seven: three lines
    assert "and 4 more urgent items" in _banner(client)

    workflow.move(_item(triaged), expected="new", target=workflow.S.TRIAGED, actor_id=officer.id)
    workflow.move(_item(accepted), expected="new", target=workflow.S.TRIAGED, actor_id=officer.id)
    workflow.move(_item(accepted), expected="triaged", target=workflow.S.ASSIGNED, actor_id=officer.id,
                  working_group_id=group.id)
    workflow.change_priority(_item(downgraded), priority=Priority.HIGH, reason="已核实，儿童安全", actor_id=officer.id)
    workflow.merge(_item(merged), _item(waiting), expected="new", actor_id=officer.id)
    workflow.move(_item(closed), expected="new", target=workflow.S.CLOSED, actor_id=officer.id,
                  outcome=workflow.Outcome.NOT_SUBSTANTIATED)
    workflow.take(_item(owned), actor_id=officer.id)
    db.session.commit()

    banner = _banner(client)
    shown = set(re.findall(r"TY-[0-9A-Z]{4}-[0-9A-Z]{4}", banner))
    assert shown == {waiting, triaged}, banner
    assert "more urgent" not in banner
    # Everyone's banner: a supervisor's too, on any staff page.
    _supervisor, watcher = _officer(app, Role.SUPERVISOR)
    assert set(re.findall(r"TY-[0-9A-Z]{4}-[0-9A-Z]{4}", _banner(watcher, page="/staff/queue"))) == {waiting, triaged}


def test_a_line_says_why_the_item_is_urgent_and_how_long_ago_it_came_in(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch, DAY0)
    in_danger = _urgent()
    clock.advance(minutes=20)
    # An SMS tip with a danger word, whose sender then answers "2" (no child in danger now).
    phone = app.test_client()
    for body in ("举报 有人在超市门口拿着刀抱走一个孩子", "2"):
        assert signed_post(phone, sms_params(body, message_sid="SM" + uuid.uuid4().hex)).status_code == 200
    sms_tip = db.session.scalars(select(Tip).where(Tip.item.has(channel=Channel.SMS))).one()
    assert sms_tip.item.priority == Priority.URGENT and not sms_tip.child_in_danger
    assert db.session.scalars(select(UrgentAlert).where(UrgentAlert.item_id == sms_tip.item_id)).one().danger_word == "刀"
    clock.advance(minutes=12)
    _officer_user, client = _officer(app)

    english = _banner(client, "en")
    assert f"{in_danger} 32 minutes ago The tipster says a child is in danger now" in " ".join(english.split())
    assert (f'{sms_tip.item.reference} 12 minutes ago Danger word "刀" (the tipster did not say a child is in danger)'
            in " ".join(english.split()))
    chinese = " ".join(_banner(client, "zh").split())
    assert f"{in_danger} 32分钟前 举报人称儿童正处于危险中" in chinese
    assert f"{sms_tip.item.reference} 12分钟前 含危险词“刀”（举报人未称儿童有危险）" in chinese
    clock.advance(hours=2, minutes=3)  # a fresh sign-in: the first session has been idle too long
    assert f"{in_danger} 3 hours ago" in " ".join(_banner(_officer(app)[1], "en").split())
    clock.advance(days=1)
    assert f"{in_danger} 27 hours ago" in " ".join(_banner(_officer(app)[1], "en").split())
    assert f"{in_danger} 27小时前" in " ".join(_banner(_officer(app)[1], "zh").split())


def test_the_first_danger_word_in_the_text_is_the_one_kept() -> None:
    assert first_danger_word("有人拿着刀抱走孩子") == "刀"
    assert first_danger_word("They GRABBED the boy, he had a knife") == "grabbed"
    assert first_danger_word("孩子在哭，我看到一把 ｋｎｉｆｅ ，被打了") == "knife"
    assert first_danger_word("一个小孩在公园玩") is None


def test_more_than_three_urgent_items_show_three_lines_and_link_to_the_urgent_queue(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch, DAY0)
    references = []
    for _ in range(5):
        references.append(_urgent())
        clock.advance(minutes=1)
    _user, client = _officer(app)
    response, _parsed = get_page(client, "/staff/account", headers={"Accept-Language": "zh"})
    html = response.get_data(as_text=True)
    banner = re.search(r'<section class="urgent-banner".*?</section>', html, re.S).group(0)
    # The three that have waited longest, oldest first.
    assert re.findall(r'href="/staff/items/(TY-[0-9A-Z-]+)"', banner) == references[:3]
    assert '<a href="/staff/queue?priority=0">另有2条紧急线索</a>' in banner


def test_the_item_page_names_who_acknowledged_the_alert_and_when(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, DAY0)
    reference = _urgent()
    officer, client = _officer(app)
    page = client.get(f"/staff/items/{reference}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "acknowledged by" not in page
    alert = db.session.scalar(select(UrgentAlert))
    token = csrf_token(page)
    assert client.post(f"/staff/alerts/{alert.id}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert _banner(client) == ""

    _supervisor, watcher = _officer(app, Role.SUPERVISOR)
    english = " ".join(get_page(watcher, f"/staff/items/{reference}", headers={"Accept-Language": "en"})[0]
                       .get_data(as_text=True).split())
    assert f"Urgent alert acknowledged by {officer.username} on Monday 2 March 2026, 10:00am" in english
    chinese = " ".join(get_page(watcher, f"/staff/items/{reference}", headers={"Accept-Language": "zh"})[0]
                       .get_data(as_text=True).split())
    assert f"紧急提醒由{officer.username}于2026年3月2日（星期一）上午10:00确认" in chinese


def test_ill_handle_it_makes_the_acknowledging_officer_the_owner_of_an_item_nobody_owns(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, DAY0)
    reference = _urgent()
    officer, client = _officer(app)
    page = client.get(f"/staff/items/{reference}").get_data(as_text=True)
    alert = db.session.scalar(select(UrgentAlert))
    assert client.post(f"/staff/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf_token(page)}).status_code == 303
    db.session.expire_all()
    item = db.session.scalar(select(IntakeItem).where(IntakeItem.reference == reference))
    assert item.assigned_to_id == officer.id
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.item_id == item.id, AuditEvent.action == "take_item"))


def test_a_danger_word_tip_not_yet_answered_says_so_in_the_banner_and_the_live_json_and_answered_no_says_no(
        app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, DAY0)
    phone = app.test_client()
    assert signed_post(phone, sms_params("举报 孩子现在有危险！", message_sid="SM" + uuid.uuid4().hex)).status_code == 200
    sms_tip = db.session.scalars(select(Tip)).one()
    # Not asked yet: neither yes nor no.
    assert sms_tip.item.priority == Priority.URGENT and sms_tip.child_in_danger is None
    reference = sms_tip.item.reference
    _officer_user, client = _officer(app)
    not_answered = 'Danger word "危险" (the tipster has not yet answered whether a child is in danger)'
    assert not_answered in " ".join(_banner(client, "en").split())
    assert "含危险词“危险”（举报人尚未回答孩子此刻是否有危险）" in " ".join(_banner(client, "zh").split())
    assert "未称儿童有危险" not in _banner(client, "zh")
    live = client.get("/staff/alerts/latest", headers={"Accept-Language": "en"}).get_json()
    assert [(line["reference"], line["reason"]) for line in live["lines"]] == [(reference, not_answered)]
    item_page = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", get_page(
        client, f"/staff/items/{reference}", headers={"Accept-Language": "en"})[0].get_data(as_text=True))).split())
    assert "Child in danger now Not answered yet" in item_page

    # The sender answers "2": no child in danger now. Only then does the banner say so.
    assert signed_post(phone, sms_params("2", message_sid="SM" + uuid.uuid4().hex)).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(Tip)).one().child_in_danger is False
    answered_no = 'Danger word "危险" (the tipster did not say a child is in danger)'
    assert answered_no in " ".join(_banner(client, "en").split())
    assert "含危险词“危险”（举报人未称儿童有危险）" in " ".join(_banner(client, "zh").split())
    live = client.get("/staff/alerts/latest", headers={"Accept-Language": "en"}).get_json()
    assert [line["reason"] for line in live["lines"]] == [answered_no]


def test_time_ago_reads_just_now_under_a_minute_and_never_shows_seconds(app: Flask) -> None:
    with app.test_request_context(), force_locale("zh"):
        assert [time_ago(timedelta(seconds=s)) for s in (-5, 0, 59)] == ["刚刚"] * 3
        assert time_ago(timedelta(seconds=93)) == "2分钟前" and time_ago(timedelta(minutes=1)) == "1分钟前"
        assert time_ago(timedelta(hours=3, minutes=5)) == "3小时前"
    with app.test_request_context(), force_locale("en"):
        assert time_ago(timedelta(seconds=0)) == "just now"
        assert [time_ago(timedelta(seconds=s)) for s in (60, 94, 119, 125)] == [
            "1 minute ago", "2 minutes ago", "2 minutes ago", "2 minutes ago"]
        assert time_ago(timedelta(days=3, hours=4)) == "3 days ago"

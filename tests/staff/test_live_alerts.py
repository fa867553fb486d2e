"""Live urgent alerts: the JSON an open staff page polls (`GET /staff/alerts/latest`) gives the
banner and the urgent items that came in after the page was drawn, in the viewer's language,
with references, times and reasons only, never cached; it is for the accounts that may take an
urgent item in hand, scoped like the banner; and polling it does not keep an abandoned console
signed in. (In a real Chromium: tests/browser/test_live_alerts.py.)"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import IntakeItem, StaffSession, UrgentAlert, WorkingGroup
from portal.core.permissions import Role
from portal.staff.queue import visible_items_filter
from portal.triage import alerts
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import get_page
from tests.support.sms import SENDER, sms_params, signed_post
from tests.support.staff import browser, control_clock, sign_in

DAY0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _signed_in(app: Flask, role: Role = Role.TRIAGE_OFFICER):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=f"{role.value}-{uuid.uuid4().hex[:6]}")
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _page_after(client) -> int:  # type: ignore[no-untyped-def]
    """The newest alert a staff page was drawn with (its `data-after`)."""
    html = get_page(client, "/staff/account", headers=EN)[0].get_data(as_text=True)
    return int(re.search(r'data-after="(\d+)"', html).group(1))


def test_the_answer_gives_the_banner_and_announces_only_what_came_in_after_the_page(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch, DAY0)
    first = create_tip(child_in_danger=True, description="孩子被拖上一辆面包车").reference
    _officer, client = _signed_in(app)
    after = _page_after(client)
    assert after == db.session.scalar(select(func.max(UrgentAlert.id)))
    clock.advance(minutes=5)
    # A new urgent SMS tip through the signed webhook: a danger word, the sender answering "2".
    phone = app.test_client()
    for body in ("举报 有人在超市门口拿着刀抱走一个孩子", "2"):
        assert signed_post(phone, sms_params(body)).status_code == 200
    sms_reference = db.session.scalar(select(IntakeItem.reference).where(IntakeItem.channel == "sms"))
    clock.advance(minutes=2)

    response = client.get(f"/staff/alerts/latest?after={after}", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["total"] == 2 and data["title"] == "Urgent, nobody has it in hand yet" and data["more"] is None
    assert [(line["reference"], line["waited"], line["reason"]) for line in data["lines"]] == [
        (first, "7 minutes ago", "The tipster says a child is in danger now"),
        (sms_reference, "2 minutes ago", 'Danger word "刀" (the tipster did not say a child is in danger)')]
    assert data["lines"][0]["url"] == f"/staff/items/{first}" and data["acknowledge_label"] == "I'll handle it"
    assert data["new"]["count"] == 1 and data["new"]["text"] == "New urgent item since this page opened:"
    assert data["new"]["title_prefix"] == "(1) Urgent · "  # for the tab's title
    [new] = data["new"]["lines"]
    assert new["reference"] == sms_reference and new["url"] == f"/staff/items/{sms_reference}"
    alert_id = db.session.scalar(select(UrgentAlert.id).where(UrgentAlert.item.has(reference=sms_reference)))
    assert new["acknowledge_url"] == f"/staff/alerts/{alert_id}/acknowledge"
    # References, times and reasons only: not the tip's words, not the sender's number.
    raw = response.get_data(as_text=True).encode().decode("unicode_escape")
    assert "超市" not in raw and SENDER[-8:] not in raw and "面包车" not in raw
    # A page drawn now has seen the new alert: nothing is new for it.
    assert client.get(f"/staff/alerts/latest?after={_page_after(client)}").get_json()["new"] == {
        "count": 0, "text": "", "lines": [], "title_prefix": ""}


def test_the_answer_is_in_the_viewers_language(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, DAY0)
    for _ in range(5):
        create_tip(child_in_danger=True)
    _officer, client = _signed_in(app)
    data = client.get("/staff/alerts/latest?after=0", headers=ZH).get_json()
    assert data["title"] == "紧急线索，尚无人处理" and data["acknowledge_label"]
    assert data["more"] == {"text": "另有2条紧急线索", "url": "/staff/queue?priority=0"}
    assert data["lines"][0]["reason"] == "举报人称儿童正处于危险中" and data["lines"][0]["waited"] == "刚刚"
    assert data["new"]["count"] == 5 and data["new"]["text"] == "打开本页后新来5条紧急线索："
    assert data["new"]["title_prefix"] == "（5）紧急线索·"
    assert len(data["new"]["lines"]) == 3  # the newest three


@pytest.mark.parametrize("after", ["", "abc", "-1", "0", "99999999999999", "1.5"])
def test_a_missing_or_damaged_after_counts_every_item_as_new(app: Flask, after: str) -> None:
    create_tip(child_in_danger=True)
    _officer, client = _signed_in(app)
    response = client.get(f"/staff/alerts/latest?after={after}")
    assert response.status_code == 200 and response.get_json()["new"]["count"] == 1


def test_the_banner_and_its_news_are_scoped_like_the_banner(app: Flask) -> None:
    first, second = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([first, second])
    db.session.commit()
    ours = create_tip(child_in_danger=True).tip.item
    theirs = create_tip(child_in_danger=True).tip.item
    ours.working_group_id, theirs.working_group_id = first.id, second.id
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER, username="member", working_group_id=first.id)
    now = datetime.now(timezone.utc)
    mine = alerts.raised_after(visible_items_filter(member), 0, now)
    assert [line.reference for line in mine.lines] == [ours.reference] and mine.total == 1
    assert [line.reference for line in alerts.banner(visible_items_filter(member), now).lines] == [ours.reference]
    officer = create_staff(Role.TRIAGE_OFFICER, username="officer")
    assert alerts.raised_after(visible_items_filter(officer), 0, now).total == 2


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.GROUP_MEMBER, Role.SITE_STAFF])
def test_accounts_that_cannot_take_urgent_items_in_hand_are_refused_and_their_pages_do_not_poll(app: Flask, role: Role) -> None:
    create_tip(child_in_danger=True)
    _user, client = _signed_in(app, role)
    assert client.get("/staff/alerts/latest").status_code == 403
    html = get_page(client, "/staff/account")[0].get_data(as_text=True)
    assert "data-urgent-alerts" not in html and "urgent-alerts.js" not in html


@pytest.mark.parametrize("role", [Role.TRIAGE_OFFICER, Role.ADMIN])
def test_pages_of_accounts_that_take_urgent_items_in_hand_load_the_script(app: Flask, role: Role) -> None:
    _user, client = _signed_in(app, role)
    html = get_page(client, "/staff/account")[0].get_data(as_text=True)
    assert re.search(r'data-urgent-alerts data-poll-url="/staff/alerts/latest" data-poll-seconds="20" data-after="0"', html)
    assert '<script src="/static/js/urgent-alerts.js" defer></script>' in html


def test_an_anonymous_poll_is_sent_to_sign_in_without_coming_back_to_the_poll(app: Flask) -> None:
    response = browser(app).get("/staff/alerts/latest?after=3")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"


def test_polling_does_not_keep_an_abandoned_console_signed_in(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch, DAY0)
    user, client = _signed_in(app)
    clock.advance(minutes=10)
    assert client.get("/staff/queue").status_code == 200  # the person's last click
    for _ in range(14):  # the page polls every two minutes for 28 minutes
        clock.advance(minutes=2)
        assert client.get("/staff/alerts/latest?after=0").status_code == 200
    clock.advance(minutes=3)  # 31 minutes after the last click (STAFF_IDLE_MINUTES is 30)
    response = client.get("/staff/alerts/latest?after=0", headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert db.session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.staff_user_id == user.id)) == 0
    # The next page the person opens says why they must sign in again.
    login = client.get("/staff/queue", follow_redirects=True, headers=EN)
    assert "You were signed out because you did nothing for a while." in login.get_data(as_text=True)

"""An officer's day in a real Chromium, in Chinese, at 1280 and 360 pixels (issue 14, the first
"Done when" item).

A triage officer signs in with the two-step code and reads the queue: every row says what the
item is (snippet), where (place), who owns it and how long is left. The officer accepts an SMS
lead into a working group and makes a named member responsible, who finds it under "My items"
in a browser of their own. The officer asks the tipster a question; the tipster answers on
/tips/status on a phone; the officer's queue marks the row "tipster replied". The officer closes
the lead as "child found" and gives feedback; the tipster reads it on the status page, and the
text message handed to the SMS provider (Twilio, stubbed at its HTTP client) holds the reference
and no outcome. At 22:30 local time the same feedback on another lead is held in the outbox
until 08:00 and handed over only then.

The portal's clock (`portal.core.clock`) is set to a daytime instant, so that the walk does not
depend on the hour the test runs. Screenshots: test-artifacts/screenshots/day-<page>-<width>.png.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Channel, IntakeItem, ItemStatus, OutboundMessage, WorkingGroup
from portal.core.outbox.worker import deliver_due
from portal.core.permissions import Role
from portal.tips.feedback import FEEDBACK_PURPOSE, default_text
from portal.tips.service import TipDetails
from portal.triage.workflow import next_case_file_number
from tests.support.browser import assert_accessible, change_status, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.outbox import StubTwilioHttp, accepted, twilio_provider
from tests.support.staff import control_clock, sign_in_page

pytestmark = pytest.mark.slow

TIPSTER = "+8613900139000"  # the SMS lead's tipster, who agreed to SMS contact
LATE_TIPSTER = "+8613700137000"  # the tipster whose lead is closed at 22:30
MEMBER_DUTY_PHONE = "+8613800138002"
QUESTION = "请问那辆面包车是什么颜色？车牌记得吗？"
ANSWER = "白色的，车身有蓝色条纹，车牌尾号是37"
# Words that would tell whoever holds the tipster's phone how the report ended.
OUTCOME_WORDS = ["找到", "孩子", "儿童", "核查", "处理", "移交", "found", "child"]



def a_daytime_instant(zone: ZoneInfo) -> datetime:
    """Now (UTC) if it is between 08:00 and 20:00 local time, else the next 10:00 local: never
    before now, so every time the portal stamps from the real clock lies in the past."""
    now = datetime.now(timezone.utc)
    local = now.astimezone(zone)
    if time(8) <= local.time() < time(20):
        return now
    day = local.date() if local.time() < time(10) else local.date() + timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=zone).astimezone(timezone.utc)


def row_of(page, reference: str):  # type: ignore[no-untyped-def]
    """The queue row of `reference`."""
    return page.locator(".queue-wrap tbody tr").filter(has=page.locator("a.staff-reference", has_text=reference))


def close_and_give_feedback(page, live_server: str, reference: str) -> None:  # type: ignore[no-untyped-def]
    """Close the lead as "child found" and give the feedback the page offers first for it."""
    page.goto(live_server + f"/staff/items/{reference}")
    change_status(page, "closed", outcome="child_found")
    assert page.locator("input[name=kind][value=child_found]").is_checked()
    page.get_by_role("button", name="发出反馈").click()
    page.wait_for_url(re.compile(rf"/staff/items/{reference}"))
    assert "已反馈。举报人将收到一条短信" in page.locator(".notification").inner_text()


def status_page(browser, live_server: str, receipt, width: int):  # type: ignore[no-untyped-def]
    """The tipster's progress page, opened with the reference and follow-up code as typed on a phone."""
    tipster = new_page(browser, "zh", width=width, height=800)
    tipster.goto(live_server + "/tips/status")
    tipster.fill("input[name=reference]", receipt.reference.lower().replace("-", " "))
    tipster.fill("input[name=follow_up_code]", receipt.follow_up_code.lower())
    tipster.locator("main form button[type=submit]").first.click()
    tipster.wait_for_url(re.compile(r"/tips/status/report"))
    return tipster


def sent_to(stub: StubTwilioHttp, phone: str) -> list[str]:
    """The bodies of the messages handed to the provider for `phone`, in order."""
    return [r["data"]["Body"] for r in stub.requests if r["data"].get("To") == phone]


def test_an_officers_day_from_sign_in_to_feedback_held_until_morning(app, browser, live_server, monkeypatch):  # type: ignore[no-untyped-def]
    zone = ZoneInfo(app.config["SETTINGS"].site_timezone)
    clock = control_clock(monkeypatch, a_daytime_instant(zone))
    now = clock.now
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER, username="wang-wei", working_group_id=group.id,
                          duty_phone=MEMBER_DUTY_PHONE)
    li_na = create_staff(Role.GROUP_MEMBER, username="li-na", working_group_id=group.id)
    create_staff(Role.TRIAGE_OFFICER, username="officer")

    # The morning's queue: an SMS lead (the tipster agreed to SMS), a lead already with a working
    # group and an owner (its tipster agreed too), and an English web tip with only a place.
    lead = create_tip(channel=Channel.SMS, contact_phone=TIPSTER, may_contact_by_sms=True, place="海门区三厂镇小学门口",
                      description="海门区三厂镇小学门口，一辆白色面包车把一个哭着的男孩拉上车，往东开走了",
                      details=TipDetails(language="zh"))
    worked = create_tip(contact_phone=LATE_TIPSTER, may_contact_by_sms=True, place="通州区菜市场门口",
                        description="通州区菜市场门口每天早上有个小孩跪着乞讨，旁边有个男人一直看着他",
                        details=TipDetails(language="zh"))
    web = create_tip(description="A girl of about eight sells flowers near the railway station at midnight; "
                                 "an adult takes all the money from her", place="Shanghai Railway Station",
                     details=TipDetails(language="en"))
    for receipt, hours_ago in ((lead, 2), (worked, 30), (web, 5)):
        item = receipt.tip.item
        item.received_at = now - timedelta(hours=hours_ago)
        item.feedback_due_at = item.received_at + timedelta(days=7)
    lead.tip.item.region_code = "320614"
    worked_item = worked.tip.item
    worked_item.region_code, worked_item.working_group_id, worked_item.assigned_to_id = "320612", group.id, li_na.id
    worked_item.status, worked_item.case_file_number = ItemStatus.ASSIGNED, next_case_file_number(now)
    worked_item.feedback_due_at = now + timedelta(hours=5)
    db.session.commit()

    # 1. Two-step sign-in; each row says what, where, who and how long is left.
    page = new_page(browser, "zh", width=1280)
    sign_in_page(page, live_server, "officer")
    page.wait_for_url(re.compile(r"/staff/queue"))
    rows = {ref: row_of(page, ref).inner_text() for ref in (lead.reference, worked.reference, web.reference)}
    assert "三厂镇小学门口" in rows[lead.reference] and "江苏省南通市海门区" in rows[lead.reference]
    assert "尚无负责人" in rows[lead.reference] and "后到期" in rows[lead.reference]
    assert "菜市场门口" in rows[worked.reference] and "江苏省南通市通州区" in rows[worked.reference]
    assert "li-na" in rows[worked.reference] and "第一专班" in rows[worked.reference]
    assert "24小时内到期" in rows[worked.reference]
    assert "sells flowers" in rows[web.reference] and "Shanghai Railway Station" in rows[web.reference]
    assert "尚无负责人" in rows[web.reference] and "后到期" in rows[web.reference]
    assert_accessible(page, "day-queue-1280")

    # 2. Accept the lead into the working group; make a named member responsible.
    clock.advance(minutes=5)
    page.goto(live_server + f"/staff/items/{lead.reference}")
    change_status(page, "triaged")
    change_status(page, "assigned", group="第一专班")
    page.select_option("select[name=owner]", str(member.id))
    page.locator("form[action$='/owner'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/items/{lead.reference}"))
    assert "这条记录现在由wang-wei负责。" in page.locator(".notification").inner_text()

    wang = new_page(browser, "zh", width=1280)
    sign_in_page(wang, live_server, "wang-wei")
    wang.get_by_role("link", name="我的记录（1）").click()
    wang.wait_for_url(re.compile(r"mine=y"))
    assert wang.locator("h1").inner_text() == "我的记录"
    assert wang.locator(".queue-wrap .staff-reference").all_inner_texts() == [lead.reference]
    wang.context.close()

    # 3. A question; the tipster answers on a phone; the officer's queue marks the row.
    clock.advance(minutes=10)
    page.fill("textarea[name=question]", QUESTION)
    page.get_by_role("button", name="向举报人提问").click()
    page.wait_for_load_state()
    assert QUESTION in page.locator("#tip-followup").inner_text()
    clock.advance(minutes=20)
    tipster = status_page(browser, live_server, lead, 360)
    assert QUESTION in tipster.locator("main").inner_text()
    # The one open question is what the page's box answers.
    assert "回答问题" in tipster.locator("main h2").all_inner_texts()
    tipster.fill("textarea[name=text]", ANSWER)
    tipster.get_by_role("button", name="发送给警方").click()
    tipster.wait_for_load_state()
    assert ANSWER in tipster.locator("main").inner_text()
    tipster.context.close()

    clock.advance(minutes=5)
    page.goto(live_server + "/staff/queue")
    replied = row_of(page, lead.reference).inner_text()
    assert "举报人已回复" in replied and "举报人5分钟前回复" in replied
    assert "举报人已回复" not in row_of(page, worked.reference).inner_text()
    assert_accessible(page, "day-queue-replied-1280")

    # 4. Opening the item clears the marker; close as "child found" and give feedback.
    clock.advance(minutes=5)
    close_and_give_feedback(page, live_server, lead.reference)
    assert default_text("child_found", "zh") in page.locator("#tip-feedback").inner_text()
    assert_accessible(page, "day-item-1280")
    page.goto(live_server + "/staff/queue?status=all")
    assert "举报人已回复" not in row_of(page, lead.reference).inner_text()
    page.context.close()

    for width in (360, 1280):
        tipster = status_page(browser, live_server, lead, width)
        shown = tipster.locator("main").inner_text()
        assert "警方反馈" in shown and default_text("child_found", "zh") in shown
        assert_accessible(tipster, f"day-status-{width}")
        tipster.context.close()

    stub = StubTwilioHttp(*[accepted() for _ in range(10)])
    provider = twilio_provider(app, stub)
    deliver_due(provider, clock.now)
    news = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.purpose == FEEDBACK_PURPOSE, OutboundMessage.item_id == lead.tip.item_id)).one()
    assert news.body in sent_to(stub, TIPSTER) and lead.reference in news.body
    assert not [w for w in OUTCOME_WORDS if w in news.body.replace(lead.reference, "").lower()]
    # The owner's duty phone heard of the assignment and of the reply, never what the tipster wrote.
    owner_texts = sent_to(stub, MEMBER_DUTY_PHONE)
    assert len(owner_texts) == 2 and all(lead.reference in t and "白色" not in t for t in owner_texts)

    # 5. 22:30 local time: the same feedback on the other lead, from a phone, waits until 08:00.
    evening = datetime.combine(now.astimezone(zone).date(), time(22, 30), tzinfo=zone)
    clock.now = evening.astimezone(timezone.utc)
    page = new_page(browser, "zh", width=360, height=800)
    sign_in_page(page, live_server, "officer")
    page.goto(live_server + "/staff/queue")
    assert "li-na" in row_of(page, worked.reference).inner_text()
    assert_accessible(page, "day-queue-360")
    close_and_give_feedback(page, live_server, worked.reference)
    assert_accessible(page, "day-item-360")
    page.context.close()

    held = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.purpose == FEEDBACK_PURPOSE, OutboundMessage.item_id == worked_item.id)).one()
    morning = datetime.combine(evening.date() + timedelta(days=1), time(8), tzinfo=zone).astimezone(timezone.utc)
    assert held.not_before == morning
    deliver_due(provider, clock.now)
    deliver_due(provider, morning - timedelta(minutes=1))
    assert sent_to(stub, LATE_TIPSTER) == []
    deliver_due(provider, morning)
    late_texts = sent_to(stub, LATE_TIPSTER)
    assert len(late_texts) == 1 and worked.reference in late_texts[0]
    assert not [w for w in OUTCOME_WORDS if w in late_texts[0].replace(worked.reference, "").lower()]
    db.session.expire_all()
    assert db.session.get(IntakeItem, worked_item.id).status == ItemStatus.CLOSED

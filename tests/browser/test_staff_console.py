"""The staff console in a real Chromium: two-step sign-in, an urgent SMS tip triaged, accepted
into a working group's case file, asked about (the tipster's answer), and closed; screenshots
of the queue, the item and the dashboard in both languages at 360 and 1280 pixels
(`test-artifacts/screenshots/staff-<lang>-<width>-<page>.png`), each checked with axe-core and
the Nu HTML Checker; and every view of personal data in the journey left an audit record.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, Channel, IntakeItem, OutboundMessage, WorkingGroup
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, change_status, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

DUTY_NUMBER = "+8613800138001"
TIPSTER = "+8613900139000"


@pytest.fixture
def app_settings() -> dict[str, object]:
    """The portal with one duty officer's number, so an urgent tip sends an alert."""
    return {"duty_phone_numbers": (DUTY_NUMBER,)}


def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot, axe-core and the Nu HTML Checker for the current page."""
    assert_accessible(page, name)
    assert_valid_html(page.content(), name)


def ask_the_tipster_and_see_the_answer(page, browser, live_server: str, reference: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """Ask a question from the item page; the tipster (who agreed to SMS) is told by an SMS that
    carries the reference but not the question; they read and answer it on /tips/status with
    their reference and follow-up code, in another browser; the staff item page shows the answer."""
    question = "请问面包车是什么颜色？"
    answer = "白色的，车身有蓝色条纹"
    page.fill("textarea[name=question]", question)
    page.get_by_role("button", name="Ask the tipster").click()
    page.wait_for_load_state()
    assert question in page.locator("#tip-followup").inner_text()
    notices = list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "tip_question")))
    assert [m.to_phone for m in notices] == [TIPSTER]
    assert reference in notices[0].body and "面包车" not in notices[0].body

    tipster = new_page(browser, "zh", width=360, height=800)
    tipster.goto(live_server + "/tips/status")
    tipster.fill("input[name=reference]", reference.lower().replace("-", " "))
    tipster.fill("input[name=follow_up_code]", code.lower())
    tipster.locator("main form button[type=submit]").first.click()
    tipster.wait_for_url(re.compile(r"/tips/status/report"))
    assert question in tipster.locator("main").inner_text()
    # The one open question is what the page's box answers.
    assert "回答问题" in tipster.locator("main h2").all_inner_texts()
    tipster.fill("textarea[name=text]", answer)
    tipster.get_by_role("button", name="发送给警方").click()
    tipster.wait_for_load_state()
    assert answer in tipster.locator("main").inner_text()
    tipster.context.close()

    page.reload()
    assert answer in page.locator("#tip-followup .tipster-answer").first.inner_text()


def test_staff_triage_an_urgent_sms_tip_from_alert_to_closing(app, live_server, browser):  # type: ignore[no-untyped-def]
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    receipt = create_tip(channel=Channel.SMS, child_in_danger=True, description="我在成都火车站看到一个小孩被两个成年人拖上面包车",
                         contact_phone=TIPSTER, may_contact_by_sms=True)
    reference = receipt.reference
    alerts = list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "duty_alert")))
    assert [m.to_phone for m in alerts] == [DUTY_NUMBER]
    officer = create_staff(Role.TRIAGE_OFFICER, username="officer")

    page = new_page(browser, "en", width=1280)
    item_views: list[str] = []
    page.on("response", lambda r: item_views.append(r.url) if re.search(rf"/staff/items/{reference}$", r.url)
            and r.request.method == "GET" and r.status == 200 else None)
    page.goto(live_server + "/staff/login")
    check(page, "staff-en-1280-login")
    sign_in_page(page, live_server, "officer")
    page.wait_for_url(re.compile(r"/staff/queue"))
    banner = page.locator(".urgent-banner")
    assert reference in banner.inner_text()
    check(page, "staff-en-1280-queue")
    page.get_by_role("button", name=f"I'll handle it {reference}").click()
    page.wait_for_url(re.compile(rf"/staff/items/{reference}"))
    assert page.locator(".urgent-banner").count() == 0
    main = page.locator("main").inner_text()
    assert "Urgent" in main and "成都火车站" in main and "139 0013 9000" in main
    check(page, "staff-en-1280-item")

    change_status(page, "triaged")
    change_status(page, "assigned", group="第一专班")
    case_file = re.search(r"\d{4}-\d{5}", page.locator(".summary-list").first.inner_text())
    assert case_file, "no case file number after accepting"
    ask_the_tipster_and_see_the_answer(page, browser, live_server, reference, receipt.follow_up_code)
    change_status(page, "verifying")
    change_status(page, "closed", outcome="confirmed_lead")
    assert "Forwarded as a confirmed lead" in page.locator(".summary-list").first.inner_text()

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r"/staff/dashboard"))
    assert page.locator("svg.chart").count() == 4
    check(page, "staff-en-1280-dashboard")
    page.context.close()

    for language, width in (("zh", 360), ("zh", 1280), ("en", 360)):
        page = new_page(browser, language, width=width, height=800)
        page.on("response", lambda r: item_views.append(r.url) if re.search(rf"/staff/items/{reference}$", r.url)
                and r.request.method == "GET" and r.status == 200 else None)
        sign_in_page(page, live_server, "officer")
        page.goto(live_server + "/staff/queue?status=all")
        check(page, f"staff-{language}-{width}-queue")
        page.goto(live_server + f"/staff/items/{reference}")
        check(page, f"staff-{language}-{width}-item")
        page.goto(live_server + "/staff/dashboard")
        check(page, f"staff-{language}-{width}-dashboard")
        page.context.close()

    # Every showing of the item page (personal data) left exactly one audit record.
    db.session.expire_all()
    item = db.session.scalar(select(IntakeItem).where(IntakeItem.reference == reference))
    views = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "view_item", AuditEvent.item_id == item.id, AuditEvent.actor_id == officer.id)))
    assert len(item_views) >= 7 and len(views) == len(item_views)
    assert all("contact_phone" in event.fields for event in views)
    assert item.status == "closed" and item.outcome == "confirmed_lead" and item.case_file_number == case_file.group(0)

"""The SMS hotline simulator (/dev/sms) in a real Chromium: a person types a tip as a phone would
and sees the hotline's answer, in Chinese on a 360-pixel phone and in English on a desktop. Each
page is checked with axe-core and the Nu HTML Checker and screenshotted as
test-artifacts/screenshots/sms-simulator-<lang>-<width>-<step>.png.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import InboundMessage, Tip
from portal.core.security.crypto import phone_hash
from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import JOURNEY_LIMITS

pytestmark = pytest.mark.slow

TIP_MESSAGE = "举报 我在火车站看到一个小孩被强迫乞讨"
WORDS = {
    "zh": {"phone": "您用来发短信的手机号码", "body": "短信内容", "send": "发送", "answered": "热线回复："},
    "en": {"phone": "Phone number you are texting from", "body": "Text message", "send": "Send",
           "answered": "The hotline answered:"},
}


@pytest.fixture
def app_settings() -> dict[str, object]:
    """One journey books a sampling time by SMS: form limits a booking journey cannot reach."""
    return dict(JOURNEY_LIMITS)


@pytest.mark.parametrize(("language", "width"), [("zh", 360), ("en", 1280)])
def test_a_tip_typed_into_the_simulator_gets_the_hotlines_answer(app, live_server, browser, language, width):
    words = WORDS[language]
    page = new_page(browser, language, width=width, height=800)
    page.goto(live_server + "/dev/sms")
    name = f"sms-simulator-{language}-{width}"
    assert_accessible(page, f"{name}-01-empty")
    assert_valid_html(page.content(), f"{name}-01-empty")

    page.get_by_label(words["phone"]).fill("139 0013 9000")
    page.get_by_label(words["body"]).fill(TIP_MESSAGE)
    page.get_by_role("button", name=words["send"], exact=True).click()
    page.wait_for_load_state()

    latest = page.locator("#sms-latest")
    assert words["answered"] in latest.inner_text()
    reply = latest.inner_text()
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reply)
    assert reference and "110" in reply
    assert page.locator(".sms-in").last.inner_text().endswith(TIP_MESSAGE)
    assert reference.group(0) in page.locator(".sms-out").last.inner_text()
    assert page.locator("#sms-phone").input_value() == "139 0013 9000"
    assert page.locator("#sms-body").input_value() == ""
    assert_accessible(page, f"{name}-02-answered")
    assert_valid_html(page.content(), f"{name}-02-answered")

    db.session.expire_all()
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.from_phone_hash == phone_hash("+8613900139000")
    assert db.session.scalars(select(Tip)).one().item.reference == reference.group(0)


def test_a_sampling_slot_is_booked_by_sms_through_the_simulator(app, live_server, browser, demo_sites):
    """Done when: the simulator books a sampling slot by SMS, from the keyword to the reference."""
    from portal.core.models import Appointment, Channel
    from tests.support.sampling import resident_id

    page = new_page(browser, "zh", width=360, height=800)
    page.goto(live_server + "/dev/sms")
    page.get_by_label(WORDS["zh"]["phone"]).fill("139 0013 9000")

    def text(body: str) -> str:
        page.get_by_label(WORDS["zh"]["body"]).fill(body)
        page.get_by_role("button", name=WORDS["zh"]["send"], exact=True).click()
        page.wait_for_load_state()
        return page.locator("#sms-latest").inner_text()

    def number_of(reply: str, label: str) -> str:
        found = re.search(rf"^(\d+) {re.escape(label)}", reply, re.MULTILINE)
        assert found, f"{label!r} is not offered in {reply!r}"
        return found.group(1)

    assert "谁在预约" in text("预约")
    sites = text("1")  # a parent looking for a missing child
    days = text(number_of(sites, "如皋市公安局"))
    times = text(re.search(r"^(\d+) ", days, re.MULTILINE).group(1))
    assert "姓名" in text(re.search(r"^(\d+) ", times, re.MULTILINE).group(1))
    text("王秀英")
    confirm = text(resident_id())
    assert "如皋市公安局" in confirm and "血样只用于查找失踪人员身份" in confirm
    booked = text("1")
    assert_accessible(page, "sms-simulator-zh-360-03-booked")
    assert_valid_html(page.content(), "sms-simulator-zh-360-03-booked")

    db.session.expire_all()
    appointment = db.session.scalars(select(Appointment)).one()
    assert booked.startswith(f"热线回复：受理编号{appointment.item.reference}") or \
        f"受理编号{appointment.item.reference}" in booked
    assert appointment.item.channel == Channel.SMS.value and appointment.site.name == "如皋市公安局"
    assert appointment.applicant_phone == "+8613900139000"
    # The thread shows the whole conversation, with the name and identity number kept out of it.
    thread = page.locator("#sms-thread, ol").first.inner_text()
    assert resident_id() not in thread and "王秀英" not in thread


@pytest.mark.parametrize("language", ["zh", "en"])
def test_staff_read_an_sms_tip_conversation_on_a_phone(app, live_server, browser, language):
    """The item page of a tip reported by SMS shows the conversation in order, at 360 pixels, in
    both languages, accessible and valid."""
    from tests.support.factories import create_staff
    from tests.support.staff import sign_in_page
    from tests.support.sms import signed_post, sms_params

    phone = app.test_client()
    for body in ("举报 火车站北广场有个小女孩跟着一个男人乞讨，孩子一直在哭", "2", "南通站北广场出口", "今天下午3点"):
        assert signed_post(phone, sms_params(body)).status_code == 200
    staff = create_staff()
    db.session.commit()
    reference = db.session.scalars(select(Tip)).one().item.reference

    page = new_page(browser, language, width=360, height=800)
    sign_in_page(page, live_server, staff.username)
    page.goto(f"{live_server}/staff/items/{reference}")
    thread = page.locator("[role=region] table.staff-table", has_text="今天下午3点").first.inner_text()
    assert thread.index("乞讨") < thread.index("南通站北广场出口") < thread.index("今天下午3点")
    assert_accessible(page, f"staff-sms-tip-{language}-360")
    assert_valid_html(page.content(), f"staff-sms-tip-{language}-360")

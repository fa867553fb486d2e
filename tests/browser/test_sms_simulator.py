"""The SMS hotline simulator (/dev/sms) in a real Chromium: a person types a tip as a phone would
and sees the hotline's answer, in Chinese on a 360-pixel phone and in English on a desktop. Each
page is checked with axe-core and the Nu HTML Checker and screenshotted as
test-artifacts/screenshots/sms-simulator-<lang>-<width>-<step>.png.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import InboundMessage, Tip
from portal.security.crypto import phone_hash
from tests.browser.conftest import assert_accessible, new_page
from tests.nu_checker import assert_valid_html

pytestmark = pytest.mark.slow

TIP_MESSAGE = "举报 我在火车站看到一个小孩被强迫乞讨"
WORDS = {
    "zh": {"phone": "您用来发短信的手机号码", "body": "短信内容", "send": "发送", "answered": "热线回复："},
    "en": {"phone": "Phone number you are texting from", "body": "Text message", "send": "Send",
           "answered": "The hotline answered:"},
}


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

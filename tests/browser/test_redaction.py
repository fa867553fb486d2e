"""Removing a passage in a real Chromium without JavaScript, in both languages: a passage found
nowhere keeps what was typed, then the right one is removed and the page shows the placeholder
and how many places it was removed from. Screenshots: test-artifacts/screenshots/redaction-*.png."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.core.extensions import db
from portal.core.models import InboundMessage, ItemNote
from portal.core.permissions import Role
from portal.core.security.crypto import lookup_hash
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

PHONE = "13912345678"
WORDS = {
    "zh": ("删除这段文字", "这段文字在此事项中没有找到", "已从3处删除这段文字", "〔已删除〕"),
    "en": ("Remove the passage", "This passage does not appear anywhere on this item", "Passage removed from 3 places",
           "[removed]"),
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_passage_is_removed_without_javascript(app: Flask, live_server: str, browser, language: str) -> None:  # type: ignore[no-untyped-def]
    receipt = create_tip(description=f"我在成都火车站看到一个小孩被强迫乞讨，我的电话{PHONE}，有事打给我")
    item_id = receipt.tip.item_id
    for n, body in enumerate(("举报 火车站有小孩乞讨 电话 １３９ １２３４ ５６７８", "2", "0")):
        db.session.add(InboundMessage(provider_message_id=f"SM{language}{n}", from_phone="+8613800138000",
                                      from_phone_hash=lookup_hash("+8613800138000", "phone"), body=body, item_id=item_id))
    db.session.add(ItemNote(item_id=item_id, body=f"举报人留了电话{PHONE}"))
    db.session.commit()
    user = create_staff(Role.TRIAGE_OFFICER)
    button, not_found, removed, placeholder = WORDS[language]

    page = new_page(browser, language, javascript=False)
    sign_in_page(page, live_server, user.username)
    page.goto(f"{live_server}/staff/items/{receipt.reference}")
    page.fill("textarea[name=passage]", "王小明")
    page.select_option("select[name=passage_reason_kind]", "identifies_tipster")
    page.fill("textarea[name=passage_reason]", "举报人的姓名")
    page.get_by_role("button", name=button).click()
    assert not_found in page.inner_text("main")
    assert page.input_value("textarea[name=passage]") == "王小明"
    assert page.input_value("textarea[name=passage_reason]") == "举报人的姓名"
    assert page.input_value("select[name=passage_reason_kind]") == "identifies_tipster"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"redaction-{language}-not-found.png"), full_page=True)

    page.fill("textarea[name=passage]", f" {PHONE}")
    page.fill("textarea[name=passage_reason]", "举报人在正文里留了自己的电话")
    page.get_by_role("button", name=button).click()
    text = page.inner_text("main")
    assert removed in text and PHONE not in text and text.count(placeholder) >= 3
    page.screenshot(path=str(ARTIFACTS / f"redaction-{language}-removed.png"), full_page=True)
    page.context.close()

    checked = new_page(browser, language)
    sign_in_page(checked, live_server, user.username)
    checked.goto(f"{live_server}/staff/items/{receipt.reference}")
    assert_accessible(checked, f"redaction-{language}-item")
    checked.context.close()

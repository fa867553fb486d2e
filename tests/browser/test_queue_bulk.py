"""Bulk actions on the queue in a real Chromium: an officer ticks rows (or "Select all on this
page", with and without JavaScript), closes them as spam, and reads what was done and what was
refused, in Chinese and English at 1280 and 360 pixels. Screenshots are saved as
test-artifacts/screenshots/bulk-<lang>-<width>.png (the form) and bulk-summary-<lang>-<width>.png,
each page checked with axe-core.
"""

from __future__ import annotations


import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemStatus, WorkingGroup
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, new_page
from tests.support.database import empty_all_tables
from tests.support.factories import create_staff, create_tip
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

DESCRIPTIONS = [
    "一辆白色面包车在南通市海门区三厂镇小学门口把一个哭着的男孩拉上车，车往东开了",
    "菜市场门口每天早上有个小孩跪着乞讨，旁边有个男人一直看着他",
    "买彩票中大奖请加微信",
    "I saw a girl of about eight selling flowers near the Bund at midnight",
]



def _queue() -> list[str]:
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    create_staff(Role.GROUP_MEMBER, username="wang-wei", working_group_id=group.id)
    references = []
    for text in DESCRIPTIONS:
        receipt = create_tip(description=text)
        receipt.tip.item.working_group_id = group.id
        references.append(receipt.reference)
    db.session.commit()
    return references


def _close_behind_the_officers_back(reference: str) -> None:
    item = db.session.scalar(select(IntakeItem).where(IntakeItem.reference == reference))
    item.status, item.outcome = ItemStatus.CLOSED, "duplicate"
    db.session.commit()


def test_an_officer_ticks_rows_closes_them_as_spam_and_reads_what_was_refused(app: Flask, browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    words = {"zh": ("全选本页", "取消全选", "作为垃圾信息办结", "已将2条记录作为垃圾信息办结：", "1条未处理", "已办结"),
             "en": ("Select all on this page", "Clear the selection", "Close as spam", "Closed 2 items as spam:",
                    "1 item refused", "already closed")}
    for language in ("zh", "en"):
        for width in (1280, 360):
            empty_all_tables()
            references = _queue()
            create_staff(Role.TRIAGE_OFFICER, username="officer")
            select_all, clear, close, closed, refused, already = words[language]
            page = new_page(browser, language, width=width, height=900)
            sign_in_page(page, live_server, "officer")
            page.goto(live_server + "/staff/queue")
            boxes = page.locator("input[name=bulk_items]")
            assert boxes.count() == 4
            # With JavaScript the link ticks every box in place, then offers to clear them.
            page.get_by_role("link", name=select_all).click()
            assert all(boxes.nth(i).is_checked() for i in range(4)) and page.url.endswith("/staff/queue")
            page.get_by_role("link", name=clear).click()
            assert not any(boxes.nth(i).is_checked() for i in range(4))
            # Tick three rows by their labels ("Select TY-…").
            for reference in references[1:]:
                page.locator(f"input[name=bulk_items][value='{reference}']").check()
            if width == 360:
                assert page.evaluate("document.documentElement.scrollWidth") <= 360
            assert_accessible(page, f"bulk-{language}-{width}")
            _close_behind_the_officers_back(references[3])  # another officer closes one meanwhile
            page.get_by_role("button", name=close).click()
            page.wait_for_load_state()
            # What was done in the green box, each item a link; what was refused in a box of its own.
            done = page.locator(".notification:not(.notification-warning)")
            warning = page.locator(".notification-warning")
            assert closed in done.inner_text() and refused not in done.inner_text(), done.inner_text()
            assert done.get_by_role("link", name=references[1]).count() == 1
            notice = warning.inner_text()
            assert refused in notice and already in notice, notice
            assert warning.get_by_role("link", name=references[3]).get_attribute("href") == f"/staff/items/{references[3]}"
            assert done.evaluate("e => getComputedStyle(e).borderLeftColor") != warning.evaluate(
                "e => getComputedStyle(e).borderLeftColor")
            assert page.locator("input[name=bulk_items]").count() == 1  # the one open item left
            if width == 360:
                assert page.evaluate("document.documentElement.scrollWidth") <= 360
            assert_accessible(page, f"bulk-summary-{language}-{width}")
            page.context.close()
    db.session.expire_all()
    assert db.session.scalar(select(IntakeItem.outcome).where(IntakeItem.reference == references[1])) == "spam"


def test_select_all_on_this_page_works_without_javascript(app: Flask, browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    references = _queue()
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    page = new_page(browser, "en", javascript=False)
    sign_in_page(page, live_server, "officer")
    page.goto(live_server + "/staff/queue?sort=priority")
    page.get_by_role("link", name="Select all on this page").click()
    page.wait_for_load_state()
    boxes = page.locator("input[name=bulk_items]")
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [True] * len(references)
    page.locator(f"input[name=bulk_items][value='{references[0]}']").uncheck()
    page.get_by_role("button", name="Close as spam").click()
    page.wait_for_load_state()
    assert "Closed 3 items as spam: " in page.locator(".notification").inner_text()
    assert "sort=priority" in page.url  # back to the queue as it was filtered
    page.context.close()

"""The queue in a real Chromium, in Chinese and English at 1280 and 360 pixels: each row shows
its snippet, place, owner and time left in words; on a phone the rows are cards that fit the
screen (no sideways scrolling); a search marks the matched words. Screenshots are saved as
test-artifacts/screenshots/queue-<lang>-<width>.png, each page checked with axe-core and the Nu
HTML Checker.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from portal.core.extensions import db
from portal.core.models import Channel, Priority, WorkingGroup
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import create_appointment, sign_in_page

pytestmark = pytest.mark.slow



def _a_days_queue() -> dict[str, str]:
    """Tips an officer meets on a morning: urgent, replied to, nearly due, overdue, owned; one booking."""
    now = datetime.now(timezone.utc)
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER, username="wang-wei", working_group_id=group.id)
    urgent = create_tip(child_in_danger=True, channel=Channel.SMS,
                        description="一辆白色面包车在南通市海门区三厂镇小学门口把一个哭着的男孩拉上车，车往东开了")
    urgent.tip.item.region_code = "320614"
    replied = create_tip(description="I saw a girl of about eight selling flowers near the Bund at midnight with an adult "
                                     "who took all the money from her")
    replied.tip.item.received_at = now - timedelta(days=1)
    replied.tip.item.tipster_replied_at = now - timedelta(hours=2)
    replied.tip.item.region_code, replied.tip.item.region_text = None, "上海外滩"
    nearly = create_tip(description="菜市场门口每天早上有个小孩跪着乞讨，旁边有个男人一直看着他，小孩身上有伤")
    nearly.tip.item.feedback_due_at = now + timedelta(hours=5)
    nearly.tip.item.working_group_id, nearly.tip.item.assigned_to_id = group.id, member.id
    late = create_tip(description="邻居家突然多了一个两岁左右的孩子，说是亲戚家的，但从没见过孕期")
    late.tip.item.received_at = now - timedelta(days=9)
    late.tip.item.feedback_due_at = now - timedelta(days=2)
    late.tip.item.priority = Priority.HIGH
    late.tip.item.working_group_id = group.id
    db.session.commit()
    create_appointment(create_slot(create_site()))
    return {"urgent": urgent.reference, "replied": replied.reference, "nearly": nearly.reference, "late": late.reference}


def test_queue_rows_read_at_1280_and_360_pixels_in_both_languages(app: Flask, browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    references = _a_days_queue()
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    expected = {
        "zh": ("举报人", "2小时前回复", "24小时内到期", "已超期2天", "江苏省南通市海门区", "wang-wei", "第一专班", "上海外滩"),
        "en": ("Tipster replied 2 hours ago", "Due within 24 hours", "Overdue by 2 days", "江苏省南通市海门区",
               "wang-wei", "第一专班", "上海外滩"),
    }
    for language in ("zh", "en"):
        for width in (1280, 360):
            page = new_page(browser, language, width=width, height=800)
            sign_in_page(page, live_server, "officer")
            page.goto(live_server + "/staff/queue")
            table = page.locator(".queue-wrap table").inner_text()
            for words in expected[language]:
                assert words in table, (language, width, words)
            order = [r for r in page.locator(".queue-wrap .staff-reference").all_inner_texts()]
            assert order == [references[k] for k in ("urgent", "replied", "late", "nearly")]  # no booking
            assert "面包车" in table and "selling flowers" in table
            if width == 360:
                # Cards: the page does not scroll sideways and each row is narrower than the screen.
                assert page.evaluate("document.documentElement.scrollWidth") <= 360
                for box in (row.bounding_box() for row in page.locator(".queue-wrap tbody tr").all()):
                    assert box is not None and box["width"] <= 360
            assert_accessible(page, f"queue-{language}-{width}")
            assert_valid_html(page.content(), f"queue-{language}-{width}")
            if language == "zh" and width == 360:
                page.goto(live_server + "/staff/queue?q=面包车")
                assert page.locator(".queue-wrap mark").all_inner_texts() == ["面包车"]
                assert_accessible(page, "queue-zh-360-search")
            page.context.close()

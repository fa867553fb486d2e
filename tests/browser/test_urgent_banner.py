"""The urgent banner in a real Chromium: with three urgent items waiting, an item's own heading
is on the first screen of a 360 px phone, in Chinese and English; screenshots of that first
screen at 360 and 1280 pixels (`test-artifacts/screenshots/banner-<lang>-<width>.png`), each
page checked with axe-core and the Nu HTML Checker."""

from __future__ import annotations

import re

import pytest

from portal.core.extensions import db
from portal.core.models import Channel
from portal.core.permissions import Role
from portal.tips.service import mark_urgent
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

PHONE_HEIGHT = 640  # a small phone's first screen (360 × 640 CSS pixels)



def _three_urgent_items() -> list[str]:
    """Two tips whose tipster said a child is in danger, and an SMS tip made urgent by a danger word."""
    first = create_tip(child_in_danger=True, description="我在成都火车站看到一个小孩被两个成年人拖上面包车").reference
    second = create_tip(child_in_danger=True, description="Two men pulled a crying girl into a white van at the bus station").reference
    sms = create_tip(channel=Channel.SMS, description="超市门口有人拿着刀抱走一个孩子")
    mark_urgent(sms.tip, danger_word="刀")
    db.session.commit()
    return [first, second, sms.reference]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_item_heading_is_on_a_phones_first_screen_with_three_urgent_items_waiting(app, live_server, browser, language):  # type: ignore[no-untyped-def]
    references = _three_urgent_items()
    for width, height in ((360, PHONE_HEIGHT), (1280, 800)):
        username = f"officer-{language}-{width}"
        create_staff(Role.TRIAGE_OFFICER, username=username)
        page = new_page(browser, language, width=width, height=height)
        sign_in_page(page, live_server, username)
        page.goto(f"{live_server}/staff/items/{references[2]}")
        banner = page.locator(".urgent-banner")
        assert banner.locator("li").count() == 3
        assert all(reference in banner.inner_text() for reference in references)
        assert ("刀" in banner.inner_text()) and re.search(r"just now|刚刚|\d+ ?(minutes? ago|分钟前)", banner.inner_text())
        heading = page.locator("main h1").bounding_box()
        assert heading is not None and heading["y"] + heading["height"] <= height, \
            f"the item's heading ends {heading} px down, below the first screen ({height} px)"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"banner-{language}-{width}.png"))  # the first screen only
        assert_accessible(page, f"banner-{language}-{width}-item")
        assert_valid_html(page.content(), f"banner-{language}-{width}-item")
        page.context.close()

"""Duplicate suggestions in a real Chromium, on the 30 tips of the data set (tests/support/
tips_dataset.py): an officer opens the SMS tip of the girl begging at 成都东站 and finds its two
twins suggested, each with an extract and why; merges it into one of them with one click; and
the item says so. Screenshots in both languages at 1280 and 360 pixels
(test-artifacts/screenshots/suggestions-<lang>-<width>.png), checked with axe-core.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.core.extensions import db
from portal.core.models import IntakeItem
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_staff
from tests.support.staff import sign_in_page
from tests.support.tips_dataset import DATASET_SETTINGS, load_dataset

pytestmark = pytest.mark.slow


@pytest.fixture
def app_settings() -> dict[str, object]:
    return DATASET_SETTINGS


def test_an_officer_sees_a_tips_twins_suggested_and_merges_it_in_one_click(app: Flask, live_server, browser, monkeypatch):  # type: ignore[no-untyped-def]
    loaded = load_dataset(app, monkeypatch)
    sms, web_first, web_second = loaded["t15"], loaded["t11"], loaded["t13"]
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    for language, width in (("zh", 1280), ("en", 1280), ("zh", 360), ("en", 360)):
        page = new_page(browser, language, width=width)
        sign_in_page(page, live_server, "officer")
        page.goto(f"{live_server}/staff/items/{sms.reference}")
        suggestions = page.locator(".staff-suggestions > li")
        assert suggestions.count() == 2, page.locator("main").inner_text()
        listed = suggestions.all_inner_texts()
        assert {web_first.reference, web_second.reference} == {re.search(r"TY-[0-9A-Z-]+", t).group(0) for t in listed}
        words = "文字相近" if language == "zh" else "similar words"
        assert any(words in text for text in listed) and any("小女孩" in text for text in listed)
        assert_accessible(page, f"suggestions-{language}-{width}")
        page.context.close()

    page = new_page(browser, "zh", width=1280)
    sign_in_page(page, live_server, "officer")
    page.goto(f"{live_server}/staff/items/{sms.reference}")
    page.get_by_role("button", name=f"将本条并入{web_second.reference}").click()
    page.wait_for_load_state()
    assert page.locator(".notification").count() == 1
    db.session.expire_all()
    assert db.session.get(IntakeItem, sms.id).merged_into_id == web_second.id

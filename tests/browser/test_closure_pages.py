"""Closing a day in a real Chromium, in Chinese, at 1280 px and on a 360 px phone: an admin
previews the families affected, confirms, and sees the closed day's list, each page checked with
axe-core. Screenshots: test-artifacts/screenshots/closure-<step>-zh-<width>.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.extensions import db
from portal.core.models import OutboundMessage, SiteClosure
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_site, create_staff
from tests.support.sampling import next_weekday, resident_id, slot_at
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow


def _book(slot, serial: str, name: str, phone: str | None, people: int = 1) -> None:  # type: ignore[no-untyped-def]
    book_appointment(slot_id=slot.id, applicant_role="parent", applicant_name=name, applicant_phone=phone,
                     attendees=[(f"{name}", "parent", resident_id(serial=f"{serial}{n}"), None) for n in range(people)],
                     consent=True, language="zh")
    db.session.commit()


def test_an_admin_previews_confirms_and_sees_the_closed_day_in_chinese_at_both_widths(app, live_server, browser):
    site = create_site(name="南通市公安局崇川分局刑警大队", address="南通市崇川区工农路111号")
    day = next_weekday(3)
    _book(slot_at(site, day, 1), "61", "王秀英", "+8613800138001", people=2)
    _book(slot_at(site, day, 2), "62", "李建国", None)
    _book(slot_at(site, day, 6), "63", "张桂兰", "+8613800138003")
    for hour in (1, 2, 3):
        slot_at(site, day + timedelta(days=1), hour)
    admin = create_staff(Role.ADMIN, username="admin-closure")
    page = new_page(browser, "zh", width=1280, height=900)
    sign_in_page(page, live_server, admin.username)

    page.goto(live_server + f"/staff/sampling/sites/{site.id}/closures")
    page.fill("input[name=starts_on]", day.isoformat())
    page.fill("input[name=reason]", "设备检修")
    page.locator("main button[value=preview]").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "3个预约" in main and "王秀英" in main and "没有手机号码" in main
    assert db.session.query(SiteClosure).count() == 0
    db.session.rollback()  # no read transaction left open while the server writes
    assert_accessible(page, "closure-preview-zh-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    assert_accessible(page, "closure-preview-zh-360")

    page.locator("main button[value=confirm]").click()
    page.wait_for_load_state()
    db.session.expire_all()
    assert db.session.query(OutboundMessage).filter(OutboundMessage.purpose == "booking_site_closed").count() == 2
    db.session.rollback()
    page.goto(live_server + f"/staff/sampling/sites/{site.id}/day?day={day.isoformat()}")
    main = page.locator("main").inner_text()
    assert "停开：设备检修。" in main and "未通知：没有手机号码" in main
    assert_accessible(page, "closure-day-zh-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page, "closure-day-zh-1280")

"""The whole web tip journey in a real Chromium, in Chinese and English, on a 320-pixel phone and a
1280-pixel desktop: a validation error, a photo upload, a Change from the check page, the
confirmation and its print version. Every page is checked with axe-core (WCAG 2.2 AA) and the Nu
HTML Checker, and screenshotted as test-artifacts/screenshots/tips-<lang>-<width>-<step>.png.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Priority, Tip, TipPhoto
from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html
from tests.support.tips import jpeg_bytes

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
WORDS = {
    "zh": {"continue": "继续", "add": "添加这些照片", "send": "提交线索", "save_back": "保存并返回核对页面",
           "saved": "我已保存查询码", "continue_report": "继续填写线索", "describe": "请填写您看到的情况",
           "report_link": "举报线索", "change_saw": "修改 您看到的情况"},
    "en": {"continue": "Continue", "add": "Add these photos", "send": "Send report",
           "save_back": "Save and go back to your answers", "saved": "I have saved my code",
           "continue_report": "Continue the report", "describe": "Enter what you saw",
           "report_link": "Report a lead", "change_saw": "Change what you saw"},
}
EXIT_URL = "https://www.baidu.com/"


@pytest.fixture
def app_settings(tmp_path):
    """The served app, with tip photos in a folder of this test's own."""
    return {"tip_photo_dir": str(tmp_path / "tip-photos")}


def _check(page, language: str, width: int, step: str) -> None:
    """axe-core and a screenshot (assert_accessible), then the Nu HTML Checker on the same page."""
    name = f"tips-{language}-{width}-{step}"
    assert_accessible(page, name)
    assert_valid_html(page.content(), name)


def _press(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_whole_tip_journey_with_an_error_a_photo_and_a_change(app, live_server, browser, tmp_path,
                                                              language, width):
    words = WORDS[language]
    page = new_page(browser, language, width=width, height=900 if width > 400 else 720)
    # The neutral page of "Exit this page" is another site: answer it locally (no network here).
    page.route(EXIT_URL + "**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                            body="<!DOCTYPE html><title>Weather</title><p>Neutral</p>"))
    page.goto(live_server + "/")
    page.get_by_role("link", name=words["report_link"]).first.click()
    page.wait_for_url(re.compile(r"/tips/report$"))
    danger = language == "zh"  # one language walks the urgent path, the other the ordinary one
    _check(page, language, width, "01-danger")
    page.check(f"input[name=child_in_danger][value={'yes' if danger else 'no'}]")
    _press(page, words["continue"])
    if danger:
        page.wait_for_url(re.compile(r"/call-110"))
        assert page.locator('a[href="tel:110"]').count() >= 1
        assert "12110" in page.locator("main").inner_text()
        _check(page, language, width, "02-call-110")
        page.get_by_role("link", name=words["continue_report"]).click()

    page.wait_for_url(re.compile(r"/tips/report/what$"))
    page.check("input[name=category][value=begging_or_exploited]")
    _press(page, words["continue"])  # no description: a validation error
    summary = page.locator(".error-summary")
    assert words["describe"] in summary.inner_text()
    assert page.is_checked("input[name=category][value=begging_or_exploited]")
    _check(page, language, width, "03-what-error")
    page.fill("textarea[name=description]", "我在火车站看到一个小孩被成年人强迫乞讨" if language == "zh"
              else "A child was begging at the station while a man took the money")
    _check(page, language, width, "04-what")
    _press(page, words["continue"])

    page.select_option("select[name=division]", "320000")
    _check(page, language, width, "05-province")
    _press(page, words["continue"])
    page.select_option("select[name=division]", "320600")
    _check(page, language, width, "06-city")
    _press(page, words["continue"])
    page.select_option("select[name=division]", "320614")
    assert "海门区" in page.locator("select[name=division]").inner_text()
    _check(page, language, width, "07-district")
    _press(page, words["continue"])
    page.fill("textarea[name=place]", "汽车站北广场")
    _check(page, language, width, "08-place")
    _press(page, words["continue"])

    page.fill("input[name=seen_date]", "2025年11月" if language == "zh" else "November 2025")
    page.check("input[name=seen_time][value=afternoon]")
    _check(page, language, width, "09-when")
    _press(page, words["continue"])

    page.fill("input[name=child_age]", "6")
    page.check("input[name=child_sex][value=girl]")
    page.fill("input[name=vehicle_plate]", "苏F 12345")
    _check(page, language, width, "10-who")
    _press(page, words["continue"])

    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg_bytes(size=(320, 240)))
    page.set_input_files("input[name=photos]", str(photo))
    _press(page, words["add"])
    assert page.locator(".photo-list li").count() == 1
    _check(page, language, width, "11-photos")
    _press(page, words["continue"])

    page.fill("input[name=contact_phone]", "138 0013 8000")
    page.check("input[name=may_contact_by_sms]")
    _check(page, language, width, "12-contact")
    _press(page, words["continue"])

    page.wait_for_url(re.compile(r"/tips/report/check$"))
    check_text = page.locator("main").inner_text()
    assert "江苏省南通市海门区" in check_text and "138 0013 8000" in check_text
    _check(page, language, width, "13-check")
    page.get_by_role("link", name=words["change_saw"]).click()
    page.wait_for_url(re.compile(r"/tips/report/what\?change=1$"))
    page.fill("textarea[name=description]", "CHANGED: the child had a red coat")
    _check(page, language, width, "14-change-what")
    _press(page, words["save_back"])
    page.wait_for_url(re.compile(r"/tips/report/check$"))
    assert "CHANGED: the child had a red coat" in page.locator("main").inner_text()
    _press(page, words["send"])

    page.wait_for_url(re.compile(r"/tips/confirmation$"))
    reference = REFERENCE.search(page.locator(".reference").first.inner_text()).group(0)
    assert page.locator(".follow-up-code").inner_text().strip()
    _check(page, language, width, "15-confirmation")
    page.goto(live_server + "/tips/confirmation/print")
    assert reference in page.locator("main").inner_text()
    assert page.locator("[data-print-page]").is_visible()  # shown by the script from static/
    _check(page, language, width, "16-print")
    page.go_back()
    _press(page, words["saved"])
    page.wait_for_url(re.compile(r"/tips/finished$"))
    _check(page, language, width, "17-finished")

    db.session.expire_all()
    tip = db.session.scalar(select(Tip))
    assert tip.item.reference == reference
    assert tip.description == "CHANGED: the child had a red coat"
    assert tip.item.region_code == "320614" and tip.vehicle_plate == "苏F12345"
    assert tip.item.priority == (Priority.URGENT.value if danger else Priority.NORMAL.value)
    assert len(db.session.scalars(select(TipPhoto).where(TipPhoto.tip_id == tip.id)).all()) == 1
    page.context.close()

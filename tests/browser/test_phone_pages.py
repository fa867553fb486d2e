"""Pages looked at on a 360px phone in Chinese and in English: the sampling check page's Change
links return to it, the site filter by city, the tip's date box and change-mode buttons, the
closures list with its remove button, and the dashboard charts. Screenshots:
test-artifacts/screenshots/polish-<lang>-<step>.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.core.extensions import db
from portal.core.models import SiteClosure, utcnow
from portal.core.permissions import Role
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_staff
from tests.support.sampling import JOURNEY_LIMITS, resident_id
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow
WIDTH = 360


@pytest.fixture
def app_settings() -> dict[str, object]:
    """The journey books a sampling time: form limits a booking journey cannot reach."""
    return dict(JOURNEY_LIMITS)


def _submit(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_phone_pages_after_the_polish(app, live_server, browser, demo_sites, language):
    page = new_page(browser, language, width=WIDTH, height=740)
    shot = lambda step: assert_accessible(page, f"polish-{language}-{step}")  # noqa: E731
    serial = "5" if language == "zh" else "6"

    # Sampling: the site filter by city includes the districts and county-level cities.
    page.goto(live_server + "/sampling/who")
    page.check("input[name=role][value=parent]")
    page.check("input[name=party_size][value='1']")
    _submit(page)
    page.fill("input[name=missing_name]", "王小明")
    page.check("input[name=missing_sex][value=male]")
    page.fill("input[name=missing_born]", "2003")
    page.fill("input[name=last_seen_on]", "2008-06-01")
    page.fill("input[name=last_seen_place]", "四川省成都市")
    page.check("input[name=sampled_before][value=no]")
    _submit(page)
    page.fill("input[name=attendees-0-name]", "王秀英")
    page.fill("input[name=attendees-0-document_number]", resident_id(serial=f"{serial}01"))
    page.fill("input[name=attendees-0-phone]", "+86 138 0013 8000")
    _submit(page)
    page.goto(live_server + "/sampling/sites?city=南通市")
    shot("sites-nantong")
    assert page.locator("main .site-card").count() == len(demo_sites)
    page.locator("main a.button").first.click()
    page.locator("main .day-list a").first.click()
    page.locator("input[name=slot]").first.check()
    _submit(page)
    page.check("input[name=consent]")
    _submit(page)
    page.wait_for_url(re.compile(r"/sampling/check$"))
    shot("sampling-check")
    main = page.locator("main").inner_text()
    assert "138 0013 8000" in main and "+86" not in main
    assert ("2008年6月1日，四川省成都市" if language == "zh" else "1 June 2008, 四川省成都市") in main
    # Change Person 1, Continue: back on the check page, not on "Choose a sampling site".
    page.locator("main a[href*='/sampling/attendees?change=1']").first.click()
    page.fill("input[name=attendees-0-name]", "王秀兰")
    _submit(page)
    page.wait_for_url(re.compile(r"/sampling/check$"))
    assert "王秀兰" in page.locator("main").inner_text()
    shot("sampling-check-after-change")

    # Tips: the one date box, its hint's examples in the page's language, a date refused and
    # kept as typed, and the province page's button in change mode.
    page.goto(live_server + "/tips/report")
    page.check("input[name=child_in_danger][value=no]")
    _submit(page)
    page.goto(live_server + "/tips/report/when")
    shot("tip-when")
    assert ("1990年5月17日" if language == "zh" else "17 May 1990") in page.locator("#seen_date-hint").inner_text()
    page.fill("input[name=seen_date]", "2025年2月31日")
    _submit(page)
    shot("tip-when-refused")
    assert page.input_value("input[name=seen_date]") == "2025年2月31日"
    assert ("真实存在的日期" if language == "zh" else "Enter a real date") in page.locator("#seen_date-error").inner_text()
    page.goto(live_server + "/tips/report/where?change=1")
    shot("tip-province-change")
    assert page.locator("main button[type=submit]").first.inner_text() == ("继续" if language == "zh" else "Continue")

    # Staff: closures with their remove button, and the dashboard charts.
    admin = create_staff(Role.ADMIN, username=f"admin-{language}")
    site = demo_sites[0]
    db.session.add(SiteClosure(site_id=site.id, starts_on=utcnow().date() + timedelta(days=9),
                               ends_on=utcnow().date() + timedelta(days=9), reason="设备检修"))
    db.session.commit()
    staff = new_page(browser, language, width=WIDTH, height=740)
    sign_in_page(staff, live_server, admin.username)
    staff.goto(live_server + f"/staff/sampling/sites/{site.id}/closures")
    assert_accessible(staff, f"polish-{language}-closures")
    staff.locator("main .closure-list button").first.click()
    staff.wait_for_load_state()
    assert staff.locator("main .closure-list").count() == 0
    assert_accessible(staff, f"polish-{language}-closure-removed")
    staff.goto(live_server + "/staff/dashboard")
    assert_accessible(staff, f"polish-{language}-dashboard")

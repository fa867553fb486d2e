"""The end of a visit at the desk, in a real Chromium: a family of two where one did not come (one
tube saved, the visit closed with a reason, one SMS naming whose sample was not taken), the
booking's case details shown; and a walk-in registered with case details. Screenshots
`test-artifacts/screenshots/visit-desk-zh-<width>.png` (the desk page with the case details and
the close-the-visit form, at 360 and 1280 pixels), `visit-closed-zh-360.png` (after closing), `visit-record-zh-360.png` (its printed record) and
`visit-walk-in-zh-360.png`, each page
checked with axe-core and the Nu HTML Checker."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, IntakeItem, OutboundMessage
from portal.sampling.booking import book_appointment
from portal.sampling.desk import check_in
from portal.sampling.notices import CHECKED_IN_PURPOSE, VISIT_CLOSED_PURPOSE
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_site
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import resident_id
from tests.support.staff import sign_in_page
from tests.support.tubes import desk_staff, today_slot

pytestmark = pytest.mark.slow

CASE = {"missing_name": "王小明", "missing_sex": "male", "missing_born": "2003~", "last_seen_on": "2008-06",
        "last_seen_place": "成都火车站", "police_report": "川公刑2008-117", "sampled_before": "no"}


def test_a_family_of_two_where_one_did_not_come_is_told_once_and_a_walk_in_is_registered_with_case_details(
        app, live_server, browser):  # type: ignore[no-untyped-def]
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    site.minimum_notice_minutes = 0
    family = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone="+8613800138000",
        attendees=[("王秀英", "parent", resident_id(serial="401"), None), ("李建国", "parent", resident_id(serial="402"), None)],
        consent=True, language="zh", case_details=CASE)
    db.session.commit()
    check_in(family, site, actor_id=None)
    db.session.commit()
    reference = family.item.reference
    second = family.attendees[1]

    page = new_page(browser, "zh", width=360, height=800)
    sign_in_page(page, live_server, "desk")
    page.goto(f"{live_server}/staff/sampling/appointments/{reference}")
    page.locator(f"input[name=tube-{family.attendees[0].id}]").fill("NT-0001")
    page.locator(f"form[action$='/{reference}/samples'] button[type=submit]").click()
    page.wait_for_load_state()
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.item_id == family.item_id,
                                                            OutboundMessage.purpose == CHECKED_IN_PURPOSE)).all() == []
    case = page.locator(".case-details").inner_text()
    assert "王小明" in case and "约2003年" in case and "2008年6月" in case
    close = page.locator(f"form[action$='/{reference}/close-visit']")
    assert close.locator("select").count() == 1  # only the person not sampled
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page, "visit-desk-zh-360")
    assert_valid_html(page.content(), "visit-desk-zh-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page, "visit-desk-zh-1280")
    page.set_viewport_size({"width": 360, "height": 800})

    close.locator(f"select[name=reason-{second.id}]").select_option("did_not_come")
    close.locator(f"input[name=note-{second.id}]").fill("在外地打工")
    close.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "本次采血已结束" in page.locator("main").inner_text()
    assert page.locator(f"form[action$='/{reference}/close-visit']").count() == 0
    assert "在外地打工" in page.locator("#visit-closed + p + dl").inner_text()
    assert_accessible(page, "visit-closed-zh-360")
    page.goto(f"{live_server}/staff/sampling/appointments/{reference}/record")
    record = page.locator("main").inner_text()
    assert "王小明" in record and "NT0001" in record and "未采血（未到场）" in record
    assert_accessible(page, "visit-record-zh-360")
    db.session.expire_all()
    sent = db.session.scalars(select(OutboundMessage).where(OutboundMessage.item_id == family.item_id,
                                                            OutboundMessage.purpose.in_(
                                                                [CHECKED_IN_PURPOSE, VISIT_CLOSED_PURPOSE]))).all()
    assert len(sent) == 1 and "第2位（父母）未采血" in sent[0].body and "李建国" not in sent[0].body
    assert db.session.get(IntakeItem, family.item_id).status == "closed"

    page.goto(f"{live_server}/staff/sampling/sites/{site.id}/walk-in?people=1")
    page.fill("input[name=attendees-0-name]", "赵六")
    page.select_option("select[name=attendees-0-document_type]", "resident_id")
    page.fill("input[name=attendees-0-document_number]", resident_id(serial="903"))
    page.fill("input[name=attendees-0-phone]", "137 0013 7000")
    page.fill("input[name=case-missing_name]", "赵小军")
    page.fill("input[name=case-missing_born]", "1995年3月")
    page.fill("input[name=case-last_seen_place]", "南通汽车站")
    page.check("input[name=consent]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page, "visit-walk-in-zh-360")
    assert_valid_html(page.content(), "visit-walk-in-zh-360")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/staff/sampling/appointments/" in url)
    case = page.locator(".case-details").inner_text()
    assert "赵小军" in case and "1995年3月" in case and "南通汽车站" in case
    walk_in = db.session.scalars(select(Appointment).where(Appointment.walk_in.is_(True))).one()
    assert walk_in.case_details and "赵小军" in walk_in.case_details
    page.context.close()

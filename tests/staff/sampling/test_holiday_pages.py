"""Public holidays on the admins' site pages: the warning for a year whose official schedule is not
published yet, a holiday reopened for one site (audited), and bookings left on a day now closed."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, SiteDayOverride
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment
from portal.sampling.slots import available_days, open_slots_ahead, slots_for_day
from tests.support.factories import create_site, create_staff
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.sampling import resident_id
from tests.support.staff import browser, control_clock, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
WARNING_2029 = ("The official holiday schedule for 2029 is not published yet: statutory days are closed by rule; "
                "no weekend make-up day is open until you confirm it.")


def _admin(app):  # type: ignore[no-untyped-def]
    create_staff(Role.ADMIN, username="boss")
    client = browser(app)
    assert sign_in(client, "boss").status_code == 303
    return client


def test_admins_are_warned_on_the_site_pages_of_a_year_whose_schedule_is_not_published(app, monkeypatch):
    control_clock(monkeypatch, datetime(2029, 1, 15, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = _admin(app)

    for url in ("/staff/sampling/sites", f"/staff/sampling/sites/{site.id}/edit",
                f"/staff/sampling/sites/{site.id}/closures", f"/staff/sampling/sites/{site.id}/holidays"):
        page, _ = get_page(admin, url, headers=EN)
        assert WARNING_2029 in text_of(page), url
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=ZH)
    assert "2029年的官方放假安排尚未公布" in text_of(page)
    assert "春节" in text_of(page)  # the computed Spring Festival days are listed, closed


def test_no_warning_when_the_horizon_stays_within_published_schedules(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    create_site()
    admin = _admin(app)
    page, _ = get_page(admin, "/staff/sampling/sites", headers=EN)
    assert "is not published yet" not in text_of(page)


def test_an_admin_reopens_a_holiday_for_one_site_and_the_decision_is_audited(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    open_slots_ahead()
    db.session.commit()
    admin = _admin(app)
    assert date(2027, 1, 1) not in available_days(site)

    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=EN)
    assert "New Year's Day" in text_of(page)
    saved = admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=EN, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "day": "2027-01-01", "decision": "open",
        "reason": "元旦照常采血"})
    assert saved.status_code == 303

    assert date(2027, 1, 1) in available_days(site)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "site_day_decided")).one()
    assert "open" in str(event.changes["day_open"])
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=EN)
    assert "Open (reopened by staff)" in text_of(page)
    # The message says the day as the other staff pages do, and the undo button says what it does.
    assert "Saved. The site is open on Friday 1 January 2027." in text_of(page)
    assert "2027-01-01" not in text_of(page)
    assert "Undo: follow the official schedule Friday 1 January 2027" in text_of(page)

    decision = db.session.scalars(select(SiteDayOverride)).one()
    undone = admin.post(f"/staff/sampling/sites/{site.id}/holidays/{decision.id}/remove",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert undone.status_code == 303
    assert date(2027, 1, 1) not in available_days(site)


def test_a_day_outside_the_booking_horizon_is_refused_and_kept_as_typed(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = _admin(app)
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=EN)
    refused = admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=EN, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "day": "2028-05-01", "decision": "open"})
    assert refused.status_code == 200
    assert "Enter a day from 2026-12-20 to 2027-02-17" in text_of(refused)
    assert 'value="2028-05-01"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(SiteDayOverride)).all() == []


def test_a_decision_on_an_ordinary_weekday_is_refused_in_both_languages_and_kept_as_typed(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = _admin(app)
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=EN)
    token = csrf_token(page.get_data(as_text=True))
    for decision, headers, words in (
            ("open", EN, "Tuesday 8 December 2026 is not a public holiday, a make-up working day or a weekend day this site is "
                         "closed on, so there is nothing to open"),
            ("open", ZH, "2026年12月8日（星期二）既不是法定节假日、调休上班日，也不是本采血点不开放的周末"),
            ("closed", EN, "To close the site on an ordinary day, add a closure on the Closures page"),
            ("closed", ZH, "如需在平常日子关闭采血点，请在“停开日期”页面添加")):
        refused = admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=headers, data={
            "csrf_token": token, "day": "2026-12-08", "decision": decision, "reason": "周二加开"})
        assert refused.status_code == 200
        assert words in text_of(refused), words
        html = refused.get_data(as_text=True)
        assert 'value="2026-12-08"' in html and 'value="周二加开"' in html
        assert re.search(rf'value="{decision}"[^>]*checked|checked[^>]*value="{decision}"', html)
    assert db.session.scalars(select(SiteDayOverride)).all() == []
    # A Saturday the site does not open on can still be confirmed as a make-up working day.
    saved = admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=EN, data={
        "csrf_token": token, "day": "2026-12-12", "decision": "open", "reason": "调休上班"})
    assert saved.status_code == 303


def test_a_booking_on_a_day_the_site_now_closes_is_listed_on_the_warning(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 2, 1, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    open_slots_ahead()
    db.session.commit()
    # A family booked the make-up Saturday; then the site decides to skip it.
    slot = slots_for_day(site, date(2026, 2, 28))[0]
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name="王秀英", applicant_phone="+8613800138000",
        attendees=[("王秀英", "parent", resident_id(), None)], consent=True, language="zh")
    db.session.commit()
    admin = _admin(app)
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=EN)
    admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=EN, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "day": "2026-02-28", "decision": "closed"})

    for url in ("/staff/sampling/sites", f"/staff/sampling/sites/{site.id}/holidays"):
        page, _ = get_page(admin, url, headers=EN)
        assert "1 booking is on a day the site no longer opens" in text_of(page)
        assert appointment.item.reference in text_of(page)


def test_site_staff_read_that_an_admin_confirms_make_up_days_on_their_closure_proposal_page(app, monkeypatch):
    control_clock(monkeypatch, datetime(2029, 1, 15, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    create_staff(Role.SITE_STAFF, username="desk", sites=[site])
    client = browser(app)
    assert sign_in(client, "desk").status_code == 303

    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/closures/propose", headers=EN)
    assert WARNING_2029.replace("until you confirm it", "until an admin confirms it") in text_of(page)
    assert "until you confirm it" not in text_of(page)
    page, _ = get_page(client, f"/staff/sampling/sites/{site.id}/closures/propose", headers=ZH)
    assert "需经管理员确认后才开放" in text_of(page) and "需经您确认" not in text_of(page)


def test_a_day_closed_on_the_holidays_page_is_confirmed_in_chinese_with_the_date_written_out(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 2, 1, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = _admin(app)
    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=ZH)
    saved = admin.post(f"/staff/sampling/sites/{site.id}/holidays", headers=ZH, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "day": "2026-02-28", "decision": "closed"})
    assert saved.status_code == 303

    page, _ = get_page(admin, f"/staff/sampling/sites/{site.id}/holidays", headers=ZH)
    assert "已保存。2026年2月28日（星期六）本采血点不开放。" in text_of(page)
    assert "撤销决定，按官方放假安排" in text_of(page)


def test_the_booking_page_of_a_public_holiday_says_the_site_is_closed_and_that_no_sms_was_sent(app, monkeypatch):
    from portal.sampling.slots import open_slots_ahead as open_ahead
    from tests.support.sampling import slot_at
    from tests.support.staff import create_appointment

    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    open_ahead()
    # Booked before the site knew of the holiday (a library upgrade brought the schedule).
    item = create_appointment(slot_at(site, date(2027, 1, 1), 2))
    create_staff(Role.SITE_STAFF, username="desk", sites=[site])
    desk = browser(app)
    assert sign_in(desk, "desk").status_code == 303

    page, _ = get_page(desk, f"/staff/sampling/appointments/{item.reference}", headers=EN)
    assert "The site is closed on this booking's day for a public holiday (New Year's Day)." in text_of(page)
    assert "No text message is sent for a holiday: move the booking, or call the family." in text_of(page)
    page, _ = get_page(desk, f"/staff/sampling/appointments/{item.reference}", headers=ZH)
    assert "元旦" in text_of(page)

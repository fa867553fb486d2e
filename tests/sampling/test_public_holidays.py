"""China's public holidays close sites, weekend make-up working days open them, and staff decide
otherwise for one day of one site (portal.core.public_holidays, portal.sampling.site_calendar)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from portal.core import public_holidays
from portal.core.extensions import db
from portal.core.models import ApplicantRole, OpeningPeriod
from portal.sampling.booking import SiteClosed, book_appointment
from portal.sampling.holiday_admin import decide_day, unpublished_years_ahead
from portal.sampling.slots import available_days, open_slots_ahead, slots_for_day
from tests.support.factories import create_site, create_staff
from tests.support.sampling import resident_id, slot_at
from tests.support.staff import control_clock

SHANGHAI_9AM = time(1, 0)  # 09:00 in Asia/Shanghai, as UTC


def _at(day: date) -> datetime:
    return datetime.combine(day, SHANGHAI_9AM, tzinfo=timezone.utc)


def _every_day_site(name: str):  # type: ignore[no-untyped-def]
    site = create_site(name=name)
    for weekday in (5, 6):
        site.opening_periods.append(OpeningPeriod(weekday=weekday, opens_at=time(9), closes_at=time(12)))
    db.session.commit()
    return site


def test_new_years_day_2027_is_not_offered_at_any_site(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    weekday_site = create_site()
    every_day_site = _every_day_site("如东县公安局")
    open_slots_ahead()
    # A slot opened before the site knew of the holiday is neither offered nor bookable.
    early = slot_at(weekday_site, date(2027, 1, 1), 2)
    db.session.commit()

    for site in (weekday_site, every_day_site):
        assert date(2027, 1, 1) not in available_days(site)
        assert slots_for_day(site, date(2027, 1, 1)) == []
        assert date(2026, 12, 31) in available_days(site)  # the working day before stays open
    with pytest.raises(SiteClosed):
        book_appointment(slot_id=early.id, applicant_role=ApplicantRole.PARENT, applicant_name="王秀英",
                         applicant_phone="+8613800138000", attendees=[("王秀英", "parent", resident_id(), None)],
                         consent=True, language="zh")


def test_the_spring_festival_2027_is_closed(app, monkeypatch):
    control_clock(monkeypatch, datetime(2027, 1, 20, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    open_slots_ahead()
    db.session.commit()

    days = available_days(site)
    # New Year's Eve (Friday 5 February) and the third day (Monday 8 February): statutory days
    # off under the Measures as revised in 2024 (State Council Order No. 795).
    assert date(2027, 2, 5) not in days and date(2027, 2, 8) not in days
    assert date(2027, 1, 27) in days


def test_a_weekend_make_up_working_day_is_offered_at_a_weekday_site_with_the_hours_of_the_day_it_stands_for(
        app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 2, 1, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    site.opening_periods[0].closes_at = time(12)  # Mondays 09:00-12:00; Tuesday to Friday 09:00-17:00
    db.session.commit()
    open_slots_ahead()
    db.session.commit()

    # The 2026 schedule (国务院办公厅, November 2025): Saturday 14 February works for Friday
    # 20 February, Saturday 28 February for Monday 23 February; both of those are days off.
    assert public_holidays.make_up_days(date(2026, 2, 1), date(2026, 3, 1)) == {
        date(2026, 2, 14): public_holidays.MakeUpDay(date(2026, 2, 14), 4),
        date(2026, 2, 28): public_holidays.MakeUpDay(date(2026, 2, 28), 0),
    }
    days = available_days(site)
    assert date(2026, 2, 14) in days and date(2026, 2, 28) in days
    assert date(2026, 2, 20) not in days and date(2026, 2, 23) not in days
    assert date(2026, 2, 21) not in days and date(2026, 3, 1) not in days  # ordinary weekend days
    assert len(slots_for_day(site, date(2026, 2, 14))) == 24  # a Friday's 09:00-17:00
    assert len(slots_for_day(site, date(2026, 2, 28))) == 9  # a Monday's 09:00-12:00


def test_a_site_that_skips_a_make_up_working_day_is_closed_that_day(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 2, 1, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = create_staff(username="boss")
    decide_day(site, date(2026, 2, 28), False, "人手不足", actor_id=admin.id)
    open_slots_ahead()
    db.session.commit()

    assert date(2026, 2, 28) not in available_days(site)
    assert date(2026, 2, 14) in available_days(site)


def test_a_staff_decision_reopens_a_holiday_at_that_site_only(app, monkeypatch):
    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    other = create_site(name="海门市公安局")
    admin = create_staff(username="boss")
    open_slots_ahead()
    db.session.commit()

    decide_day(site, date(2027, 1, 1), True, "元旦照常采血", actor_id=admin.id)
    db.session.commit()

    assert date(2027, 1, 1) in available_days(site)
    assert len(slots_for_day(site, date(2027, 1, 1))) == 24
    assert date(2027, 1, 1) not in available_days(other)


def test_in_a_year_the_library_has_no_schedule_for_the_spring_festival_is_closed_by_rule_and_no_weekend_day_opens_until_confirmed(
        app, monkeypatch):
    assert not public_holidays.is_published(2029)
    control_clock(monkeypatch, datetime(2029, 1, 15, 2, 0, tzinfo=timezone.utc))
    site = create_site()
    admin = create_staff(username="boss")
    open_slots_ahead()
    db.session.commit()

    assert unpublished_years_ahead([site]) == [2029]
    days = available_days(site)
    # Spring Festival 2029: New Year's Eve Monday 12 February, then Tuesday 13 to Thursday 15
    # February (the lunar dates computed by the library).
    for day in (date(2029, 2, 12), date(2029, 2, 13), date(2029, 2, 14), date(2029, 2, 15)):
        assert day not in days
    assert date(2029, 2, 16) in days
    assert all(day.weekday() < 5 for day in days)  # no weekend make-up day guessed

    # Staff confirm Saturday 24 February as a make-up working day: it opens with Monday's hours
    # (the site's first weekday), since the schedule is not there to say which day it stands for.
    decide_day(site, date(2029, 2, 24), True, "2029年调休上班", actor_id=admin.id)
    db.session.commit()
    assert date(2029, 2, 24) in available_days(site)
    assert [slot.starts_at for slot in slots_for_day(site, date(2029, 2, 24))][0] == _at(date(2029, 2, 24))
    assert date(2029, 2, 25) not in available_days(site)


def test_the_days_off_of_a_published_year_are_the_notices(app):
    # 2026 (国务院办公厅, November 2025): National Day and Mid-Autumn 1 to 7 October.
    off = public_holidays.days_off(date(2026, 10, 1), date(2026, 10, 9))
    assert [day for day in sorted(off) if day.weekday() < 5] == [
        date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)]
    assert public_holidays.days_off(date(2027, 1, 1), date(2027, 1, 1))[date(2027, 1, 1)].name("zh") == "元旦"

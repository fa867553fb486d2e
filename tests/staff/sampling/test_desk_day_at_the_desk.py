"""What a day at the sampling desk showed (issue 18, a tester's day): a walk-in is registered only
with the family's consent (and a guardian's for a child under 14), a booking marked "did not come"
by mistake is checked in on its day, the day list tells a finished visit, the next family is one
scan away, a day is reached by its date, and the family's SMS language is asked."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment
from tests.support.factories import create_site
from tests.support.helpers import parse_page, post_form
from tests.support.sampling import CHILD_ID, next_weekday, resident_id, slot_at
from tests.support.staff import browser
from tests.support.tubes import EN, ZH, desk_staff, page_text, signed_in


def _walk_in_answers(document_number: str) -> dict[str, str]:
    return {"attendees-0-name": "赵六", "attendees-0-relationship": "parent", "attendees-0-document_type": "resident_id",
            "attendees-0-document_number": document_number, "attendees-0-phone": "137 0013 7000"}


def _checked(response, name: str) -> bool:  # type: ignore[no-untyped-def]
    box = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.get_data(as_text=True))
    assert box, f"no {name} box"
    return " checked" in box.group(0)


def test_a_walk_in_is_refused_without_the_familys_consent_and_a_guardians_for_a_child_keeping_what_was_typed(app):
    site = create_site()
    desk_staff(site)
    desk = signed_in(browser(app), "desk")
    walk_in = f"/staff/sampling/sites/{site.id}/walk-in?people=1"

    no_consent = post_form(desk, walk_in, {**_walk_in_answers(resident_id(serial="901")),
                                           "case-missing_name": "赵小军"}, headers=EN)
    assert no_consent.status_code == 200
    assert "Ask the family for their consent, then tick the box." in page_text(no_consent)
    typed = parse_page(no_consent.get_data(as_text=True)).inputs
    assert typed["attendees-0-name"] == "赵六" and typed["case-missing_name"] == "赵小军"

    child = post_form(desk, walk_in, {**_walk_in_answers(CHILD_ID), "consent": "y"}, headers=ZH)
    assert child.status_code == 200
    assert "第1位未满14岁：请征得其父母或监护人同意，再勾选此项。" in page_text(child)
    assert _checked(child, "consent") and not _checked(child, "guardian_consent")
    assert db.session.scalars(select(Appointment)).all() == []

    registered = post_form(desk, walk_in, {**_walk_in_answers(CHILD_ID), "consent": "y", "guardian_consent": "y"},
                           headers=ZH)
    assert registered.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.walk_in and appointment.guardian_consent and appointment.consent_given_at is not None


def test_booking_for_a_family_says_by_the_box_when_a_child_needs_a_guardians_consent_and_keeps_the_ticks(app):
    site = create_site()
    desk_staff(site)
    slot = slot_at(site, next_weekday(3), 1)
    desk = signed_in(browser(app), "desk")
    answers = {**_walk_in_answers(CHILD_ID), "slot": str(slot.id), "consent": "y"}
    refused = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", answers, headers=EN)
    assert refused.status_code == 200
    assert "Person 1 is under 14: ask a parent or guardian for their consent, then tick the box." in page_text(refused)
    assert _checked(refused, "consent")
    no_consent = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1",
                           {**answers, "consent": "", "guardian_consent": "y"}, headers=EN)
    assert "Ask the family for their consent, then tick the box." in page_text(no_consent)
    assert _checked(no_consent, "guardian_consent") and not _checked(no_consent, "consent")
    assert db.session.scalars(select(Appointment)).all() == []

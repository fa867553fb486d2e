"""A booking's staff item page names the attendees' relationship in the staff member's language (the
item page's other words: tests/staff/test_item_words.py)."""

from __future__ import annotations

from portal.core.extensions import db
from portal.core.models import ApplicantRole
from portal.core.permissions import Role
from tests.support.factories import create_site, create_staff
from tests.support.helpers import get_page, text_of
from tests.support.sampling import book, next_weekday, resident_id, slot_at
from tests.support.staff import browser, sign_in


def test_the_chinese_staff_item_page_names_the_attendees_relationship_in_chinese(app):
    slot = slot_at(create_site(), next_weekday(), 1)
    appointment = book(slot, [resident_id(serial="782")])
    appointment.attendees[0].relationship_to_missing = ApplicantRole.RELATIVE.value
    db.session.commit()
    reference = appointment.item.reference
    user = create_staff(Role.ADMIN)
    client = browser(app)
    client.set_cookie("lang", "zh")
    assert sign_in(client, user.username).status_code == 303

    response, _page = get_page(client, f"/staff/items/{reference}", headers={"Accept-Language": "zh"})

    page_text = text_of(response)
    assert "亲属" in page_text and "父母" in page_text
    assert "relative" not in page_text and "parent" not in page_text

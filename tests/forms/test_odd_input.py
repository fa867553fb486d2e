"""Odd input in any portal form never causes a 500: every form drops NUL, zero-width and
bidirectional control characters and takes an answer of only spaces as no answer (portal/forms/base.py), in a tip, a booking and a staff sign-in;
a long answer is kept whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Tip
from tests.support.helpers import post_form


def test_nul_characters_in_a_tip_are_dropped_and_the_tip_is_kept(client):
    from tests.support.tips import send_tip

    response = send_tip(client, description="a child\x00 at the station", place="north\x00 gate")
    assert response.status_code == 303
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == "a child at the station" and tip.place == "north gate"


def test_nul_characters_in_a_login_name_do_not_break_the_login_page(client):
    response = post_form(client, "/staff/login", {"username": "admin\x00", "password": "whatever-password"},
                         headers={"Accept-Language": "en"})
    assert response.status_code == 400  # a failed sign-in, answered with the generic message
    assert "Enter a correct username and password" in response.get_data(as_text=True)


def test_a_very_long_place_is_kept_whole(client):
    from tests.support.tips import send_tip

    place = "地" * 480
    response = send_tip(client, place=place)
    assert response.status_code == 303
    tip = db.session.scalars(select(Tip)).one()
    assert tip.place == place and tip.item.region_text == "江苏省南通市海门区 " + place


# The last two: what looks empty (a byte-order mark, zero-width spaces, a word joiner), which once passed as given.
@pytest.mark.parametrize("blank", [" ", "\t", "\u3000", "\x00", " \u3000\t", "\ufeff\u200b", "\u2060 \u200b"])
def test_a_required_answer_of_only_spaces_or_invisible_characters_is_asked_for_again(client, blank):
    from tests.support.tips import answer_page

    answer_page(client, "/tips/report", {"child_in_danger": "no"})
    response = answer_page(client, "/tips/report/what", {"category": "other", "description": blank},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Enter what you saw" in response.get_data(as_text=True)
    assert db.session.scalars(select(Tip)).all() == []


@pytest.mark.parametrize("blank", [" ", "\u3000", "\x00"])
def test_a_booking_with_blank_name_phone_or_identity_number_is_refused_without_a_500(client, blank):
    post_form(client, "/sampling/who", {"role": "seeking_birth_family", "party_size": "1"})
    post_form(client, "/sampling/about", {"remembered": "大树", "missing_born": "1990", "sampled_before": "no"})
    response = post_form(client, "/sampling/attendees", {
        "attendees-0-name": blank, "attendees-0-phone": blank, "attendees-0-document_number": blank,
        "attendees-0-relationship": "seeking_birth_family", "attendees-0-document_type": "resident_id",
    }, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for message in ("Enter the full name of each person", "Enter a mobile number",
                    "Enter the number of the identity document"):
        assert message in html


def test_bidirectional_controls_are_dropped_so_a_text_reads_on_staff_pages_as_it_was_typed(client):
    """A right-to-left override (U+202E) would make 明大王 show as 王大明 on a staff page."""
    from tests.support.tips import send_tip

    response = send_tip(client, description="\u202e一个孩子在车站\u202c", place="北\u2066门\u2069")
    assert response.status_code == 303
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == "一个孩子在车站" and tip.place == "北门"

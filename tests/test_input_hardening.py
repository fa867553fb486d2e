"""Odd input never causes a 500 or leaks: control characters, NUL bytes, redirects to other sites."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Tip
from portal.security.redirects import safe_next
from tests.helpers import post_form


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
     "https://evil.example", "/ /evil.example", "javascript:alert(1)", "/\x00/evil.example"],
)
def test_language_switch_never_redirects_to_another_site(target):
    assert safe_next(target, "/") == "/"


def test_language_switch_keeps_a_local_path_with_its_query():
    assert safe_next("/sampling/site/3?day=2026-12-03", "/") == "/sampling/site/3?day=2026-12-03"


def test_language_switch_with_encoded_tab_or_newline_answers_a_local_redirect(client):
    for encoded in ("/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example"):
        response = client.get(f"/language/en?next={encoded}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


def test_nul_characters_in_a_tip_are_dropped_and_the_tip_is_kept(client):
    from tests.tips_helpers import send_tip

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
    from tests.tips_helpers import send_tip

    place = "地" * 480
    response = send_tip(client, place=place)
    assert response.status_code == 303
    tip = db.session.scalars(select(Tip)).one()
    assert tip.place == place and tip.item.region_text == "江苏省南通市海门区 " + place


def test_the_development_server_logs_no_client_address_for_a_tip(app):
    """THREATS.md: no IP address in the request logs of tip routes. The real server, a real request."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logging.getLogger("werkzeug").addHandler(handler)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/tips/report") as response:
            assert response.status == 200
    finally:
        server.shutdown()
        logging.getLogger("werkzeug").removeHandler(handler)
    assert not [line for line in records if "127.0.0.1" in line]


def test_a_database_error_message_never_carries_the_submitted_values(app):
    from sqlalchemy.exc import IntegrityError

    from portal.models import InboundMessage

    for _ in range(2):
        db.session.add(InboundMessage(provider_message_id="SM-MARKER-4242", from_phone_hash="h",
                                      body="secret body 13800138000"))
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    # PostgreSQL itself names a duplicate key's value; every unique column here holds an id or an
    # HMAC, never a personal value. The bound values (the body) must not appear.
    assert "13800138000" not in str(caught.value) and "secret body" not in str(caught.value)


@pytest.mark.parametrize("blank", [" ", "\t", "\u3000", "\x00", " \u3000\t"])
def test_a_required_answer_of_only_spaces_is_asked_for_again(client, blank):
    from tests.tips_helpers import answer_page

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


@pytest.mark.parametrize("born", ["20300101", "18000101"])
def test_an_identity_number_with_an_impossible_birth_date_is_refused(born):
    from stdnum.cn import ric

    from portal.forms.fields import InvalidResidentId, normalise_resident_id

    body = "110105" + born + "002"
    with pytest.raises(InvalidResidentId):
        normalise_resident_id(body + ric.calc_check_digit(body + "0"))  # the check character is ignored


@pytest.mark.parametrize("number", ["320602197503120015", "320623197601010030"])
def test_a_resident_id_keeps_an_area_code_created_after_the_birth_year_and_is_accepted(number):
    """Nantong's 崇川区 (320602) and 如东县 (320623) are listed from 1983; people born before then
    hold numbers issued later with those codes."""
    from portal.forms.fields import normalise_resident_id

    assert normalise_resident_id(number) == number


@pytest.mark.parametrize("body", ["99999919750312001", "32060219750230001"])
def test_a_resident_id_with_an_area_code_never_listed_or_an_unreal_date_is_refused(body):
    from stdnum.cn import ric

    from portal.forms.fields import InvalidResidentId, normalise_resident_id

    with pytest.raises(InvalidResidentId):
        normalise_resident_id(body + ric.calc_check_digit(body + "0"))

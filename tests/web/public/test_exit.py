""""Exit this page" (/exit) forgets what the visitor's browser left on the portal, then leaves.

A plain GET link on every public page: it deletes the tip and booking drafts (rows, photos and
cookies), stops showing a sent tip's follow-up code, and drops the public pages' session keys,
then redirects to EXIT_PAGE_URL. The browser journeys (real Chromium, with and without JavaScript)
are in tests/browser/test_exit.py.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.forgetting import EXTENSION, forget_visitor
from portal.core.models import Appointment, SamplingDraft, Tip, TipDraft, TipPhoto
from portal.core.permissions import Role
from tests.support.factories import create_site, create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, post_form, text_of
from tests.support.sampling import (
    JOURNEY_LIMITS, PARENT_CASE, attendee_fields, book_on_web, next_weekday, person, slot_at,
)
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH, answer_page, fill_journey, jpeg_bytes, send_tip, visitor_client

NEUTRAL = "https://exit.example/weather"
EXIT_LINK = re.compile(r'<a href="/exit" class="exit-this-page" data-exit-this-page rel="noreferrer">')
SCRIPT = '<script src="/static/js/exit-this-page.js" defer></script>'


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    return tmp_path / "tip-photos"


@pytest.fixture
def client(app, app_factory, photo_dir):
    return visitor_client(app_factory, tip_photo_dir=str(photo_dir), exit_page_url=NEUTRAL, **JOURNEY_LIMITS)


def leave(client):
    """Follow the exit link as a browser without JavaScript does: one GET."""
    response = client.get("/exit")
    assert response.status_code == 303 and response.headers["Location"] == NEUTRAL
    return response


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def deleted_cookie(response, name: str, path: str) -> bool:
    """Whether the response tells the browser to delete cookie `name` of `path`."""
    return any(c.startswith(f"{name}=; ") and "Max-Age=0" in c and f"Path={path};" in c
               for c in response.headers.getlist("Set-Cookie"))


def session_keys(client) -> set[str]:
    with client.session_transaction() as session:
        return set(session.keys())


def test_exit_is_a_plain_get_link_that_goes_to_the_neutral_page_even_for_a_visitor_with_nothing(client):
    response = leave(client)
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "same-origin"  # the neutral site is not told where from


@pytest.mark.parametrize("headers", [EN, ZH])
def test_the_exit_link_and_its_script_are_on_every_public_page_a_frightened_person_can_land_on(
        client, app, headers):
    fill_journey(client, headers)
    urls = ["/", "/privacy", "/tips/report", "/tips/report/contact", "/tips/report/check", "/tips/status",
            "/sampling/", "/sampling/who", "/sampling/manage", "/no-such-page"]
    words = "Exit this page" if headers is EN else "立即离开本页"
    for url in urls:
        response = client.get(url, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 404), url
        assert EXIT_LINK.search(html) and words in text_of(response), url
        assert html.count(SCRIPT) == 1, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"


def test_staff_pages_have_no_exit_link(client, app):
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    staff = browser(app)
    for url in ("/staff/login", "/staff/no-such-page"):
        assert "exit-this-page" not in staff.get(url, headers=EN).get_data(as_text=True), url
    assert sign_in(staff, "officer").status_code == 303
    assert "exit-this-page" not in staff.get("/staff/queue", headers=EN).get_data(as_text=True)


def test_exit_deletes_an_unsent_tip_with_its_name_mobile_and_photos_and_its_cookie(client, photo_dir):
    fill_journey(client, EN, contact_name="王芳", contact_phone="138 0013 8000")
    answer_page(client, "/tips/report/photos", {"action": "upload", "photos": [(io.BytesIO(jpeg_bytes()), "a.jpg")]},
                EN, files=True)
    assert "王芳" in text_of(client.get("/tips/report/check", headers=EN))
    assert count(TipDraft) == 1 and count(TipPhoto) == 1 and len(list(photo_dir.glob("*.jpg"))) == 1

    response = leave(client)

    # The cookie goes, and so does one set on its former path (/tips) before the exit link needed it at /.
    assert deleted_cookie(response, "tip_draft", "/") and deleted_cookie(response, "tip_draft", "/tips")
    assert client.get_cookie("tip_draft") is None
    assert count(TipDraft) == 0 and count(TipPhoto) == 0 and not list(photo_dir.glob("*.jpg"))
    # Starting again shows nothing typed: later pages send the visitor back to the first question.
    assert client.get("/tips/report/check").headers["Location"].endswith("/tips/report")
    assert client.get("/tips/report/contact").headers["Location"].endswith("/tips/report")
    first, _ = get_page(client, "/tips/report", headers=EN)
    assert "checked" not in first.get_data(as_text=True)


def test_exit_forgets_even_a_draft_whose_cookie_came_back_after_it_expired(client):
    fill_journey(client, EN, contact_name="王芳")
    draft = db.session.scalar(select(TipDraft))
    draft.expires_at = draft.created_at - timedelta(minutes=1)
    db.session.commit()
    leave(client)
    assert count(TipDraft) == 0


def test_a_sent_tip_shows_its_code_on_refresh_and_print_until_exit_then_never_again(client):
    send_tip(client, EN, contact_name="王芳", contact_phone="138 0013 8000")
    tip = db.session.scalar(select(Tip))
    code, reference = tip.follow_up_code_display, tip.item.reference
    for url in ("/tips/confirmation", "/tips/confirmation", "/tips/confirmation/print"):  # a refresh, then print
        page, _ = get_page(client, url, headers=EN)
        assert code in text_of(page) and reference in text_of(page), url

    leave(client)

    for url in ("/tips/confirmation", "/tips/confirmation/print"):
        response = client.get(url, headers=EN)
        assert response.status_code == 302 and response.headers["Location"].endswith("/tips/report"), url
        assert code not in response.get_data(as_text=True)
    db.session.expire_all()
    tip = db.session.scalar(select(Tip))
    # The code is gone from the server too; the report itself stays with the police.
    assert tip.follow_up_code_display is None and tip.follow_up_code_display_until is None
    assert tip.item.reference == reference and tip.contact_name == "王芳"
    assert count(TipDraft) == 0
    assert not session_keys(client) & {"tip_receipt", "tip_recent", "tip_receipt_unsaved"}


def test_exit_hides_the_code_shown_through_the_session_when_the_draft_cookie_was_lost(client):
    send_tip(client, EN)
    code = db.session.scalar(select(Tip)).follow_up_code_display
    client.delete_cookie("tip_draft")
    assert code in text_of(get_page(client, "/tips/confirmation", headers=EN)[0])
    leave(client)
    assert client.get("/tips/confirmation").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Tip)).follow_up_code_display is None


def test_exit_forgets_a_bots_pretend_receipt(client):
    fill_journey(client, EN, extra={"/tips/report/what": {"homepage": "http://spam.example"}})
    answer_page(client, "/tips/report/check", {}, EN)
    assert client.get("/tips/confirmation").status_code == 200
    leave(client)
    assert client.get("/tips/confirmation").status_code == 302


def test_exit_closes_a_tip_opened_with_its_follow_up_code(client):
    receipt = create_tip()
    page, _ = get_page(client, "/tips/status", headers=EN)
    client.post("/tips/status", headers=EN, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                 "reference": receipt.reference, "follow_up_code": receipt.follow_up_code})
    assert client.get("/tips/status/report", headers=EN).status_code == 200
    leave(client)
    response = client.get("/tips/status/report", headers=EN)
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/tips/status")


def test_exit_deletes_an_unsent_booking_with_its_names_and_identity_numbers_and_its_cookie(client):
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"}, headers=EN)
    post_form(client, "/sampling/about", PARENT_CASE, headers=EN)
    post_form(client, "/sampling/attendees", attendee_fields([person("王秀英")]), headers=EN)
    assert count(SamplingDraft) == 1
    response = leave(client)
    assert deleted_cookie(response, "sampling_draft", "/")
    assert client.get_cookie("sampling_draft") is None
    assert count(SamplingDraft) == 0
    who, _ = get_page(client, "/sampling/who", headers=EN)
    assert "checked" not in who.get_data(as_text=True)
    assert client.get("/sampling/attendees").status_code in (302, 303)


def test_exit_closes_a_booking_confirmation_and_a_booking_opened_to_change_it(client):
    site = create_site()
    slot = slot_at(site, next_weekday(), 2)
    booked = book_on_web(client, slot, [person(phone="139 0013 9000")], headers=EN)
    assert booked.status_code == 303
    confirmation, _ = get_page(client, "/sampling/confirmation", headers=EN)
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", text_of(confirmation)).group(0)
    manage = post_form(client, "/sampling/manage", {"reference": reference, "phone": "139 0013 9000"}, headers=EN)
    assert manage.status_code == 303
    assert client.get(manage.headers["Location"], headers=EN).status_code == 200

    leave(client)

    assert reference not in client.get("/sampling/confirmation", headers=EN).get_data(as_text=True)
    again = client.get(manage.headers["Location"], headers=EN)
    assert again.status_code in (302, 303) and reference not in again.get_data(as_text=True)
    assert count(SamplingDraft) == 0 and count(Appointment) == 1  # the booking itself stays
    assert not session_keys(client) & {"sampling_reference", "sampling_manage", "sampling_manage_done", "browser_secret"}


def test_after_exit_the_session_holds_nothing_a_public_page_put_there(client):
    send_tip(client, EN)
    site = create_site()
    book_on_web(client, slot_at(site, next_weekday(), 2), headers=EN)
    leave(client)
    assert session_keys(client) <= {"csrf_token", "_fresh"}


def test_exit_leaves_a_staff_sign_in_in_the_same_browser_alone(app):
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    staff = browser(app)
    assert sign_in(staff, "officer").status_code == 303
    staff.get("/exit")
    response = staff.get("/staff/queue", headers=EN)
    assert response.status_code == 200 and "Signed in as officer" in text_of(response)


def test_a_forgetter_that_fails_is_logged_and_the_others_still_forget_and_the_visitor_still_leaves(
        client, app, caplog):
    fill_journey(client, EN, contact_name="王芳")

    def broken() -> None:
        raise RuntimeError("database unreachable: 王芳")

    served = client.application
    served.extensions[EXTENSION] = (broken, *served.extensions[EXTENSION])
    leave(client)
    assert count(TipDraft) == 0
    assert "broken failed (RuntimeError)" in caplog.text and "王芳" not in caplog.text
    with served.test_request_context("/exit"):
        assert forget_visitor() == 1

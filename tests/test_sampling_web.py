"""Booking free DNA sampling on the web, in English and in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appointment, OutboundMessage, SiteClosure, Slot
from tests.factories import create_site
from tests.helpers import check_page, get_page, post_form, text_of
from tests.sampling_helpers import next_weekday, resident_id, slot_at

PHONE_TYPED = "138 0013 8000"
PHONE_E164 = "+8613800138000"


@pytest.fixture
def open_day(app):
    """A site with two free slots (09:00 and 09:20 Shanghai) on a weekday two or more days ahead."""
    site = create_site()
    day = next_weekday()
    first = slot_at(site, day, 1, 0)
    slot_at(site, day, 1, 20)
    return site, day, first


def use_language(client, language: str) -> None:
    client.set_cookie("lang", language)


def book_url(site, day) -> str:
    return f"/sampling/site/{site.id}/{day.isoformat()}"


def answers(chosen: Slot, **overrides: str) -> dict:
    values = dict(slot=str(chosen.id), name="王秀英", phone=PHONE_TYPED, id_number=resident_id(),
                  role="parent", consent="y")
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("language", "sms_start", "booked_heading", "weekday"),
    [("en", "Reference ", "Appointment booked", "day"), ("zh", "受理编号", "预约成功", "星期")],
)
def test_a_web_booking_ends_on_the_confirmation_and_queues_one_sms(client, open_day, language, sms_start,
                                                                   booked_heading, weekday):
    site, day, slot = open_day
    use_language(client, language)

    sites_page, _ = get_page(client, "/sampling/")
    assert site.name in text_of(sites_page) and "83309663" in text_of(sites_page)
    assert f'href="/sampling/site/{site.id}"' in sites_page.get_data(as_text=True)
    days_page, _ = get_page(client, f"/sampling/site/{site.id}")
    assert f'href="{book_url(site, day)}"' in days_page.get_data(as_text=True)
    assert weekday in text_of(days_page)
    form_page, _ = get_page(client, book_url(site, day))
    assert ("9:00am – 3 places left" if language == "en" else "上午9:00 – 还剩3个名额") in text_of(form_page)

    response = post_form(client, book_url(site, day), answers(slot))

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sampling/confirmation")
    confirmation, _ = get_page(client, "/sampling/confirmation")
    appointment = db.session.scalars(select(Appointment)).one()
    reference = appointment.item.reference
    html = confirmation.get_data(as_text=True)
    assert f'<span class="reference">{reference}</span>' in html
    page_text = text_of(confirmation)
    assert booked_heading in page_text and site.name in page_text and "83309663" in page_text
    assert ("9:00am" if language == "en" else "上午9:00") in page_text
    assert ("identity card" if language == "en" else "身份证") in page_text
    assert "8000" in page_text
    assert appointment.language == language

    message = db.session.scalars(select(OutboundMessage)).one()
    assert (message.to_phone, message.purpose, message.status) == (PHONE_E164, "booking_confirmation", "queued")
    assert message.body.startswith(sms_start) and reference in message.body


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Check the resident identity number: one of its characters does not match the card"),
     ("zh", "请核对身份证号码，其中有字符与身份证上的不一致")],
)
def test_a_wrong_check_digit_is_refused_with_everything_typed_kept(client, open_day, language, expected):
    site, day, slot = open_day
    use_language(client, language)

    response = post_form(client, book_url(site, day), answers(slot, id_number="110105194912310021"))

    assert response.status_code == 200
    page = check_page(response)
    assert expected in text_of(response)
    assert page.title.startswith("Error:" if language == "en" else "错误")
    assert page.inputs["name"] == "王秀英" and page.inputs["phone"] == PHONE_TYPED
    assert page.inputs["id_number"] == "110105194912310021"
    assert 'href="#id_number"' in response.get_data(as_text=True)  # the error summary links to it
    assert re.search(r'<input checked id="role-0"[^>]*value="parent"', response.get_data(as_text=True))
    assert db.session.scalars(select(Appointment)).all() == []


@pytest.mark.parametrize(("language", "expected"), [("en", "Enter a mobile number, like 138 0013 8000"),
                                                    ("zh", "138 0013 8000")])
def test_a_malformed_mobile_number_is_refused_with_everything_typed_kept(client, open_day, language, expected):
    site, day, slot = open_day
    use_language(client, language)
    id_number = resident_id()

    response = post_form(client, book_url(site, day), answers(slot, phone="1380013", id_number=id_number))

    page = check_page(response)
    assert expected in text_of(response) and 'id="phone-error"' in response.get_data(as_text=True)
    assert page.inputs["phone"] == "1380013" and page.inputs["name"] == "王秀英"
    assert page.inputs["id_number"] == id_number
    assert db.session.scalars(select(OutboundMessage)).all() == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_empty_form_names_every_missing_answer_including_consent(client, open_day, language):
    site, day, _ = open_day
    use_language(client, language)
    response = post_form(client, book_url(site, day), {})
    page = check_page(response)
    html = response.get_data(as_text=True)
    for anchor in ("#slot-0", "#name", "#phone", "#id_number", "#role-0", "#consent"):
        assert f'href="{anchor}"' in html
    expected = "Tick the box to agree" if language == "en" else "请勾选同意"
    assert expected in text_of(response)
    assert page.h1_count == 1


def test_booking_without_consent_is_refused_on_its_own(client, open_day):
    site, day, slot = open_day
    use_language(client, "en")
    data = answers(slot)
    del data["consent"]
    response = post_form(client, book_url(site, day), data)
    html = response.get_data(as_text=True)
    assert 'id="consent-error"' in html and "Tick the box to agree" in html
    assert 'id="name-error"' not in html
    assert db.session.scalars(select(Appointment)).all() == []


def test_second_booking_of_last_seat_is_refused(app, client, open_day):
    site, day, slot = open_day
    slot.capacity = 1
    db.session.commit()
    first = post_form(client, book_url(site, day), answers(slot))
    assert first.status_code == 303

    # Someone else, in another browser, books the same time.
    other = app.test_client()
    use_language(other, "en")
    second = post_form(other, book_url(site, day),
                       answers(slot, name="李建国", phone="139 0013 9000", id_number=resident_id(serial="123")))

    page = check_page(second)
    assert second.status_code == 200
    assert "someone else has just taken the last place" in text_of(second)
    assert page.inputs["name"] == "李建国" and page.inputs["phone"] == "139 0013 9000"
    assert f'value="{slot.id}"' not in second.get_data(as_text=True)  # the taken time is no longer offered
    assert len(db.session.scalars(select(Appointment)).all()) == 1
    assert len(db.session.scalars(select(OutboundMessage)).all()) == 1


def test_the_full_slot_message_is_chinese_for_a_chinese_visitor(client, open_day):
    site, day, slot = open_day
    slot.booked = slot.capacity
    db.session.commit()
    use_language(client, "zh")
    response = post_form(client, book_url(site, day), answers(slot))
    assert "刚刚被别人预约了" in text_of(response)


def test_slots_of_another_site_day_or_the_past_are_refused_in_a_direct_post(client, open_day):
    site, day, slot = open_day
    use_language(client, "en")
    other_site = create_site(name="如皋市公安局", city="如皋市")
    foreign = slot_at(other_site, day, 1)
    later = slot_at(site, day + timedelta(days=7), 1)
    for slot_id in (str(foreign.id), str(later.id), "999999", "abc", "-1", "9" * 30):
        response = post_form(client, book_url(site, day), answers(slot, slot=slot_id))
        assert response.status_code == 200, slot_id
        assert "Choose one of the times shown" in text_of(response), slot_id

    db.session.add(SiteClosure(site_id=site.id, starts_on=day, ends_on=day))
    db.session.commit()
    response = post_form(client, book_url(site, day), answers(slot))
    assert response.status_code == 200
    assert "not open at that time" in text_of(response)
    assert db.session.scalars(select(Appointment)).all() == []


def test_a_day_with_no_times_left_says_so_and_links_to_other_days(client, open_day):
    site, day, _ = open_day
    use_language(client, "en")
    response, _ = get_page(client, book_url(site, day + timedelta(days=1)))
    assert "There are no times left on this day" in text_of(response)


def test_bad_addresses_are_not_found_not_errors(client, open_day):
    site, _, _ = open_day
    assert client.get(f"/sampling/site/{site.id}/not-a-date").status_code == 404
    assert client.get("/sampling/site/999999").status_code == 404
    assert client.get("/sampling/site/" + "9" * 30).status_code == 404
    assert client.get("/sampling/site/" + "9" * 30 + "/2030-01-07").status_code == 404


def test_a_day_chosen_by_query_goes_to_the_booking_form(client, open_day):
    site, day, _ = open_day
    response = client.get(f"/sampling/site/{site.id}?day={day.isoformat()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(book_url(site, day))


def test_the_confirmation_without_a_booking_goes_back_to_the_sites(client):
    response = client.get("/sampling/confirmation")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sampling/")


def test_booking_posts_are_rate_limited(app_factory):
    app = app_factory(ratelimit_public_post="2 per minute")
    with app.app_context():
        site = create_site()
        day = next_weekday()
        url = book_url(site, day)
        client = app.test_client()
        statuses = [post_form(client, url, {}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        db.session.remove()


def test_a_second_booking_for_the_same_identity_number_is_refused_on_that_field(app, client, open_day):
    site, day, slot = open_day
    later = slot_at(site, day, 2, 0)
    number = resident_id()
    assert post_form(client, book_url(site, day), answers(slot, id_number=number)).status_code == 303

    other = app.test_client()
    use_language(other, "en")
    second = post_form(other, book_url(site, day), answers(later, name="王秀英", id_number=number))
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert 'id="id_number-error"' in html and 'href="#id_number"' in html
    assert "You do not need to book again" in text_of(second)
    assert len(db.session.scalars(select(Appointment)).all()) == 1


def test_the_web_form_does_not_offer_booking_as_an_agency_for_oneself(client, open_day):
    site, day, slot = open_day
    response = post_form(client, book_url(site, day), answers(slot, role="agency"))
    assert response.status_code == 200
    assert 'value="agency"' not in response.get_data(as_text=True)
    assert db.session.scalars(select(Appointment)).all() == []


def test_one_mobile_number_cannot_hold_more_than_three_upcoming_bookings(app, open_day):
    site, day, slot = open_day
    slots = [slot] + [slot_at(site, day, 2, minute) for minute in (0, 20, 40)]
    statuses = []
    for n, chosen in enumerate(slots):
        visitor = app.test_client()
        use_language(visitor, "en")
        response = post_form(visitor, book_url(site, day),
                             answers(chosen, id_number=resident_id(serial=f"{n + 1:03d}")))
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 200]
    assert "already has 3 upcoming bookings" in text_of(response)
    assert 'id="phone-error"' in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Appointment)).all()) == 3


def test_sending_the_booking_form_again_from_the_same_browser_shows_the_same_booking(app, client, open_day):
    site, day, slot = open_day
    form = answers(slot)
    first = post_form(client, book_url(site, day), form)
    assert first.status_code == 303
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", text_of(client.get("/sampling/confirmation"))).group(0)

    again = post_form(client, book_url(site, day), form)  # the back button and "Book" once more
    assert again.status_code == 303
    assert reference in text_of(client.get("/sampling/confirmation"))
    assert len(db.session.scalars(select(Appointment)).all()) == 1

    stranger = app.test_client()
    refused = post_form(stranger, book_url(site, day), form)
    assert refused.status_code == 200 and reference not in text_of(refused)

"""The public sampling journey, page by page, in English and in Chinese: who is booking, the
person looked for, the attendees and their documents, site, day and time, consent, check your
answers, the confirmation, and the "just taken" page. Also what the pages refuse: days outside the
booking horizon, look-alike digits as the time, a child under 14 without a guardian's consent."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, Attendee, OutboundMessage, SamplingSite, Slot
from portal.sampling.booking import take_places
from portal.sampling.slots import BOOKING_HORIZON_DAYS
from tests.support.factories import create_site
from tests.support.helpers import check_page, csrf_token, get_page, post_form, text_of
from tests.support.sampling import (
    CHILD_ID,
    PARENT_CASE,
    attendee_fields,
    book_on_web,
    next_weekday,
    person,
    places_taken,
    resident_id,
    slot_at,
    walk_to_check,
)

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def open_day(app):
    """A site with two free slots (09:00 and 09:20 Shanghai) on a weekday two or more days ahead."""
    site = create_site()
    day = next_weekday()
    first = slot_at(site, day, 1, 0)
    slot_at(site, day, 1, 20)
    return site, day, first


def two_parents() -> list[dict]:
    return [person("王秀英", id_number=resident_id(serial="011")),
            person("李建国", id_number=resident_id(serial="021"), phone="139 0013 9000")]


@pytest.mark.parametrize(
    ("language", "sms_start", "booked_heading"),
    [("en", "Reference ", "Appointment booked"), ("zh", "受理编号", "预约成功")],
)
def test_two_parents_book_one_time_taking_two_places_and_one_sms_is_queued(client, open_day, language, sms_start,
                                                                           booked_heading):
    site, day, slot = open_day
    client.set_cookie("lang", language)

    check = walk_to_check(client, slot, two_parents())
    check_page(check)
    assert "王秀英" in text_of(check) and "李建国" in text_of(check) and "王小明" in text_of(check)
    booked = client.post("/sampling/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))})
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/sampling/confirmation")

    confirmation, _ = get_page(client, "/sampling/confirmation")
    text = text_of(confirmation)
    assert booked_heading in text and site.name in text
    reference = REFERENCE.search(text).group(0)
    assert places_taken(slot.id) == 2
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.party_size == 2 and [a.name for a in appointment.attendees] == ["王秀英", "李建国"]
    assert appointment.case_details and "王小明" in appointment.case_details
    confirmation_sms = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.purpose == "booking_confirmation")).one()
    assert confirmation_sms.body.startswith(sms_start + reference) and confirmation_sms.to_phone == "+8613800138000"
    html = confirmation.get_data(as_text=True)
    for link in ("/sampling/confirmation/qr.svg", "/sampling/confirmation/appointment.ics",
                 "/sampling/confirmation/print", "/sampling/manage"):
        assert link in html
    get_page(client, "/sampling/confirmation/print")


def test_the_attendee_page_refuses_a_wrong_check_digit_and_keeps_everything_typed(client, open_day):
    client.set_cookie("lang", "en")
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "2"})
    post_form(client, "/sampling/about", {
        "missing_name": "王小明", "missing_sex": "male", "missing_born": "2003", "last_seen_on": "2008",
        "last_seen_place": "成都", "sampled_before": "no"})
    wrong = resident_id(serial="031")[:-1] + ("0" if resident_id(serial="031")[-1] != "0" else "1")
    people = [person("王秀英", id_number=wrong), person("李建国", id_number="E1234567", document_type="passport",
                                                      phone="12345")]
    response = post_form(client, "/sampling/attendees", attendee_fields(people))
    assert response.status_code == 200
    page = check_page(response)
    text = text_of(response)
    assert "Check the resident identity number" in text and "Enter a mobile number" in text
    assert page.inputs["attendees-0-document_number"] == wrong
    assert page.inputs["attendees-1-phone"] == "12345" and page.inputs["attendees-1-name"] == "李建国"
    assert 'href="#attendees-0-document_number"' in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_empty_first_page_names_each_missing_answer(client, language):
    client.set_cookie("lang", language)
    response = post_form(client, "/sampling/who", {})
    assert response.status_code == 200
    check_page(response)
    html = response.get_data(as_text=True)
    assert 'href="#role-0"' in html and 'href="#party_size-0"' in html


@pytest.mark.parametrize(("document_type", "number"), [
    ("passport", "E12345678"), ("hk_macao_permit", "H12345678"), ("taiwan_permit", "12345678"),
    ("foreign_permanent_residence", "USA110012345678"),
])
def test_every_accepted_identity_document_can_book(client, open_day, document_type, number):
    site, day, slot = open_day
    booked = book_on_web(client, slot, [person("Maria Chen", id_number=number, document_type=document_type)])
    assert booked.status_code == 303
    attendee = db.session.scalars(select(Attendee)).one()
    assert (attendee.document_type, attendee.id_number) == (document_type, number)


def test_an_agency_books_for_a_person_whose_identity_is_unknown(client, open_day):
    site, day, slot = open_day
    agency = {"agency_name": "南通市救助站", "contact_name": "张敏", "phone": "138 0013 8000", "person_age": "40",
              "person_sex": "female", "cared_for_at": "南通市救助站二楼"}
    booked = book_on_web(client, slot, [agency], role="agency")
    assert booked.status_code == 303
    attendee = db.session.scalars(select(Attendee)).one()
    assert attendee.identity_unknown and attendee.id_number is None and "救助站" in attendee.description
    appointment = attendee.appointment
    assert (appointment.applicant_role, appointment.applicant_name, appointment.party_size) == ("agency", "张敏", 1)
    assert "letter from your agency" in text_of(client.get("/sampling/confirmation", headers={"Accept-Language": "en"}))


def test_a_person_looking_for_their_birth_family_is_asked_what_they_remember(client, open_day):
    site, day, slot = open_day
    client.set_cookie("lang", "en")
    post_form(client, "/sampling/who", {"role": "seeking_birth_family", "party_size": "1"})
    about, _ = get_page(client, "/sampling/about")
    assert "What do you remember" in text_of(about) and "missing_name" not in about.get_data(as_text=True)
    booked = book_on_web(client, slot, [person("王小明", relationship="seeking_birth_family")],
                         role="seeking_birth_family")
    assert booked.status_code == 303


def test_sites_are_filtered_by_city_and_district(client, open_day):
    create_site(name="如皋市公安局", city="如皋市", district=None)
    create_site(name="通州分局", city="南通市通州区", district="通州区")
    walk_to_check(client, open_day[2])
    every, _ = get_page(client, "/sampling/sites")
    assert all(name in text_of(every) for name in ("南通市公安局", "如皋市公安局", "通州分局"))
    filtered, _ = get_page(client, "/sampling/sites?city=南通市&district=如皋市")
    assert "如皋市公安局" in text_of(filtered) and "通州分局" not in text_of(filtered)
    by_district, _ = get_page(client, "/sampling/sites?city=&district=通州区")
    assert "通州分局" in text_of(by_district) and "如皋市公安局" not in text_of(by_district)


def test_the_city_filter_includes_its_districts_and_county_level_cities_and_lists_districts_under_it(client, open_day):
    create_site(name="如皋市公安局", city="如皋市", district=None)
    create_site(name="通州分局", city="南通市通州区", district="通州区")
    create_site(name="扬州市公安局", city="扬州市", district=None)
    walk_to_check(client, open_day[2])
    page, _ = get_page(client, "/sampling/sites")
    html = page.get_data(as_text=True)
    city_options = re.findall(r'<option[^>]*value="([^"]*)"', html.split('id="district"')[0].split('id="city"')[1])
    assert city_options == ["", "南通市", "扬州市"]
    nantong, _ = get_page(client, "/sampling/sites?city=南通市")
    shown = text_of(nantong)
    assert all(name in shown for name in ("南通市公安局", "如皋市公安局", "通州分局")) and "扬州市公安局" not in shown
    district_options = re.findall(r'<option[^>]*value="([^"]*)"', nantong.get_data(as_text=True).split('id="district"')[1])
    assert district_options == ["", "如皋市", "通州区"]
    rugao, _ = get_page(client, "/sampling/sites?city=南通市&district=如皋市")
    assert "如皋市公安局" in text_of(rugao) and "通州分局" not in text_of(rugao)


def test_times_show_places_left_and_only_those_with_room_for_the_party(client, open_day):
    site, day, slot = open_day
    take_places(slot.id, 2)
    db.session.commit()
    walk_to_check(client, slot.site.opening_periods and slot_at(site, day, 3), two_parents())
    page, _ = get_page(client, f"/sampling/site/{site.id}/{day.isoformat()}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert f'value="{slot.id}"' not in html  # one place left: not enough for two parents
    assert "3 places left" in text_of(page)


@pytest.mark.parametrize(("people", "headers", "said"), [
    (2, {"Accept-Language": "en"}, "Only times with room for both people are shown."),
    (2, {"Accept-Language": "zh-CN"}, "只显示还能容纳两人的时间。"),
    (3, {"Accept-Language": "en"}, "Only times with room for all 3 people are shown."),
    (3, {"Accept-Language": "zh-CN"}, "只显示还能容纳3人的时间。"),
])
def test_the_time_page_says_both_people_for_two_and_all_of_them_for_more(client, open_day, people, headers, said):
    site, day, slot = open_day
    party = [person(f"王{n}", id_number=resident_id(serial=f"0{n}1")) for n in range(people)]
    walk_to_check(client, slot, party)
    page, _ = get_page(client, f"/sampling/site/{site.id}/{day.isoformat()}", headers=headers)
    assert said in text_of(page)
    assert "all 2" not in text_of(page) and "全部" not in text_of(page)


@pytest.mark.parametrize(("language", "masked", "not_shown"), [("en", ".... ", "•"), ("zh", "•••• ", "....")])
def test_the_confirmation_masks_identity_numbers_with_the_pages_own_characters(client, open_day, language, masked,
                                                                                 not_shown):
    _site, _day, slot = open_day
    client.set_cookie("lang", language)
    number = resident_id(serial="011")
    assert book_on_web(client, slot, [person("王秀英", id_number=number)]).status_code == 303
    text = text_of(client.get("/sampling/confirmation"))
    assert masked + number[-4:] in text and number not in text and not_shown not in text


def test_when_the_last_places_go_on_the_final_step_the_just_taken_page_offers_the_nearest_times(client, open_day):
    site, day, slot = open_day
    check = walk_to_check(client, slot, two_parents(), headers={"Accept-Language": "en"})
    take_places(slot.id, 2)  # another family was quicker
    db.session.commit()

    refused = client.post("/sampling/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/sampling/taken")
    taken, page = get_page(client, "/sampling/taken", headers={"Accept-Language": "en"})
    text = text_of(taken)
    assert "someone else has just taken the last places" in text
    assert "王秀英" in text and "李建国" in text  # everything typed is kept
    later = db.session.scalars(select(Slot).where(Slot.id != slot.id)).one()
    assert f'value="{later.id}"' in taken.get_data(as_text=True)

    booked = client.post("/sampling/taken", data={"csrf_token": csrf_token(taken.get_data(as_text=True)),
                                                  "slot": str(later.id)})
    assert booked.status_code == 303 and booked.headers["Location"].endswith("/sampling/confirmation")
    assert places_taken(later.id) == 2


def test_a_closed_day_offers_no_times_and_a_direct_post_for_it_is_refused(client, open_day):
    from portal.core.models import SiteClosure

    site, day, slot = open_day
    check = walk_to_check(client, slot, headers={"Accept-Language": "en"})
    db.session.add(SiteClosure(site_id=site.id, starts_on=day, ends_on=day, reason="holiday"))
    db.session.commit()

    days, _ = get_page(client, f"/sampling/site/{site.id}")
    assert f"/sampling/site/{site.id}/{day.isoformat()}" not in days.get_data(as_text=True)
    times, _ = get_page(client, f"/sampling/site/{site.id}/{day.isoformat()}", headers={"Accept-Language": "en"})
    assert 'name="slot"' not in times.get_data(as_text=True) and "no times left" not in text_of(times)
    assert f"{site.name} is closed that day." in text_of(times)
    assert "The site has no free times in its booking period." in text_of(times)  # its only day is closed

    direct = client.post(f"/sampling/site/{site.id}/{day.isoformat()}",
                         data={"csrf_token": csrf_token(check.get_data(as_text=True)), "slot": str(slot.id)},
                         headers={"Accept-Language": "en"})
    assert direct.status_code == 200 and "not open at that time" in text_of(direct)

    book = client.post("/sampling/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))})
    assert book.status_code == 303 and book.headers["Location"].endswith("/sampling/taken")
    assert "closed at that time" in text_of(client.get("/sampling/taken", headers={"Accept-Language": "en"}))
    assert db.session.scalars(select(Appointment)).all() == []
    assert places_taken(slot.id) == 0


def test_a_second_booking_for_the_same_identity_number_is_refused_on_the_check_page(app, client, open_day):
    site, day, slot = open_day
    number = resident_id(serial="041")
    assert book_on_web(client, slot, [person(id_number=number)]).status_code == 303
    other = app.test_client()
    second = book_on_web(other, slot_at(site, day, 2), [person(id_number=number, phone="139 0013 9000")],
                         headers={"Accept-Language": "en"})
    assert second.status_code == 200 and "We could not book with these details" in text_of(second)
    assert len(db.session.scalars(select(Appointment)).all()) == 1


def test_one_mobile_number_cannot_hold_more_than_three_upcoming_bookings(app, open_day):
    site, day, slot = open_day
    slots = [slot] + [slot_at(site, day, 2, minute) for minute in (0, 20, 40)]
    statuses = []
    for n, chosen in enumerate(slots):
        response = book_on_web(app.test_client(), chosen, [person(id_number=resident_id(serial=f"1{n}1"))],
                               headers={"Accept-Language": "en"})
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 200]
    assert "We could not book with these details" in text_of(response)  # neutral: see test_answers_and_refusals.py


def test_sending_the_check_page_again_from_the_same_browser_shows_the_same_booking(client, open_day):
    site, day, slot = open_day
    check = walk_to_check(client, slot)
    token = csrf_token(check.get_data(as_text=True))
    assert client.post("/sampling/check", data={"csrf_token": token}).status_code == 303
    reference = REFERENCE.search(text_of(client.get("/sampling/confirmation"))).group(0)
    again = client.post("/sampling/check", data={"csrf_token": token})
    assert again.status_code == 303 and reference in text_of(client.get("/sampling/confirmation"))
    assert len(db.session.scalars(select(Appointment)).all()) == 1


def test_pages_after_the_first_send_an_unstarted_visitor_back_to_the_start(client, open_day):
    site, day, slot = open_day
    for url in ("/sampling/about", "/sampling/attendees", "/sampling/sites", f"/sampling/site/{site.id}",
                "/sampling/consent", "/sampling/check", "/sampling/taken"):
        response = client.get(url)
        assert response.status_code == 302, url
    assert client.get("/sampling/confirmation").headers["Location"].endswith("/sampling/")


def test_bad_addresses_are_not_found_not_errors(client, open_day):
    site, day, slot = open_day
    walk_to_check(client, slot)
    for url in (f"/sampling/site/{site.id + 99}", "/sampling/site/99999999999", f"/sampling/site/{site.id}/2026-02-30",
                f"/sampling/site/{site.id}/{(day + timedelta(days=400)).isoformat()}"):
        assert client.get(url).status_code == 404, url


def test_journey_posts_are_rate_limited(app_factory):
    app = app_factory(ratelimit_public_post="2 per minute")
    with app.app_context():
        client = app.test_client()
        statuses = [post_form(client, "/sampling/who", {}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        db.session.remove()


def test_the_start_page_links_to_the_journey_and_to_changing_a_booking(client):
    page, _ = get_page(client, "/sampling/")
    html = page.get_data(as_text=True)
    assert 'href="/sampling/who"' in html and 'href="/sampling/manage"' in html
    assert db.session.scalars(select(SamplingSite)).all() == []


def _change_links(check_page) -> list[str]:
    html = check_page.get_data(as_text=True)
    return re.findall(r'<a href="([^"]+)">Change<span', html)


def test_every_change_link_on_the_check_page_returns_to_the_check_page_after_the_edited_page(client, open_day):
    site, day, slot = open_day
    client.set_cookie("lang", "en")
    check = walk_to_check(client, slot, two_parents())
    links = _change_links(check)
    assert links and all(link.endswith("change=1") for link in links)
    edits = {
        "/sampling/who": {"role": "parent", "party_size": "2"},
        "/sampling/about": PARENT_CASE,
        "/sampling/attendees": attendee_fields(two_parents()),
    }
    for link in links:
        path = link.split("?")[0]
        if path == "/sampling/sites":
            # The place and time: choose the other time on the same day, then straight back.
            page, _ = get_page(client, link)
            assert "change=1" in page.get_data(as_text=True)
            other = db.session.scalars(select(Slot).where(Slot.site_id == site.id, Slot.id != slot.id)).first()
            response = post_form(client, f"/sampling/site/{site.id}/{day.isoformat()}?change=1", {"slot": str(other.id)})
        else:
            response = post_form(client, link, edits[path])
        assert response.status_code in (302, 303), path
        assert response.headers["Location"] == "/sampling/check", path


def test_a_bigger_party_that_no_longer_fits_the_chosen_time_goes_on_to_name_the_people_and_choose_a_time(client, open_day):
    site, day, slot = open_day
    take_places(slot.id, 1)
    db.session.commit()
    client.set_cookie("lang", "en")
    walk_to_check(client, slot_at(site, day, 2), [person("王秀英", id_number=resident_id(serial="011"))])
    crowded = slot_at(site, day, 3)
    take_places(crowded.id, 2)
    db.session.commit()
    # Person 1 booked on the 10:00 time; now move them to the nearly full 11:00 time, then grow the party.
    post_form(client, f"/sampling/site/{site.id}/{day.isoformat()}?change=1", {"slot": str(crowded.id)})
    grown = post_form(client, "/sampling/who?change=1", {"role": "parent", "party_size": "2"})
    assert grown.headers["Location"] == "/sampling/attendees?change=1"
    named = post_form(client, "/sampling/attendees?change=1", attendee_fields(two_parents()))
    assert named.headers["Location"] == f"/sampling/site/{site.id}?change=1"


def book_url(site, day: date) -> str:  # type: ignore[no-untyped-def]
    return f"/sampling/site/{site.id}/{day.isoformat()}"


def answer_up_to_the_time(client, people: list[dict] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Answer who / about / attendees, so that the site, day and time pages can be reached."""
    size = str(len(people or [None]))
    for url, data in (("/sampling/who", {"role": "seeking_birth_family", "party_size": size}),
                      ("/sampling/about", {"remembered": "家门口有一棵大树", "missing_born": "1990", "sampled_before": "no"}),
                      ("/sampling/attendees", attendee_fields(people or [person("王小明", relationship="seeking_birth_family",
                                                                                 id_number=resident_id(serial="790"))]))):
        assert post_form(client, url, data).status_code == 302, url


def test_days_outside_the_booking_horizon_are_not_found(client):
    site = create_site()
    answer_up_to_the_time(client)
    today = datetime.now(ZoneInfo(site.timezone)).date()
    get_page(client, book_url(site, today))
    get_page(client, book_url(site, today + timedelta(days=BOOKING_HORIZON_DAYS)))
    for far in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/sampling/site/{site.id}/{far}").status_code == 404, far
        assert client.post(f"/sampling/site/{site.id}/{far}", data={}).status_code in (400, 404), far
    for day in (today - timedelta(days=1), today + timedelta(days=BOOKING_HORIZON_DAYS + 1)):
        assert client.get(book_url(site, day)).status_code == 404, day


@pytest.mark.parametrize("typed", ["²", "١٢", "１２"])
def test_non_ascii_digits_as_the_time_ask_for_a_time_shown_and_keep_the_answers(client, typed):
    site = create_site()
    day = next_weekday()
    slot_at(site, day, 1)
    client.set_cookie("lang", "en")
    answer_up_to_the_time(client)

    response = post_form(client, book_url(site, day), {"slot": typed})

    assert response.status_code == 200
    check_page(response)
    assert "Choose one of the times shown" in text_of(response)
    kept = check_page(client.get("/sampling/attendees"))
    assert kept.inputs["attendees-0-name"] == "王小明"
    assert db.session.scalars(select(Appointment)).all() == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Tick the box to agree as parent or guardian"), ("zh", "请勾选此框，以父母或监护人的身份表示同意")],
)
def test_a_child_under_14_needs_a_guardians_consent_on_the_consent_page(client, language, expected):
    site = create_site()
    day = next_weekday()
    slot = slot_at(site, day, 1)
    client.set_cookie("lang", language)
    parent = person("王秀英", id_number=resident_id(serial="791"))
    child = person("王小宝", id_number=CHILD_ID, phone="")
    with pytest.raises(AssertionError):
        walk_to_check(client, slot, [parent, child])  # the consent page refuses without the guardian box

    response = client.get("/sampling/consent")
    assert "guardian_consent" in response.get_data(as_text=True)
    refused = post_form(client, "/sampling/consent", {"consent": "y"})
    assert refused.status_code == 200 and expected in text_of(refused)
    assert db.session.scalars(select(Appointment)).all() == []
    assert post_form(client, "/sampling/consent", {"consent": "y", "guardian_consent": "y"}).status_code == 302
    assert db.session.get(Slot, slot.id).booked == 0  # nothing is booked before "Check your answers"


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Closed on Friday 1 January 2027", "is closed that day for a public holiday (New Year's Day).",
            "The nearest days with free times"]),
    ("zh", ["2027年1月1日（星期五）不开放", "（元旦）", "最近有空闲时间的日期"]),
])
def test_a_public_holiday_says_the_site_is_closed_and_offers_the_nearest_open_days(client, monkeypatch, language,
                                                                                   words):
    from portal.sampling.slots import open_slots_ahead, slots_for_day
    from tests.support.staff import control_clock

    control_clock(monkeypatch, datetime(2026, 12, 20, 2, 0, tzinfo=ZoneInfo("UTC")))
    site = create_site()
    open_slots_ahead()
    db.session.commit()
    walk_to_check(client, slots_for_day(site, date(2026, 12, 31))[0])

    page, _ = get_page(client, f"/sampling/site/{site.id}/2027-01-01", headers={"Accept-Language": language})
    text, html = text_of(page), page.get_data(as_text=True)
    for expected in words:
        assert expected in text, expected
    assert 'name="slot"' not in html and "no times left" not in text
    offered = re.findall(rf'href="/sampling/site/{site.id}/(\d{{4}}-\d{{2}}-\d{{2}})', html)
    assert offered == ["2026-12-30", "2026-12-31", "2027-01-04"]  # nearest first, shown in calendar order

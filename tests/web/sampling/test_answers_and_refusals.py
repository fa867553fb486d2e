"""What the public booking journey keeps and refuses: long answers kept server-side, refusals
that do not say whether an identity number has a booking, "today" in the site's time zone (the tip
form's date seen too), and a party larger than a slot told the true reason."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import Appointment, SamplingDraft
from tests.support.factories import create_site
from tests.support.helpers import csrf_token, post_form, text_of
from tests.support.sampling import (
    PARENT_CASE,
    book_on_web,
    next_weekday,
    person,
    resident_id,
    slot_at,
    walk_to_check,
)

NEUTRAL = ("We could not book with these details. If you have already booked, use \"Change or cancel your booking\" "
           "with your reference number and mobile number, or call the site.")
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


@pytest.fixture
def open_day(app):
    site = create_site()
    day = next_weekday()
    return site, day, slot_at(site, day, 1, 0)


# --- 3. Long answers survive: the draft lives server-side, not in the session cookie ------------

def test_a_2000_character_chinese_answer_reaches_the_check_page_and_the_session_cookie_stays_small(client, open_day):
    site, day, slot = open_day
    remembered = ("我记得小时候住在一个有河的村子里，门口有一棵大槐树。" * 80)[:2000]
    check = walk_to_check(client, slot, role="seeking_birth_family",
                          case={"remembered": remembered, "missing_born": "1990", "sampled_before": "no"})
    assert check.status_code == 200
    assert remembered in check.get_data(as_text=True)
    session_cookie = client.get_cookie("session", path="/")
    assert session_cookie is None or len(session_cookie.value) < 1000
    for cookie in (client.get_cookie(name, path=path) for name, path in
                   (("session", "/"), ("sampling_draft", "/sampling"))):
        assert cookie is None or len(cookie.value) < 4000
    # The answer is stored encrypted, found only through the draft cookie's id.
    stored = db.session.execute(select(SamplingDraft.answers)).scalar_one()
    assert remembered in stored
    raw = db.session.execute(db.text("SELECT answers FROM sampling_draft")).scalar_one()
    assert "槐树" not in raw


def test_the_line_breaks_of_what_a_person_remembers_are_shown_on_the_check_page(client, open_day):
    """The red team's case: 第一行⏎第二行⏎⏎第四行 read as one line on the check page. The answer
    sits in an element the style sheet shows with its line breaks (white-space: pre-line)."""
    site, day, slot = open_day
    remembered = "第一行\n第二行\n\n第四行"
    check = walk_to_check(client, slot, role="seeking_birth_family",
                          case={"remembered": remembered, "missing_born": "1990", "sampled_before": "no"})
    assert f'<dd class="answer">{remembered}</dd>' in check.get_data(as_text=True)
    style = client.get("/static/css/portal.css").get_data(as_text=True)
    assert re.search(r"\.summary-list \.answer[^{]*\{[^}]*white-space: pre-line", style)


def test_the_booking_draft_is_private_to_its_browser(app, client, open_day):
    site, day, slot = open_day
    walk_to_check(client, slot)
    other = app.test_client()
    assert other.get("/sampling/check").status_code == 302  # another browser has no draft


def test_expired_booking_drafts_are_deleted_by_the_worker_job(client, open_day):
    from portal.sampling.jobs import delete_expired_booking_drafts

    site, day, slot = open_day
    walk_to_check(client, slot)
    assert db.session.scalar(select(func.count()).select_from(SamplingDraft)) == 1
    delete_expired_booking_drafts(datetime.now(timezone.utc) + timedelta(hours=1))
    assert db.session.scalar(select(func.count()).select_from(SamplingDraft)) == 1
    delete_expired_booking_drafts(datetime.now(timezone.utc) + timedelta(hours=5))
    assert db.session.scalar(select(func.count()).select_from(SamplingDraft)) == 0
    assert client.get("/sampling/check").status_code == 302  # expired: back to the first unanswered page


# --- 4. A refusal does not say whether an identity number is booked -----------------------------

def test_booking_with_an_identity_number_already_booked_elsewhere_gets_the_neutral_refusal(app, client, open_day):
    site, day, slot = open_day
    number = resident_id(serial="041")
    assert book_on_web(client, slot, [person(id_number=number)]).status_code == 303
    second = book_on_web(app.test_client(), slot_at(site, day, 2), [person(id_number=number, phone="139 0013 9000")],
                         headers=EN)
    assert second.status_code == 200
    text = text_of(second)
    assert NEUTRAL in text
    assert "identity number" not in text.split("We could not book")[1][:200]
    assert "already a sampling appointment" not in text
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_the_identity_refusal_reads_the_same_as_the_mobile_number_refusal(app, open_day):
    site, day, slot = open_day
    slots = [slot] + [slot_at(site, day, 2, minute) for minute in (0, 20, 40)]
    for n, chosen in enumerate(slots[:3]):
        assert book_on_web(app.test_client(), chosen, [person(id_number=resident_id(serial=f"1{n}1"))]).status_code == 303
    by_phone = book_on_web(app.test_client(), slots[3], [person(id_number=resident_id(serial="191"))], headers=EN)
    by_identity = book_on_web(app.test_client(), slots[3],
                              [person(id_number=resident_id(serial="101"), phone="137 0013 7000")], headers=EN)
    assert by_phone.status_code == by_identity.status_code == 200
    assert NEUTRAL in text_of(by_phone) and NEUTRAL in text_of(by_identity)


def _client_at(app, address: str):
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_refused_identity_attempts_are_rate_limited_per_client_and_the_page_names_the_real_wait(app_factory):
    from tests.support.database import empty_all_tables

    limited = app_factory(ratelimit_public_post="1000 per minute", ratelimit_sampling_identity_refusals="2 per hour")
    with limited.app_context():
        empty_all_tables()
        site = create_site()
        day = next_weekday()
        slots = [slot_at(site, day, 1, minute) for minute in (0, 20, 40)] + [slot_at(site, day, 2, 0)]
        taken = [resident_id(serial=f"2{n}1") for n in range(3)]
        for n, number in enumerate(taken):
            other = _client_at(limited, f"10.0.0.{n + 1}")
            assert book_on_web(other, slots[n], [person(id_number=number, phone=f"13{n + 5} 0013 8000")]).status_code == 303
        prober = _client_at(limited, "10.9.9.9")
        statuses = []
        for number in taken:
            check = walk_to_check(prober, slots[3], [person(id_number=number, phone="139 0013 9000")], headers=EN)
            refused = prober.post("/sampling/check", headers=EN,
                                  data={"csrf_token": csrf_token(check.get_data(as_text=True))})
            statuses.append(refused.status_code)
        assert statuses == [200, 200, 429]
        # The page names the real wait of an hourly limit, never "a minute".
        refused_text = text_of(refused)
        assert re.search(r"Wait (1 hour|5[89] minutes), then", refused_text) and "a minute" not in refused_text, \
            refused_text
        # A new number from the same client is not booked either while the limit lasts...
        check = walk_to_check(prober, slots[3], [person(id_number=resident_id(serial="291"), phone="139 0013 9000")])
        refused = prober.post("/sampling/check", headers=ZH, data={"csrf_token": csrf_token(check.get_data(as_text=True))})
        assert refused.status_code == 429 and re.search(r"请等(1小时|5[89]分钟)后", text_of(refused)), text_of(refused)
        # ...but other clients book as usual.
        fresh = _client_at(limited, "10.0.0.50")
        assert book_on_web(fresh, slots[3], [person(id_number=resident_id(serial="292"), phone="136 0013 6000")]
                           ).status_code == 303
        db.session.remove()


def test_staff_booking_for_a_family_still_names_the_identity_number_clash(app, client, open_day):
    from portal.sampling.booking import AlreadyBooked
    from portal.sampling.messages import message_for, public_message_for

    with app.test_request_context(headers=EN):
        assert "identity number" in message_for(AlreadyBooked(1))
        assert public_message_for(AlreadyBooked(1)) == NEUTRAL


# --- 5. "Today" is today in the site's time zone -------------------------------------------------

def _early_morning_in_shanghai(monkeypatch) -> date:
    """Move the portal's clock to 07:30 Beijing time on the day after the machine's UTC date
    (23:30 UTC the evening before); return that Beijing date."""
    utc_today = datetime.now(timezone.utc).date()
    instant = datetime.combine(utc_today, time(23, 30), tzinfo=timezone.utc)
    monkeypatch.setattr("portal.core.clock.now", lambda: instant)
    return utc_today + timedelta(days=1)


def test_last_seen_today_is_accepted_before_eight_in_the_morning_beijing_time(client, open_day, monkeypatch):
    beijing_today = _early_morning_in_shanghai(monkeypatch)
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    response = post_form(client, "/sampling/about", {**PARENT_CASE, "last_seen_on": beijing_today.isoformat()},
                         headers=EN)
    assert response.status_code == 302, text_of(response)[:500]


def test_last_seen_tomorrow_in_beijing_is_still_refused(client, open_day, monkeypatch):
    beijing_today = _early_morning_in_shanghai(monkeypatch)
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "1"})
    response = post_form(client, "/sampling/about",
                         {**PARENT_CASE, "last_seen_on": (beijing_today + timedelta(days=1)).isoformat()}, headers=EN)
    assert response.status_code == 200 and "The date must be today or in the past" in text_of(response)


def test_a_resident_id_born_today_in_beijing_is_accepted_before_eight_in_the_morning(app, monkeypatch):
    from portal.core.identity import normalise_resident_id

    beijing_today = _early_morning_in_shanghai(monkeypatch)
    number = resident_id(birth=beijing_today.strftime("%Y%m%d"))
    with app.test_request_context():
        assert normalise_resident_id(number) == number


def test_a_tip_seen_today_is_accepted_before_eight_in_the_morning_beijing_time(app, monkeypatch):
    from portal.web.tips.forms import WhenForm

    beijing_today = _early_morning_in_shanghai(monkeypatch)
    with app.test_request_context(method="POST", data={
            "seen_date": beijing_today.isoformat()}):
        form = WhenForm(meta={"csrf": False})
        form.validate()
        assert "seen_date" not in form.errors and form.seen_date.data == beijing_today.isoformat()


# --- 6. A party larger than a slot is told plainly ------------------------------------------------

def test_a_party_larger_than_every_site_is_told_before_choosing_a_site(client, open_day):
    site, day, slot = open_day
    people = [person(f"家人{n}", id_number=resident_id(serial=f"3{n}1"), phone=f"13{n + 5} 0013 8000") for n in range(4)]
    post_form(client, "/sampling/who", {"role": "parent", "party_size": "4"})
    post_form(client, "/sampling/about", PARENT_CASE)
    from tests.support.sampling import attendee_fields

    assert post_form(client, "/sampling/attendees", attendee_fields(people)).status_code == 302
    page = text_of(client.get("/sampling/sites", headers=EN))
    assert "at most 3 at one time" in page
    assert "No sampling site here can take a group of 4 people at one time" in page
    day_page = text_of(client.get(f"/sampling/site/{site.id}", headers=EN))
    assert "at most 3 at one time" in day_page
    assert "There are no free times" not in day_page


def test_a_site_that_takes_the_party_is_offered_and_a_smaller_one_is_marked(client, open_day):
    site, day, slot = open_day
    big = create_site(name="南通市通州区公安局", places_per_slot=4)
    slot_at(big, day, 1, 0, capacity=4)
    people = [person(f"家人{n}", id_number=resident_id(serial=f"3{n}1"), phone=f"13{n + 5} 0013 8000") for n in range(4)]
    from tests.support.sampling import attendee_fields

    post_form(client, "/sampling/who", {"role": "parent", "party_size": "4"})
    post_form(client, "/sampling/about", PARENT_CASE)
    post_form(client, "/sampling/attendees", attendee_fields(people))
    html = client.get("/sampling/sites", headers=EN).get_data(as_text=True)
    assert f"/sampling/site/{big.id}\"" in html
    assert f"/sampling/site/{site.id}\"" not in html
    assert "No sampling site here can take" not in html


def test_posting_a_slot_smaller_than_the_party_gives_the_true_reason(client, open_day):
    site, day, slot = open_day
    people = [person(f"家人{n}", id_number=resident_id(serial=f"3{n}1"), phone=f"13{n + 5} 0013 8000") for n in range(4)]
    from tests.support.sampling import attendee_fields

    post_form(client, "/sampling/who", {"role": "parent", "party_size": "4"})
    post_form(client, "/sampling/about", PARENT_CASE)
    post_form(client, "/sampling/attendees", attendee_fields(people))
    page = client.get(f"/sampling/site/{site.id}/{day.isoformat()}", headers=EN)
    response = client.post(f"/sampling/site/{site.id}/{day.isoformat()}", headers=EN,
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)), "slot": str(slot.id)})
    text = text_of(response)
    assert response.status_code == 200
    assert "just taken" not in text
    assert "at most 3 at one time" in text


def test_the_booking_domain_refuses_a_party_larger_than_the_slot_with_its_own_error(app, open_day):
    from portal.core.models import ApplicantRole, Channel
    from portal.sampling.booking import AttendeeDetails, PartyTooLarge, book_appointment

    site, day, slot = open_day
    people = [AttendeeDetails(f"家人{n}", "parent", resident_id(serial=f"4{n}1"), "+8613800138000") for n in range(4)]
    with pytest.raises(PartyTooLarge):
        book_appointment(slot_id=slot.id, applicant_role=ApplicantRole.PARENT, applicant_name="家人0",
                         applicant_phone="+8613800138000", attendees=people, consent=True, language="zh",
                         channel=Channel.WEB)

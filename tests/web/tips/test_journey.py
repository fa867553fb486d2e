"""The web tip journey: question pages, check your answers, confirmation, urgency, privacy."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import Channel, Priority, Tip, utcnow
from portal.core.partial_dates import from_edtf
from tests.support.dates import DATE_FORMS
from tests.support.helpers import get_page, text_of
from tests.support.tips import ANSWERS, EN, ZH, answer_page, csrf_of, checked_values, errors_on, fill_journey, send_tip, visitor_client

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def client(app, app_factory, tmp_path):
    """Each request in its own app context (see `visitor_client`); `app` empties the tables."""
    return visitor_client(app_factory, tip_photo_dir=str(tmp_path / "photos"))


def only_tip() -> Tip:
    db.session.expire_all()
    tips = db.session.scalars(select(Tip)).all()
    assert len(tips) == 1, f"expected one tip, found {len(tips)}"
    return tips[0]


def confirmation(client, headers=None):
    response, _ = get_page(client, "/tips/confirmation", headers=headers or {})
    return response


@pytest.mark.parametrize(
    ("headers", "heading", "code_heading"),
    [(ZH, "线索已提交", "您的查询码"), (EN, "Report sent", "Your follow-up code")],
)
def test_answering_every_page_ends_on_a_confirmation_with_reference_and_follow_up_code(client, headers, heading, code_heading):
    response = send_tip(client, headers=headers, description="我看到一个小孩在火车站被一个男人强迫乞讨")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tips/confirmation")

    page = confirmation(client, headers)
    words = text_of(page)
    tip = only_tip()
    assert heading in words and code_heading in words
    reference = re.search(r'class="reference">(TY-[^<]+)<', page.get_data(as_text=True)).group(1)
    assert reference == tip.item.reference and REFERENCE.fullmatch(reference)
    assert CODE.search(words).group(0) == tip.follow_up_code_display
    assert tip.description == "我看到一个小孩在火车站被一个男人强迫乞讨"
    assert tip.item.channel == Channel.WEB.value


def test_the_tip_keeps_every_structured_answer(client):
    send_tip(client, headers=EN, seen_date="3 November 2025", seen_time="evening",
             extra={"/tips/report/who": {"child_height": "1.2 m", "adults_description": "A man of about 40"}})
    tip = only_tip()
    assert tip.item.region_code == "320614"
    assert tip.item.region_text.startswith("江苏省南通市海门区")
    assert tip.place == ANSWERS["place"]
    assert tip.seen_date == "2025-11-03" and tip.seen_on == date(2025, 11, 3) and tip.seen_time == "evening"
    assert tip.seen_when == "Monday 3 November 2025, Evening (6pm to 10pm)"
    assert (tip.child_age, tip.child_sex, tip.child_height) == ("about 6", "girl", "1.2 m")
    assert tip.adults_description == "A man of about 40"
    assert tip.vehicle_plate == "苏F12345"
    assert tip.language == "en"


def test_confirmation_says_how_to_use_the_code_what_happens_next_and_offers_a_print_version(client):
    send_tip(client, headers=EN)
    page = confirmation(client, EN)
    words = text_of(page)
    assert "Write down or photograph this code now" in words and "We cannot show it again" in words
    assert "within 7 days" in words
    assert "I have saved my code" in words
    printable, _ = get_page(client, "/tips/confirmation/print", headers=EN)
    tip = only_tip()
    assert tip.item.reference in text_of(printable) and tip.follow_up_code_display in text_of(printable)
    assert 'src="/static/js/print-page.js"' in printable.get_data(as_text=True)


def test_saying_the_code_is_saved_stops_showing_it(client):
    send_tip(client, headers=EN)
    code = only_tip().follow_up_code_display
    page = confirmation(client, EN)
    response = client.post("/tips/confirmation/saved", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tips/finished")
    assert only_tip().follow_up_code_display is None
    assert code not in confirmation(client, EN).get_data(as_text=True)


def test_tip_gets_the_configured_feedback_deadline(app, app_factory):
    client = visitor_client(app_factory, feedback_deadline_days=5)
    send_tip(client, headers=EN)
    item = only_tip().item
    assert item.feedback_due_at - item.received_at == timedelta(days=5)
    assert "within 5 days" in text_of(confirmation(client, EN))


def test_contact_phone_is_stored_encrypted_and_as_e164(client):
    send_tip(client, contact_name="王芳", contact_phone="＋86 138-0013-8000", extra={"/tips/report/contact": {"may_contact_by_sms": "y"}})
    tip = only_tip()
    assert tip.contact_phone == "+8613800138000" and tip.contact_name == "王芳" and tip.may_contact_by_sms is True
    raw_phone, raw_name = db.session.execute(text("SELECT contact_phone, contact_name FROM tip")).one()
    assert "8000" not in raw_phone and "王芳" not in raw_name


def test_a_tip_without_contact_details_is_anonymous(client):
    send_tip(client)
    tip = only_tip()
    assert tip.contact_name is None and tip.contact_phone is None and tip.contact_phone_hash is None
    assert tip.may_contact_by_sms is False


@pytest.mark.parametrize(
    ("headers", "message"),
    [(ZH, "请输入手机号码，例如 138 0013 8000"), (EN, "Enter a mobile number, like 138 0013 8000")],
)
def test_malformed_mobile_number_is_explained_and_what_was_typed_is_kept(client, headers, message):
    fill_journey(client, headers)
    response = answer_page(client, "/tips/report/contact",
                           {"contact_phone": "138 0013", "contact_name": "Li Ming", "may_contact_by_sms": "y"}, headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert f'<a href="#contact_phone">{message}</a>' in summary
    assert message in errors_on(response)[0]
    assert 'aria-invalid="true"' in html
    assert text_of(response).startswith("错误：" if headers is ZH else "Error:")
    assert 'value="138 0013"' in html and 'value="Li Ming"' in html
    assert checked_values(html, "may_contact_by_sms") == ["y"]


def test_asking_for_text_messages_without_a_number_is_a_question_to_answer(client):
    fill_journey(client, EN)
    response = answer_page(client, "/tips/report/contact", {"may_contact_by_sms": "y"}, EN)
    assert "Enter a mobile number if the police may send you text messages" in text_of(response)


@pytest.mark.parametrize(
    ("url", "headers", "messages", "anchors"),
    [
        ("/tips/report", EN, ["Select whether a child is in danger right now"], ["#child_in_danger-0"]),
        ("/tips/report", ZH, ["请选择现在是否有儿童正处于危险之中"], ["#child_in_danger-0"]),
        ("/tips/report/what", EN, ["Select what your report is about", "Enter what you saw"], ["#category-0", "#description"]),
        ("/tips/report/what", ZH, ["请选择您要举报的情况", "请填写您看到的情况"], ["#category-0", "#description"]),
    ],
)
def test_an_unanswered_required_question_says_what_to_do(client, url, headers, messages, anchors):
    if url != "/tips/report":
        answer_page(client, "/tips/report", {"child_in_danger": "no"}, headers)
    response = answer_page(client, url, {}, headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for message, anchor in zip(messages, anchors):
        assert f'<a href="{anchor}">{message}</a>' in html


def test_a_choice_that_is_not_offered_is_refused_with_the_same_words(client):
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    response = answer_page(client, "/tips/report/what", {"category": "kidnapped-by-aliens", "description": "x"}, EN)
    assert "Select what your report is about" in text_of(response)
    assert "Not a valid choice" not in text_of(response)


def test_a_very_long_description_is_refused_without_losing_it(client):
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    long_text = "看" * 5001
    response = answer_page(client, "/tips/report/what", {"category": "other", "description": long_text}, EN)
    assert "What you saw must be 5,000 characters or fewer" in text_of(response)
    assert long_text in response.get_data(as_text=True)


def test_optional_questions_are_marked_and_required_ones_are_not(client):
    fill_journey(client, EN)
    for url, count in (("/tips/report/who", 9), ("/tips/report/where/place", 1), ("/tips/report/contact", 3)):
        response, _ = get_page(client, url, headers=EN)
        assert text_of(response).count("(optional)") == count, url
    response, _ = get_page(client, "/tips/report/what", headers=EN)
    assert "(optional)" not in text_of(response)


def test_answering_yes_shows_call_110_first_and_the_tip_tops_the_queue_as_urgent(app, client):
    from tests.support.factories import create_staff, create_tip
    from tests.support.staff import browser, sign_in

    older = create_tip(description="An older, ordinary report")
    response = answer_page(client, "/tips/report", {"child_in_danger": "yes"}, ZH)
    assert response.headers["Location"].endswith("/tips/report/call-110")
    page, _ = get_page(client, "/tips/report/call-110", headers=ZH)
    html = page.get_data(as_text=True)
    assert 'href="tel:110"' in html and "请立即拨打110" in text_of(page)
    assert "12110" in text_of(page) and "12110020" in text_of(page)
    assert 'href="sms:12110"' in html and 'href="tel:12110"' not in html  # for those who cannot speak: a text, not a call
    assert 'href="/tips/report/what"' in html  # the report continues
    send_tip(client, headers=ZH, child_in_danger="yes")
    db.session.expire_all()
    tips = db.session.scalars(select(Tip).where(Tip.id != older.tip.id)).all()
    assert len(tips) == 1 and tips[0].child_in_danger and tips[0].item.priority == Priority.URGENT.value
    assert "Call 110 now" in text_of(confirmation(client, EN))

    create_staff(username="officer")
    staff = browser(app)
    sign_in(staff, "officer")
    queue = staff.get("/staff/queue").get_data(as_text=True)
    assert queue.index(tips[0].item.reference) < queue.index(older.reference)


def test_no_danger_gives_a_normal_priority_and_no_call_now_warning(client):
    send_tip(client, headers=EN)
    assert only_tip().item.priority == Priority.NORMAL.value
    assert "Call 110 now" not in text_of(confirmation(client, EN))


def test_the_where_questions_come_from_the_divisions_dataset_including_haimen(client):
    fill_journey(client, EN)
    page, _ = get_page(client, "/tips/report/where/district", headers=EN)
    assert '<option value="320614"' in page.get_data(as_text=True) and "海门区" in text_of(page)
    # A municipality has no city level: Beijing goes straight to its districts.
    answer_page(client, "/tips/report/where?change=1", {"division": "110000"}, EN)
    page, _ = get_page(client, "/tips/report/where/district?change=1", headers=EN)
    assert "海淀区" in text_of(page)
    # A code that is not offered is refused.
    response = answer_page(client, "/tips/report/where/district?change=1", {"division": "320614"}, EN)
    assert "Choose a district or county, or I do not know" in text_of(response)


def test_i_do_not_know_skips_the_rest_of_the_place_and_the_search_box_finds_haimen(client):
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    answer_page(client, "/tips/report/what", {"category": "other", "description": "Seen at a market"}, EN)
    response = answer_page(client, "/tips/report/where", {"division": "unknown"}, EN)
    assert response.headers["Location"].endswith("/tips/report/where/place")
    found, _ = get_page(client, "/tips/report/where/search?q=海门", headers=EN)
    assert "江苏省南通市海门区" in text_of(found)
    response = client.post("/tips/report/where/search?q=海门", headers=EN,
                           data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', found.get_data(as_text=True)).group(1),
                                 "match": "320614"})
    assert response.status_code == 303
    check, _ = get_page(client, "/tips/report/check", headers=EN)
    assert "江苏省南通市海门区" in text_of(check)


def test_an_impossible_date_is_explained_and_the_typed_date_kept(client):
    fill_journey(client, EN)
    response = answer_page(client, "/tips/report/when", {"seen_date": "2025年2月31日"}, EN)
    assert "Enter a real date, like 17 May 1990" in text_of(response)
    assert 'href="#seen_date"' in response.get_data(as_text=True) and 'value="2025年2月31日"' in response.get_data(as_text=True)
    future = utcnow().date() + timedelta(days=3)
    response = answer_page(client, "/tips/report/when", {"seen_date": future.isoformat()}, EN)
    assert "The date must be today or in the past" in text_of(response)


def test_change_on_the_check_page_returns_to_the_check_page(client):
    fill_journey(client, EN)
    check, _ = get_page(client, "/tips/report/check", headers=EN)
    html = check.get_data(as_text=True)
    assert 'href="/tips/report/what?change=1"' in html and 'href="/tips/report/contact?change=1"' in html
    response = answer_page(client, "/tips/report/what?change=1", {"category": "other", "description": "Changed words"}, EN)
    assert response.headers["Location"].endswith("/tips/report/check")
    # Changing the province walks the rest of the place chain, then returns.
    response = answer_page(client, "/tips/report/where?change=1", {"division": "440000"}, EN)
    assert response.headers["Location"].endswith("/tips/report/where/city?change=1")
    response = answer_page(client, "/tips/report/where/city?change=1", {"division": "441900"}, EN)  # 东莞: no districts
    assert response.headers["Location"].endswith("/tips/report/check")
    check, _ = get_page(client, "/tips/report/check", headers=EN)
    assert "Changed words" in text_of(check) and "广东省东莞市" in text_of(check)


def test_in_change_mode_the_province_and_city_buttons_say_continue_and_the_last_level_says_go_back(client):
    fill_journey(client, EN)
    for path in ("/tips/report/where?change=1", "/tips/report/where/city?change=1"):
        page, _ = get_page(client, path, headers=EN)
        buttons = re.findall(r'<button[^>]*type="submit"[^>]*>\s*([^<]+?)\s*<', page.get_data(as_text=True))
        assert "Continue" in buttons and "Save and go back to your answers" not in buttons, path
    page, _ = get_page(client, "/tips/report/where/district?change=1", headers=EN)
    assert "Save and go back to your answers" in text_of(page)
    page, _ = get_page(client, "/tips/report/what?change=1", headers=EN)
    assert "Save and go back to your answers" in text_of(page)


def test_the_check_page_sends_back_to_a_missing_required_answer(client):
    answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    response = client.get("/tips/report/check", headers=EN)
    assert response.status_code == 302 and response.headers["Location"].endswith("/tips/report/what")


def test_pages_that_show_answers_are_never_cached(client):
    fill_journey(client, EN)
    for url in ("/tips/report/check", "/tips/report/what", "/tips/report/contact"):
        assert "no-store" in client.get(url).headers["Cache-Control"]
    send_tip(client)
    assert "no-store" in confirmation(client).headers["Cache-Control"]


def test_follow_up_code_is_no_longer_shown_after_the_display_window(client):
    send_tip(client, headers=EN)
    tip = only_tip()
    code = tip.follow_up_code_display
    tip.follow_up_code_display_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = confirmation(client, EN)
    assert code not in page.get_data(as_text=True)
    assert "For your safety, the follow-up code is no longer shown on this page." in text_of(page)


def test_confirmation_without_a_receipt_goes_to_the_first_question(client):
    response = client.get("/tips/confirmation")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tips/report")


def test_every_journey_page_has_the_exit_link_and_loads_its_script_from_static(client):
    fill_journey(client, EN)
    urls = ["/tips/report", "/tips/report/what", "/tips/report/where", "/tips/report/where/city",
            "/tips/report/where/district", "/tips/report/where/place", "/tips/report/when", "/tips/report/who",
            "/tips/report/photos", "/tips/report/contact", "/tips/report/check", "/tips/status"]
    for url in urls:
        html = client.get(url, headers=EN).get_data(as_text=True)
        assert re.search(r'<a href="/exit" class="exit-this-page" data-exit-this-page', html), url
        assert '<script src="/static/js/exit-this-page.js" defer></script>' in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
    script = client.get("/static/js/exit-this-page.js").get_data(as_text=True)
    assert "location.replace" in script and '"Shift"' in script and "presses >= 3" in script


def test_privacy_page_says_what_is_collected_who_sees_it_how_long_and_how_to_withdraw_consent(client):
    for headers, phrases in (
        (EN, ["We do not record your IP address", "Only police staff", "How long we keep", "withdraw your consent",
              "photos", "follow-up code"]),
        (ZH, ["不记录您的IP地址", "撤回", "保存多久"]),
    ):
        page, _ = get_page(client, "/privacy", headers=headers)
        for phrase in phrases:
            assert phrase in text_of(page), phrase
    fill_journey(client, EN)
    page = client.get("/tips/report/contact", headers=EN)
    assert 'href="/privacy"' in page.get_data(as_text=True)


# --- Dates as people write them (portal.core.partial_dates) -----------------------------------

@pytest.mark.parametrize(("typed", "edtf", "chinese", "english"), DATE_FORMS)
def test_the_date_seen_is_typed_as_the_tipster_knows_it_and_checked_in_words(client, typed, edtf, chinese, english):
    fill_journey(client, ZH, seen_date=typed)
    # An exact day has its weekday too; the time of day follows.
    assert re.match(re.escape(chinese) + (r"（星期.）" if len(edtf) == 10 else "，") + "下午（12点至18点） ",
                    _when_row(client, ZH))
    assert re.match(r"([A-Z][a-z]+day )?" + re.escape(english) + r", Afternoon \(12 noon to 6pm\) ", _when_row(client, EN))
    answer_page(client, "/tips/report/check", {}, ZH)
    tip = only_tip()
    assert tip.seen_date == edtf and tip.seen_on == from_edtf(edtf).earliest()


def _when_row(client, headers) -> str:
    """The answer of the check page's "When" row."""
    check, _ = get_page(client, "/tips/report/check", headers=headers)
    label = "When" if headers is EN else "时间"
    return text_of(check).split(f" {label} ", 1)[1]


@pytest.mark.parametrize(("typed", "english", "chinese"), [
    ("2025年2月31日", "Enter a real date, like 17 May 1990", "请输入真实存在的日期，例如1990年5月17日"),
    ("1899年", "Enter a date from 1900 onwards, like 1990", "请输入1900年以后的日期，例如1990年"),
    ("2099", "The date must be today or in the past", "日期不能晚于今天"),
    ("last Tuesday", "Enter the date as far as you know, like 2026, November 2026 or 3 November 2026",
     "请按您所知输入日期，例如2026年、2026年11月或2026年11月3日"),
])
def test_a_date_seen_that_cannot_be_is_refused_in_the_page_language(client, typed, english, chinese):
    fill_journey(client, EN)
    for headers, message in ((EN, english), (ZH, chinese)):
        response = answer_page(client, "/tips/report/when", {"seen_date": typed}, headers)
        assert response.status_code == 200 and errors_on(response) == [message]


def test_no_date_seen_is_fine_and_the_check_page_says_only_the_time(client):
    fill_journey(client, EN, seen_date="")
    assert _when_row(client, EN).startswith("Afternoon (12 noon to 6pm) Change")
    answer_page(client, "/tips/report/check", {}, EN)
    tip = only_tip()
    assert tip.seen_date is None and tip.seen_on is None


def test_a_draft_saved_with_the_three_date_boxes_still_gives_its_date(client):
    from portal.core.models import TipDraft
    from portal.tips.drafts import save_answers

    fill_journey(client, EN)
    draft = db.session.scalars(select(TipDraft)).one()
    save_answers(draft, {"seen_day": "3", "seen_month": "11", "seen_year": "2025"}, remove=("seen_date",))
    db.session.commit()
    when_page = client.get("/tips/report/when", headers=EN).get_data(as_text=True)
    assert 'value="3 November 2025"' in when_page
    assert _when_row(client, EN).startswith("Monday 3 November 2025")
    answer_page(client, "/tips/report/check", {}, EN)
    assert only_tip().seen_date == "2025-11-03"

"""Following up anonymously on /tips/status, the lockout, and the staff side: asking the tipster
a question, the answer reaching the staff item page, photos shown to staff only."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemStatus, OutboundMessage, TipFollowUp, TipPhoto, TipQuestion
from portal.core.permissions import Role
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import get_page, text_of
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH, csrf_of, jpeg_bytes, visitor_client

NOT_FOUND = "We could not find a report with that reference number and code. Check both and try again."
LOCKED = "There have been too many tries with this reference number. Wait 30 minutes, then try again."


@pytest.fixture
def client(app, app_factory, tmp_path):
    return visitor_client(app_factory, tip_photo_dir=str(tmp_path / "photos"))


@pytest.fixture
def receipt(app):
    return create_tip(contact_phone="+8613800138000", may_contact_by_sms=True, details=_details_en())


def _details_en():
    from portal.tips.service import TipDetails

    return TipDetails(language="en", child_age="about 6")


def lookup(client, reference: str, code: str, headers=EN):
    page, _ = get_page(client, "/tips/status", headers=headers)
    return client.post("/tips/status", headers=headers, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "reference": reference, "follow_up_code": code})


def visible(response) -> str:
    """The page as a person reads it, without the parts that differ per request (the CSRF token)."""
    return text_of(response)


def test_a_code_typed_in_lower_case_with_spaces_shows_the_progress(client, receipt):
    typed_code = receipt.follow_up_code.replace("-", " ").lower()
    typed_reference = receipt.reference.lower().replace("-", " ")
    response = lookup(client, typed_reference, typed_code)
    assert response.status_code == 303 and response.headers["Location"].endswith("/tips/status/report")
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    words = text_of(page)
    assert "Progress of your report" in words and receipt.reference in words
    assert "Received" in words and "waiting to be looked at" in words
    assert "The police have not asked you anything." in words


def test_a_full_width_code_works_too(client, receipt):
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in receipt.follow_up_code)
    assert lookup(client, receipt.reference, full_width).status_code == 303


@pytest.mark.parametrize(
    ("status", "word"),
    [(ItemStatus.TRIAGED, "警方正在处理"), (ItemStatus.ASSIGNED, "警方正在处理"), (ItemStatus.VERIFYING, "警方正在处理"),
     (ItemStatus.CLOSED, "已办结")],
)
def test_progress_is_said_in_plain_words(client, receipt, status, word):
    db.session.scalar(select(IntakeItem)).status = status.value
    db.session.commit()
    lookup(client, receipt.reference, receipt.follow_up_code, ZH)
    page, _ = get_page(client, "/tips/status/report", headers=ZH)
    assert word in text_of(page)


def test_wrong_code_and_unknown_reference_give_identical_pages(client, receipt):
    unknown_reference = "TY-2222-2222" if receipt.reference != "TY-2222-2222" else "TY-3333-3333"
    wrong = lookup(client, receipt.reference, "2222-2222-2222-2222")
    unknown = lookup(client, unknown_reference, receipt.follow_up_code)
    assert wrong.status_code == unknown.status_code == 200
    assert NOT_FOUND in visible(wrong)
    assert visible(wrong) == visible(unknown)
    assert receipt.follow_up_code not in unknown.get_data(as_text=True)  # the secret is never written back


def test_repeated_wrong_codes_lock_the_reference_even_for_the_right_code(client, receipt):
    for attempt in range(4):
        assert NOT_FOUND in visible(lookup(client, receipt.reference, f"2222-2222-2222-222{attempt + 2}"))
    assert LOCKED in visible(lookup(client, receipt.reference, "2222-2222-2222-2227"))
    right = lookup(client, receipt.reference, receipt.follow_up_code)
    assert right.status_code == 200 and LOCKED in visible(right)
    # Another reference is not affected.
    other = create_tip()
    assert lookup(client, other.reference, other.follow_up_code).status_code == 303


def test_a_locked_reference_and_a_reference_that_does_not_exist_behave_and_read_identically(app_factory, receipt):
    # A roomy rate limit, so that only the lockout is at work.
    client = visitor_client(app_factory, ratelimit_status_lookup="100 per minute")
    unknown_reference = "TY-2222-2222" if receipt.reference != "TY-2222-2222" else "TY-3333-3333"
    pages = {}
    for reference in (receipt.reference, unknown_reference):
        seen = [lookup(client, reference.lower(), f"2222-2222-2222-222{n + 2}") for n in range(6)]
        seen.append(lookup(client, reference, receipt.follow_up_code))
        pages[reference] = [(r.status_code, re.sub(re.escape(reference), "REF", visible(r), flags=re.I)) for r in seen]
    assert pages[receipt.reference] == pages[unknown_reference]
    assert [status for status, _words in pages[unknown_reference]] == [200] * 7
    assert [LOCKED in words for _status, words in pages[unknown_reference]] == [False] * 4 + [True] * 3


WARN_2 = "You can try 2 more times with this reference number. After that, you must wait 30 minutes"
WARN_1 = "You can try 1 more time with this reference number. After that, you must wait 30 minutes"


def _without_token_and_reference(response, reference: str) -> str:
    """The whole body, with the CSRF token and the typed reference (echoed in its box) taken out."""
    body = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', response.get_data(as_text=True))
    return body.replace(reference, "REF")


def test_the_warning_two_tries_before_the_lock_is_the_same_page_for_an_existing_and_an_unknown_reference(
        app_factory, receipt):
    unknown_reference = "TY-2222-2222" if receipt.reference != "TY-2222-2222" else "TY-3333-3333"
    bodies = {}
    for reference in (receipt.reference, unknown_reference):
        client = visitor_client(app_factory)
        answers = [lookup(client, reference, f"2222-2222-2222-222{n + 2}") for n in range(4)]
        words = [visible(answer) for answer in answers]
        assert [WARN_2 in text for text in words] == [False, False, True, False]
        assert [WARN_1 in text for text in words] == [False, False, False, True]
        bodies[reference] = [_without_token_and_reference(answer, reference) for answer in answers]
    assert bodies[receipt.reference] == bodies[unknown_reference]


def test_the_warning_before_the_lock_is_in_chinese_on_a_chinese_page(client, receipt):
    for n in range(2):
        lookup(client, receipt.reference, f"2222-2222-2222-222{n + 2}", ZH)
    words = visible(lookup(client, receipt.reference, "2222-2222-2222-2229", ZH))
    assert "这个受理编号您还可以再试2次" in words and "30分钟" in words


def test_a_stranger_who_locks_a_reference_does_not_keep_the_tipster_on_another_address_out(app_factory, receipt):
    stranger = visitor_client(app_factory)
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    tipster = visitor_client(app_factory)
    tipster.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    for attempt in range(6):
        lookup(stranger, receipt.reference, f"2222-2222-2222-222{attempt + 2}")
    assert LOCKED in visible(lookup(stranger, receipt.reference, receipt.follow_up_code))

    assert lookup(tipster, receipt.reference, receipt.follow_up_code).status_code == 303


def test_a_locked_reference_stays_locked_for_the_same_address_even_in_a_new_browser(app_factory, receipt):
    first = visitor_client(app_factory)
    for attempt in range(5):
        lookup(first, receipt.reference, f"2222-2222-2222-222{attempt + 2}")
    fresh_browser = visitor_client(app_factory)  # same address, no cookies: clearing them does not help
    right = lookup(fresh_browser, receipt.reference, receipt.follow_up_code)
    assert right.status_code == 200 and LOCKED in visible(right)


def test_the_lock_lifts_after_its_time(client, receipt):
    from datetime import timedelta

    from portal.core.models import FollowUpGuard, utcnow

    for attempt in range(5):
        lookup(client, receipt.reference, f"2222-2222-2222-222{attempt + 2}")
    guard = db.session.scalar(select(FollowUpGuard))
    guard.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert lookup(client, receipt.reference, receipt.follow_up_code).status_code == 303


def test_progress_lookups_are_rate_limited(app, app_factory, receipt):
    client = visitor_client(app_factory, ratelimit_status_lookup="3 per minute")
    statuses = [lookup(client, f"TY-2222-222{n + 2}", "2222-2222-2222-2222").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_status_report_needs_a_right_code_first(client):
    response = client.get("/tips/status/report")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tips/status")


def _ask(app, reference: str, question: str):
    create_staff(username="officer")
    staff = browser(app)
    sign_in(staff, "officer")
    page = staff.get(f"/staff/items/{reference}", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ask the tipster" in html or "向举报人提问" in html
    response = staff.post(f"/staff/items/{reference}/questions", headers=EN,
                          data={"csrf_token": csrf_of(html), "question": question})
    return staff, response


def test_a_staff_question_appears_on_status_and_the_answer_with_a_photo_reaches_the_item_page(app, client, receipt, tmp_path):
    # Staff use the same app (and so the same photo folder) as the tipster.
    staff, response = _ask(client.application, receipt.reference, "What colour was the car?")
    assert response.status_code == 303
    question = db.session.scalar(select(TipQuestion))
    assert question.text == "What colour was the car?" and question.sent_by_sms is True
    # The SMS says there is a question and gives only the reference, in the tipster's language.
    message = db.session.scalar(select(OutboundMessage))
    assert message.to_phone == "+8613800138000" and message.purpose == "tip_question"
    assert receipt.reference in message.body and "What colour" not in message.body
    assert message.body.startswith("Tuanyuan: the police have a question")

    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    assert "What colour was the car?" in text_of(page)
    answer_page_html = client.get(f"/tips/status/report?question={question.id}", headers=EN).get_data(as_text=True)
    assert f'name="question_id" value="{question.id}"' in answer_page_html
    sent = client.post(f"/tips/status/report?question={question.id}", content_type="multipart/form-data", headers=EN, data={
        "csrf_token": csrf_of(answer_page_html), "question_id": str(question.id), "text": "It was a white minibus",
        "photos": (io.BytesIO(jpeg_bytes()), "car.jpg")})
    assert sent.status_code == 303
    after, _ = get_page(client, "/tips/status/report", headers=EN)
    assert "Thank you. The police can now see what you sent." in text_of(after)
    assert "It was a white minibus" in text_of(after)

    follow_up = db.session.scalar(select(TipFollowUp))
    assert follow_up.question_id == question.id
    photo = db.session.scalar(select(TipPhoto))
    assert photo.follow_up_id == follow_up.id and photo.tip_id == receipt.tip.id

    item_page = staff.get(f"/staff/items/{receipt.reference}", headers=EN)
    words = text_of(item_page)
    assert "What colour was the car?" in words and "It was a white minibus" in words
    image_url = re.search(r'<img src="([^"]+)"', item_page.get_data(as_text=True)).group(1).replace("&amp;", "&")
    image = staff.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data[:2] == b"\xff\xd8"
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == receipt.tip.item_id))]
    assert {"ask_tipster", "view_tip_followup", "view_photo"} <= set(actions)
    # Not for the public: without a staff sign-in the photo address leads to the login page.
    assert browser(app).get(image_url).status_code == 302


def test_an_answered_question_offers_adding_to_the_answer_and_a_question_shows_the_police_are_working_on_it(
        client, receipt):
    _staff, response = _ask(client.application, receipt.reference, "What colour was the car?")
    assert response.status_code == 303
    question = db.session.scalar(select(TipQuestion))
    lookup(client, receipt.reference, receipt.follow_up_code)
    before, _ = get_page(client, "/tips/status/report", headers=EN)
    # The one open question is what the box answers.
    assert "Answer the question" in text_of(before) and "The police are working on it" in text_of(before)
    assert "waiting to be looked at" not in text_of(before)
    answer_page_html = client.get(f"/tips/status/report?question={question.id}", headers=EN).get_data(as_text=True)
    client.post(f"/tips/status/report?question={question.id}", headers=EN, data={
        "csrf_token": csrf_of(answer_page_html), "question_id": str(question.id), "text": "White"})
    after, _ = get_page(client, "/tips/status/report", headers=EN)
    assert "Answer this question" not in text_of(after) and "Add to your answer" in text_of(after)
    adding, _ = get_page(client, f"/tips/status/report?question={question.id}", headers=EN)
    assert "Add to your answer" in text_of(adding) and "Answer the question" not in text_of(adding)


def test_a_new_report_with_a_question_reads_as_being_worked_on():
    from portal.tips.labels import public_progress

    assert str(public_progress("new")[0]) == "Received"
    assert str(public_progress("new", questions_asked=True)[0]) == "The police are working on it"


def test_without_sms_consent_the_question_is_only_shown_on_status(app, client):
    quiet = create_tip()
    _staff, response = _ask(app, quiet.reference, "Which station?")
    assert response.status_code == 303
    assert db.session.scalar(select(OutboundMessage)) is None
    assert db.session.scalar(select(TipQuestion)).sent_by_sms is False
    lookup(client, quiet.reference, quiet.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    assert "Which station?" in text_of(page)


def test_an_empty_question_is_explained_and_nothing_is_sent(app, receipt):
    _staff, response = _ask(app, receipt.reference, "")
    assert response.status_code == 400
    assert "Enter your question" in text_of(response)
    assert db.session.scalar(select(TipQuestion)) is None


def test_a_supervisor_can_read_answers_but_cannot_ask(app, receipt):
    create_staff(Role.SUPERVISOR, username="boss")
    staff = browser(app)
    sign_in(staff, "boss")
    html = staff.get(f"/staff/items/{receipt.reference}").get_data(as_text=True)
    assert "From the tipster" in html or "举报人提供的情况" in html
    assert "/questions" not in html
    assert staff.post(f"/staff/items/{receipt.reference}/questions", data={"question": "x"}).status_code in (400, 403)


def test_an_empty_answer_asks_for_words_or_a_photo(client, receipt):
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    response = client.post("/tips/status/report", headers=EN, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "text": ""})
    assert "Write your answer, or add a photo" in text_of(response)
    assert db.session.scalar(select(TipFollowUp)) is None


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "We could not tell which question you are answering. Send your answer again."),
    (ZH, "我们无法确定您回答的是哪个问题。请再发送一次您的回答。"),
])
@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_an_answer_to_a_question_number_the_server_cannot_use_is_explained_and_keeps_the_text(
        client, receipt, value, headers, message):
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=headers)
    response = client.post("/tips/status/report", headers=headers, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "question_id": value, "text": "The van was white"})
    assert response.status_code == 200
    assert message in text_of(response)
    assert "The van was white</textarea>" in response.get_data(as_text=True)
    assert db.session.scalar(select(TipFollowUp)) is None


def test_a_question_number_too_large_for_the_database_in_the_address_is_ignored(client, receipt):
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report?question=99999999999999999999", headers=EN)
    assert "Add information or photos" in text_of(page)


DAMAGED_EXIF = (Path(__file__).parent.parent.parent / "data" / "damaged-exif.jpg").read_bytes()


def _answer(client, text: str, files: list[tuple[bytes, str]]):
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    return client.post("/tips/status/report", content_type="multipart/form-data", headers=EN, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "text": text,
        "photos": [(io.BytesIO(content), name) for content, name in files]})


def test_an_answer_with_a_photo_whose_exif_is_damaged_is_sent_with_the_photo(client, receipt, tmp_path):
    lookup(client, receipt.reference, receipt.follow_up_code)
    sent = _answer(client, "The van was white", [(DAMAGED_EXIF, "van.jpg"), (jpeg_bytes(), "plate.jpg")])
    assert sent.status_code == 303
    stored = {path.name for path in (tmp_path / "photos").glob("*")}
    rows = {photo.stored_name for photo in db.session.scalars(select(TipPhoto))}
    assert len(stored) == 2 and stored == rows
    assert db.session.scalar(select(TipFollowUp)).text == "The van was white"


def test_an_answer_with_a_refused_photo_keeps_the_typed_text_and_stores_no_file(client, receipt, tmp_path):
    lookup(client, receipt.reference, receipt.follow_up_code)
    refused = _answer(client, "The van was white & had a dent", [(jpeg_bytes(), "plate.jpg"), (b"<html>", "van.jpg")])
    assert refused.status_code == 200
    assert "van.jpg is not a photo. Choose a JPG, PNG, WEBP or GIF photo" in text_of(refused)
    assert "The van was white &amp; had a dent</textarea>" in refused.get_data(as_text=True)
    assert not list((tmp_path / "photos").glob("*"))
    assert db.session.scalars(select(TipPhoto)).all() == [] and db.session.scalars(select(TipFollowUp)).all() == []


def test_a_question_notice_to_a_tipster_is_held_until_morning_local_time():
    from datetime import datetime, timezone

    from portal.staff.questions import polite_send_time

    at = lambda h, m=5: datetime(2026, 11, 29, h, m, tzinfo=timezone.utc)  # noqa: E731  (UTC; Shanghai is +8)
    morning = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)  # 08:00 on 30 November in Shanghai
    assert polite_send_time(at(18), "Asia/Shanghai") == morning  # 02:05 at night
    assert polite_send_time(at(13), "Asia/Shanghai") == morning  # 21:05 in the evening
    assert polite_send_time(at(23), "Asia/Shanghai") == morning  # 07:05 in the morning
    assert polite_send_time(at(2), "Asia/Shanghai") == at(2)  # 10:05: sent at once


@pytest.mark.parametrize(("start", "switch_to", "heading"), [(ZH, "en", "Progress of your report"), (EN, "zh", "您的线索进度")])
def test_switching_language_on_the_progress_page_keeps_the_typed_answer_and_sends_nothing(
        client, receipt, start, switch_to, heading):
    """The red team's case: the switch on this page was a link, and the answer typed for the
    police was gone in the other language."""
    lookup(client, receipt.reference, receipt.follow_up_code, start)
    page, _ = get_page(client, "/tips/status/report", headers=start)
    html = page.get_data(as_text=True)
    assert 'form="answer-form" name="switch_language"' in html and 'id="answer-form"' in html
    typed = "车牌是苏F 12345，\n白色面包车"
    switched = client.post("/tips/status/report", headers=start, data={
        "csrf_token": csrf_of(html), "text": typed, "switch_language": switch_to})
    assert switched.status_code == 200
    assert heading in text_of(switched)
    assert typed in switched.get_data(as_text=True)
    assert db.session.scalar(select(TipFollowUp.id)) is None
    assert client.get_cookie("lang").value == switch_to


def _question_for(receipt, text: str = "What colour was the van?") -> TipQuestion:
    question = TipQuestion(tip_id=receipt.tip.id, text=text, asked_at=receipt.tip.item.received_at)
    db.session.add(question)
    db.session.commit()
    return question


def test_with_one_question_open_what_is_typed_in_the_box_answers_it(client, receipt):
    question = _question_for(receipt)
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    html = page.get_data(as_text=True)
    assert "Answer the question" in text_of(page) and f'name="question_id" value="{question.id}"' in html
    response = client.post("/tips/status/report", headers=EN, data={
        "csrf_token": csrf_of(html), "question_id": str(question.id), "text": "White, with a blue stripe"})
    assert response.status_code == 303
    db.session.expire_all()
    [answer] = db.session.scalars(select(TipFollowUp))
    assert answer.question_id == question.id
    assert db.session.get(TipQuestion, question.id).answered_at is not None


def test_i_have_finished_sends_what_was_typed_first_then_forgets_the_report(client, receipt):
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    response = client.post("/tips/status/report", headers=EN, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "question_id": "", "text": "The van came back at 6pm",
        "finish": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tips/status")
    db.session.expire_all()
    assert [f.text for f in db.session.scalars(select(TipFollowUp))] == ["The van came back at 6pm"]
    # The browser no longer holds the report: the progress page asks for the code again.
    assert client.get("/tips/status/report", headers=EN).status_code == 302
    # With nothing typed, finishing sends nothing.
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    client.post("/tips/status/report", headers=EN, data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "question_id": "", "text": "", "finish": "1"})
    assert db.session.query(TipFollowUp).count() == 1


def test_a_report_merged_into_another_shows_that_ones_progress_and_says_it_was_joined(client, receipt):
    other = create_tip(description="Same van, seen from the bus stop")
    item = db.session.get(IntakeItem, receipt.tip.item_id)
    item.status, item.outcome, item.merged_into_id = ItemStatus.CLOSED, "duplicate", other.tip.item_id
    db.session.commit()
    lookup(client, receipt.reference, receipt.follow_up_code)
    page, _ = get_page(client, "/tips/status/report", headers=EN)
    words = text_of(page)
    assert "joined with another report about the same event" in words
    assert "Closed" not in words.split("Questions from the police")[0]


def test_a_question_asked_at_night_says_when_the_tipster_will_be_told_not_that_they_were(app, receipt, monkeypatch):
    from datetime import datetime, timezone

    from tests.support.staff import control_clock

    control_clock(monkeypatch, datetime(2026, 12, 7, 14, 30, tzinfo=timezone.utc))  # 22:30 in Nantong
    staff, response = _ask(app, receipt.reference, "What colour was the van?")
    assert response.status_code == 303
    page = staff.get(response.headers["Location"], headers=EN)
    words = text_of(page)
    assert "A text message will tell the tipster at Tuesday 8 December 2026, 8:00am (no texts at night)." in words
    assert "The tipster was told by text message" not in words
    assert "To be sent Tuesday 8 December 2026, 8:00am" in words

"""The SMS hotline webhook: signature check, storing each message once, tips by keyword, the menu."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select, text as sql_text
from twilio.request_validator import RequestValidator

from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemKind, OutboundMessage, OutboundStatus, Tip
from portal.core.security.crypto import lookup_hash
from portal.hotline import replies
from portal.hotline.inbox import ANSWER_KEPT_MINUTES, forget_kept_answers
from portal.jobs import PERIODIC_JOBS
from portal.hotline.language import language_of
from portal.hotline.keywords import Keyword, choice, match
from tests.support.settings import TWILIO_TEST_TOKEN
from tests.support.sms import SENDER, TEST_URL, signed_post, sms_params
from tests.support.staff import control_clock

TIP_BODY = "举报 我在成都火车站看到一个小孩被成年人强迫乞讨"


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Tip, IntakeItem, InboundMessage, OutboundMessage)
    }


def nothing_stored() -> dict[str, int]:
    return {"tip": 0, "intake_item": 0, "inbound_message": 0, "outbound_message": 0}


# The webhook ---------------------------------------------------------------------------------


def test_signed_tip_sms_creates_an_sms_tip_and_replies_with_its_reference(client):
    response = signed_post(client, sms_params(TIP_BODY))

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    tip = db.session.scalars(select(Tip)).one()
    assert tip.item.channel == "sms"
    assert tip.item.kind == ItemKind.TIP.value
    assert tip.description == "我在成都火车站看到一个小孩被成年人强迫乞讨"
    assert tip.item.feedback_due_at is not None
    reply = response.get_data(as_text=True)
    assert f"受理编号{tip.item.reference}" in reply
    assert "查询码" in reply and "110" in reply

    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.item_id == tip.item_id
    assert inbound.from_phone == SENDER
    assert inbound.from_phone_hash == lookup_hash(SENDER, "phone")
    assert inbound.language == "zh"
    outbound = db.session.scalars(select(OutboundMessage)).one()
    assert outbound.status == OutboundStatus.REPLIED.value
    assert outbound.in_reply_to_id == inbound.id and outbound.item_id == tip.item_id
    assert tip.item.reference in outbound.body


def test_stored_reply_does_not_keep_the_follow_up_code_in_plain_text(client):
    response = signed_post(client, sms_params(TIP_BODY))
    tip = db.session.scalars(select(Tip)).one()
    from portal.tips.service import follow_up_code_matches

    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", response.get_data(as_text=True)).group(0)
    assert follow_up_code_matches(tip, code)
    outbound = db.session.scalars(select(OutboundMessage)).one()
    assert code not in outbound.body
    assert replies.REDACTED_CODE in outbound.body


def test_a_repeated_delivery_of_the_same_message_gets_the_same_answer_and_stores_nothing_more(client):
    # Twilio repeats a request whose answer was lost (a worker that died, its 15-second timeout):
    # the sender must still learn the reference and the follow-up code, and no second tip is made.
    params = sms_params(TIP_BODY)
    first = signed_post(client, params).get_data(as_text=True)
    before = counts()

    again = signed_post(client, params)

    assert again.status_code == 200
    assert again.get_data(as_text=True) == first
    assert "查询码" in first and replies.REDACTED_CODE not in first
    assert counts() == before == {"tip": 1, "intake_item": 1, "inbound_message": 1, "outbound_message": 1}


def test_the_kept_answer_is_stored_encrypted(client):
    response = signed_post(client, sms_params(TIP_BODY))
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", response.get_data(as_text=True)).group(0)
    raw = db.session.execute(sql_text("SELECT answer, answer_kept_until FROM inbound_message")).one()
    assert raw.answer and raw.answer_kept_until is not None
    assert code not in raw.answer and "TY-" not in raw.answer


def test_a_repeated_delivery_after_the_hour_gets_an_empty_answer_and_the_kept_answer_is_erased(client, monkeypatch):
    clock = control_clock(monkeypatch)
    params = sms_params(TIP_BODY)
    assert "TY-" in signed_post(client, params).get_data(as_text=True)

    clock.advance(minutes=ANSWER_KEPT_MINUTES, seconds=1)
    again = signed_post(client, params)

    assert again.status_code == 200 and "<Message>" not in again.get_data(as_text=True)
    db.session.expire_all()
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.answer is None and inbound.answer_kept_until is None
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1


def test_the_worker_erases_kept_answers_after_the_hour_and_keeps_younger_ones(client, monkeypatch):
    clock = control_clock(monkeypatch)
    old_params = sms_params(TIP_BODY)
    signed_post(client, old_params)
    clock.advance(minutes=30)
    young_params = sms_params("hello", sender="+8613900139000")
    young_answer = signed_post(client, young_params).get_data(as_text=True)

    forget_kept_answers(clock.advance(minutes=30, seconds=1))

    db.session.expire_all()
    kept = {m.provider_message_id: m.answer for m in db.session.scalars(select(InboundMessage))}
    assert kept[old_params["MessageSid"]] is None
    assert kept[young_params["MessageSid"]]
    assert signed_post(client, young_params).get_data(as_text=True) == young_answer
    assert "<Message>" not in signed_post(client, old_params).get_data(as_text=True)


def test_the_worker_runs_the_job_that_erases_kept_answers():
    assert forget_kept_answers in [job.run for job in PERIODIC_JOBS]


def test_wrongly_signed_request_is_refused_and_stores_nothing(client):
    params = sms_params(TIP_BODY)
    response = signed_post(client, params, token="not-the-auth-token")
    assert response.status_code == 403
    assert counts() == nothing_stored()


def test_unsigned_request_is_refused_and_stores_nothing(client):
    response = client.post("/sms/inbound", data=sms_params(TIP_BODY))
    assert response.status_code == 403
    assert counts() == nothing_stored()


def test_request_whose_body_was_changed_after_signing_is_refused(client):
    params = sms_params(TIP_BODY)
    signature = RequestValidator(TWILIO_TEST_TOKEN).compute_signature(TEST_URL, params)
    forged = {**params, "Body": "举报 假的线索"}
    response = client.post("/sms/inbound", data=forged, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert counts() == nothing_stored()


def test_plain_chinese_message_is_kept_as_an_sms_item_and_gets_the_chinese_menu(client):
    response = signed_post(client, sms_params("你好"))

    assert response.status_code == 200
    reply = response.get_data(as_text=True)
    assert "团圆热线" in reply and "举报" in reply and "110" in reply
    item = db.session.scalars(select(IntakeItem)).one()
    assert item.kind == ItemKind.SMS_MESSAGE.value and item.channel == "sms"
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.item_id == item.id and inbound.body == "你好"
    assert counts()["tip"] == 0
    assert db.session.scalars(select(OutboundMessage)).one().item_id == item.id


def test_plain_english_message_gets_the_english_menu(client):
    response = signed_post(client, sms_params("hello"))
    reply = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tuanyuan hotline" in reply and "1 report a lead" in reply
    assert db.session.scalars(select(IntakeItem)).one().kind == ItemKind.SMS_MESSAGE.value


def test_lower_case_tip_keyword_creates_a_tip_and_replies_in_english(client):
    response = signed_post(client, sms_params("tip a child begging with an adult at the bus station"))
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == "a child begging with an adult at the bus station"
    reply = response.get_data(as_text=True)
    assert f"Reference {tip.item.reference}" in reply


def test_tip_keyword_without_text_asks_what_they_saw_and_the_answer_becomes_the_tip(client):
    response = signed_post(client, sms_params("举报"))
    assert response.status_code == 200
    assert "请告诉我们您看到的情况" in response.get_data(as_text=True)
    assert counts()["tip"] == 0 and counts()["intake_item"] == 0

    response = signed_post(client, sms_params("火车站有个小孩一直在哭"))
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == "火车站有个小孩一直在哭"
    assert f"受理编号{tip.item.reference}" in response.get_data(as_text=True)


def test_sender_that_is_not_a_mobile_number_is_kept_as_given(client):
    signed_post(client, sms_params("hello", sender="+15005550006"))
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.from_phone == "+15005550006"


def test_request_signed_for_the_local_url_is_refused_when_a_public_url_is_set(app_factory):
    app = app_factory(public_base_url="https://hotline.example.cn")
    with app.app_context():
        response = signed_post(app.test_client(), sms_params(TIP_BODY), url=TEST_URL)
        assert response.status_code == 403


def test_signature_covers_the_raw_query_string(client):
    params = sms_params("hello")
    url = TEST_URL + "?site=%E6%88%90%E9%83%BD&x=a%20b"
    signature = RequestValidator(TWILIO_TEST_TOKEN).compute_signature(url, params)
    response = client.post("/sms/inbound?site=%E6%88%90%E9%83%BD&x=a%20b", data=params,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200


def test_signed_request_without_a_message_id_gets_empty_twiml_and_stores_nothing(client):
    params = sms_params("hello")
    del params["MessageSid"]
    response = signed_post(client, params)
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    assert counts() == nothing_stored()


def test_simulated_internal_failure_still_answers_twiml_and_keeps_the_message(client, monkeypatch):
    # Our own code is made to fail here only to simulate an internal error inside the webhook.
    import portal.tips.service

    def broken_create_tip(**kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(portal.tips.service, "create_tip", broken_create_tip)

    response = signed_post(client, sms_params(TIP_BODY))

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "已收到您的短信" in response.get_data(as_text=True)
    assert counts() == {"tip": 0, "intake_item": 1, "inbound_message": 1, "outbound_message": 1}
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.body == TIP_BODY
    assert db.session.get(IntakeItem, inbound.item_id).kind == ItemKind.SMS_MESSAGE.value


def test_simulated_internal_failure_logs_neither_the_phone_nor_the_text(client, monkeypatch, caplog):
    import portal.tips.service

    def broken_create_tip(**kwargs):
        raise RuntimeError(f"simulated failure quoting {kwargs['description']}")

    monkeypatch.setattr(portal.tips.service, "create_tip", broken_create_tip)
    with caplog.at_level("DEBUG"):
        signed_post(client, sms_params(TIP_BODY))
    assert "RuntimeError" in caplog.text
    assert SENDER not in caplog.text and "13800138000" not in caplog.text
    assert "成都火车站" not in caplog.text


# Reading keywords (pure) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword", "rest"),
    [
        (TIP_BODY, Keyword.TIP, "我在成都火车站看到一个小孩被成年人强迫乞讨"),
        ("线索：西站有个小孩", Keyword.TIP, "西站有个小孩"),
        ("  【举报】看到，一个孩子。", Keyword.TIP, "看到，一个孩子。"),
        ("举报+火车站", Keyword.TIP, "火车站"),
        ("tip i saw a child", Keyword.TIP, "i saw a child"),
        ("Tip: i saw", Keyword.TIP, "i saw"),
        ("ＴＩＰ　我看到", Keyword.TIP, "我看到"),
        ("Tip我看到", Keyword.TIP, "我看到"),
        ("举报", Keyword.TIP, ""),
        ("TIP !", Keyword.TIP, ""),
        ("举 报 火车站", Keyword.TIP, "火车站"),
        ("预约", Keyword.BOOK, ""),
        ("采血", Keyword.BOOK, ""),
        ("book", Keyword.BOOK, ""),
        ("ＢＯＯＫ", Keyword.BOOK, ""),
        ("查询 TY-7K3M-9Q2P", Keyword.STATUS, "TY-7K3M-9Q2P"),
        ("status ty7k3m9q2p", Keyword.STATUS, "ty7k3m9q2p"),
        ("取消预约", Keyword.CANCEL_BOOKING, ""),
        ("Cancel  Booking", Keyword.CANCEL_BOOKING, ""),
        ("cancelbooking", Keyword.CANCEL_BOOKING, ""),
        ("帮助", Keyword.HELP, ""),
        ("help", Keyword.HELP, ""),
        ("STOP", Keyword.OPT_OUT, ""),
        (" stop。", Keyword.OPT_OUT, ""),
        ("退订", Keyword.OPT_OUT, ""),
        ("td", Keyword.OPT_OUT, ""),
        ("CANCEL", Keyword.OPT_OUT, ""),
        ("ＳＴＯＰ", Keyword.OPT_OUT, ""),
        ("恢复", Keyword.OPT_IN, ""),
        ("start", Keyword.OPT_IN, ""),
    ],
)
def test_keywords_count_at_the_start_ignoring_case_spaces_and_width(body, keyword, rest):
    found = match(body)
    assert found is not None and found.keyword is keyword
    assert found.rest == rest


@pytest.mark.parametrize(
    "body",
    ["TIPS are great", "tipsy", "booking", "bookkeeping", "你好", "我要举报", "", "STOP PLEASE", "TD123",
     "cancel my booking", "CANCEL it", "statuses", "helpful", "start now", "恢复了吗"],
)
def test_ordinary_messages_hold_no_keyword(body):
    assert match(body) is None


@pytest.mark.parametrize(("text", "number"), [("1", 1), ("２", 2), (" 0 ", 0), ("3。", 3), ("１２", 12), ("①", 1)])
def test_numbered_answers_accept_full_width_digits(text, number):
    assert choice(text) == number


@pytest.mark.parametrize("text", ["one", "1 yes", "", "1.5", "-1", "+1", "12345"])
def test_anything_but_a_bare_number_is_no_numbered_answer(text):
    assert choice(text) is None


@pytest.mark.parametrize(
    ("body", "language"),
    [("你好", "zh"), ("hello", "en"), ("TIP 火车站", "zh"), ("tip，station", "zh"), ("", "zh"), ("123", "zh")],
)
def test_reply_language_follows_the_message(body, language):
    assert language_of(body) == language


def test_nul_characters_in_an_sms_are_dropped_and_the_tip_is_kept(client):
    response = signed_post(client, sms_params("举报 火车站\x00有个小孩", message_sid="SM" + uuid.uuid4().hex))
    assert response.status_code == 200
    assert "TY-" in response.get_data(as_text=True)
    assert db.session.scalars(select(Tip)).one().description == "火车站有个小孩"


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", " cancel "])
def test_a_twilio_opt_out_word_alone_is_kept_and_left_for_twilio_to_confirm(client, word):
    response = signed_post(client, sms_params(word, message_sid="SM" + uuid.uuid4().hex))
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 0


@pytest.mark.parametrize("body", ["STOP PLEASE", "TD123"])
def test_an_opt_out_word_inside_a_longer_message_is_an_ordinary_message(client, body):
    response = signed_post(client, sms_params(body, message_sid="SM" + uuid.uuid4().hex))
    assert "<Message>" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 1


@pytest.mark.parametrize("word", ["退订", "TD", "td"])
def test_a_chinese_opt_out_word_is_confirmed_by_the_hotline_itself(client, word):
    response = signed_post(client, sms_params(word, message_sid="SM" + uuid.uuid4().hex))
    text = response.get_data(as_text=True)
    assert "退订" in text and "恢复" in text
    assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 0


@pytest.mark.parametrize(("word", "says"), [
    ("退订", ("仍会回复您发来的短信", "发送STOP后，在发送START之前连回复也收不到")),
    ("Stop.", ("except answers to messages you send", "After STOP, even answers stop until you send START")),
])
def test_the_opt_out_confirmation_says_answers_still_come_but_not_after_stop_until_start(client, word, says):
    text = signed_post(client, sms_params(word, message_sid="SM" + uuid.uuid4().hex)).get_data(as_text=True)
    for words in says:
        assert words in text


def test_the_menu_offers_every_flow_by_number(client):
    text = signed_post(client, sms_params("hello", message_sid="SM" + uuid.uuid4().hex)).get_data(as_text=True)
    for choice_text in ("1 report a lead", "2 book free blood sampling", "3 check progress", "4 cancel a booking",
                        "5 help", "110"):
        assert choice_text in text


def test_sms_receive_command_sends_a_signed_message_through_the_real_webhook(app):
    result = app.test_cli_runner().invoke(args=["sms-receive", "举报 我在成都火车站看到一个小孩被成年人强迫乞讨"])
    assert result.exit_code == 0, result.output
    assert "HTTP 200" in result.output and "受理编号TY-" in result.output
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 1


def test_an_sms_tip_keeps_no_readable_copy_of_its_follow_up_code(client):
    signed_post(client, sms_params("举报 火车站有个小孩", message_sid="SM" + uuid.uuid4().hex))
    tip = db.session.scalars(select(Tip)).one()
    assert tip.follow_up_code_display is None and tip.follow_up_code_display_until is None

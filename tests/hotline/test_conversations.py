"""Hotline conversations through signed webhook requests: the tip's questions, the menu, expiry,
danger words, opt-out and opt-in words, bursts and MMS media."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select, text as sql_text

from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemKind, OutboundMessage, OutboundStatus, Priority, SmsConversation, SmsMedia, Tip, UrgentAlert
from portal.core.security.crypto import phone_hash
from portal.core.sms import optout
from portal.hotline.danger import DANGER_WORDS_EN, DANGER_WORDS_ZH, mentions_danger
from tests.support.staff import control_clock
from tests.support.sms import SENDER, signed_post, sms_params

OTHER_SENDER = "+8613900139000"


def say(client, body: str, sender: str = SENDER, **extra: str) -> str:
    """Send one signed SMS from `sender`; return the reply text ("" when the answer holds none)."""
    params = {**sms_params(body, message_sid="SM" + uuid.uuid4().hex, sender=sender), **extra}
    response = signed_post(client, params)
    assert response.status_code == 200
    found = re.search(r"<Message>(.*)</Message>", response.get_data(as_text=True), re.S)
    return found.group(1) if found else ""


def the_tip() -> Tip:
    return db.session.scalars(select(Tip)).one()


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# The tip conversation ---------------------------------------------------------------------------


def test_chinese_tip_conversation_adds_danger_place_and_time_to_the_same_tip(client):
    first = say(client, "举报 火车站有个小女孩跟着一个男人乞讨")
    tip = the_tip()
    assert f"受理编号{tip.item.reference}" in first and "查询码" in first
    assert "未经您同意，民警一般只看到部分号码" in first and "有危险吗" in first
    # Nobody has asked yet whether the police may contact the sender: not recorded as agreed.
    assert tip.item.channel == "sms" and tip.contact_phone == SENDER and not tip.may_contact_by_sms

    assert "哪里" in say(client, "2")
    assert "什么时候" in say(client, "南通站北广场出口")
    assert "是否同意办理线索的民警看到您的完整号码" in say(client, "今天下午3点")
    last = say(client, "1")
    assert tip.item.reference in last

    db.session.expire_all()
    tip = the_tip()
    assert tip.description == "火车站有个小女孩跟着一个男人乞讨"
    assert tip.place == "南通站北广场出口" and tip.seen_when == "今天下午3点"
    assert not tip.child_in_danger and tip.item.priority != Priority.URGENT.value
    assert tip.may_contact_by_sms
    assert count(Tip) == 1 and count(IntakeItem) == 1
    assert count(SmsConversation) == 0  # ended
    # Every message of the conversation belongs to the tip.
    assert set(db.session.scalars(select(InboundMessage.item_id))) == {tip.item_id}


def test_an_sms_tipster_who_answers_2_to_the_contact_question_is_not_recorded_as_agreeing(client):
    say(client, "TIP a small girl begging with a man at the station")
    say(client, "2")
    say(client, "0")
    assert "may the police handling this tip see your full number" in say(client, "0")
    assert "Reply 1 yes or 2 no" in say(client, "she wore a red coat")  # not an answer: asked again
    assert the_tip().item.reference in say(client, "2")
    db.session.expire_all()
    tip = the_tip()
    assert not tip.may_contact_by_sms
    assert tip.description.endswith("she wore a red coat")
    assert count(SmsConversation) == 0


def test_the_urgent_advice_comes_before_the_contact_question(client):
    say(client, "举报 火车站有个小女孩跟着一个男人乞讨")
    assert "110" in say(client, "1")
    assert "什么时候" in say(client, "南通站")
    assert "是否同意" in say(client, "刚才")


def test_an_sms_tipster_who_stops_before_the_contact_question_is_not_recorded_as_agreeing(client):
    say(client, "举报 火车站有个小女孩跟着一个男人乞讨")
    say(client, "2")
    assert not the_tip().may_contact_by_sms


def test_english_tip_conversation_with_a_child_in_danger_says_call_110_and_marks_it_urgent(client):
    first = say(client, "TIP a boy pulled into a white van at the bus station")
    assert "Reference" in first and "Is a child in danger right now?" in first
    reply = say(client, "1")
    assert "Call 110 now" in reply and "12110" in reply
    db.session.expire_all()
    tip = the_tip()
    assert tip.child_in_danger and tip.item.priority == Priority.URGENT.value
    assert count(UrgentAlert) == 1
    assert "When" in say(client, "0")  # place skipped
    assert "Last question" in say(client, "０")  # time skipped, full-width zero
    assert "Thank you" in say(client, "2")
    db.session.expire_all()
    assert the_tip().place is None and the_tip().seen_when is None


def test_a_bare_number_is_answered_in_the_language_of_the_conversation(client):
    say(client, "tip a girl crying alone at the ferry")
    assert "Where did you see the child?" in say(client, "2")


def test_an_answer_that_is_not_yes_or_no_is_added_to_the_tip_and_the_question_is_asked_again(client):
    say(client, "举报 公园有个孩子")
    reply = say(client, "孩子大概五岁，穿红衣服")
    assert "已补充" in reply and "有危险吗" in reply
    db.session.expire_all()
    assert the_tip().description == "公园有个孩子\n孩子大概五岁，穿红衣服"


def test_a_danger_word_flags_the_tip_urgent_without_any_answer(client):
    say(client, "举报 有人在超市门口强行把孩子抱走")
    tip = the_tip()
    assert tip.item.priority == Priority.URGENT.value and count(UrgentAlert) == 1
    # "Child in danger" stays what the sender answers: here, not yet answered (None, not False).
    assert tip.child_in_danger is None
    say(client, "2")
    db.session.expire_all()
    assert the_tip().child_in_danger is False and the_tip().item.priority == Priority.URGENT.value


def test_an_answer_to_the_danger_question_without_words_adds_nothing_to_the_tip(client):
    say(client, "举报 公园有个孩子")
    reply = say(client, "3")
    assert "有危险吗" in reply and "已补充" not in reply
    db.session.expire_all()
    assert the_tip().description == "公园有个孩子"


@pytest.mark.parametrize(("word", "reply_words"), [("退出", "已结束"), ("取消", "已结束"), ("exit", "Stopped")])
def test_an_exit_word_ends_a_conversation_and_changes_nothing(client, word, reply_words):
    say(client, "预约")
    assert reply_words in say(client, word)
    assert count(SmsConversation) == 0
    assert "1 举报线索" in say(client, "2") or "1 report a lead" in say(client, "2")


def test_a_danger_word_in_a_later_answer_flags_the_tip_urgent(client):
    say(client, "TIP a child with two adults at the market")
    say(client, "2")
    say(client, "they were dragging him into a car")
    db.session.expire_all()
    assert the_tip().item.priority == Priority.URGENT.value


@pytest.mark.parametrize("word", DANGER_WORDS_ZH + DANGER_WORDS_EN)
def test_every_documented_danger_word_is_recognised_in_a_sentence(word):
    assert mentions_danger(f"我看到 {word} 了" if not word.isascii() else f"I saw {word.upper()} there")


@pytest.mark.parametrize("text", ["孩子在公园玩", "a child selling flowers at the station", "the boy looked tired",
                                  "forecast says sunny", "unlocked bicycle"])
def test_ordinary_words_are_not_danger_words(text):
    assert not mentions_danger(text)


# The menu: nothing the sender wrote is lost ----------------------------------------------------


def test_a_first_message_without_keyword_becomes_the_start_of_the_tip_when_the_sender_chooses_1(client):
    menu = say(client, "我在汽车站看到一个小孩被大人拉着走，孩子一直哭")
    assert "1 举报线索" in menu
    item = db.session.scalars(select(IntakeItem)).one()
    assert item.kind == ItemKind.SMS_MESSAGE.value

    first = say(client, "1")
    db.session.expire_all()
    tip = the_tip()
    assert tip.description == "我在汽车站看到一个小孩被大人拉着走，孩子一直哭"
    assert f"受理编号{tip.item.reference}" in first
    # The kept SMS item is folded into the tip: the queue shows the words once.
    assert count(IntakeItem) == 1
    assert set(db.session.scalars(select(InboundMessage.item_id))) == {tip.item_id}
    assert "哪里" in say(client, "2")


def test_several_messages_before_choosing_1_all_become_the_tip(client):
    say(client, "hello")
    assert "staff will read it" in say(client, "I saw a girl at the bus station")
    say(client, "1")
    db.session.expire_all()
    assert the_tip().description == "hello\nI saw a girl at the bus station"


def test_a_number_outside_the_menu_keeps_the_message_and_repeats_the_choices(client):
    say(client, "你好")
    assert "请回复数字" in say(client, "9")
    assert count(Tip) == 0
    assert db.session.scalars(select(IntakeItem)).one().kind == ItemKind.SMS_MESSAGE.value


def test_help_lists_the_keywords_in_the_senders_language(client):
    text = say(client, "帮助")
    assert "举报" in text and "预约" in text and "查询" in text and "取消预约" in text and "退订" in text
    assert "CANCEL BOOKING" in say(client, "help")
    assert count(IntakeItem) == 0


def test_menu_choice_5_gives_help(client):
    say(client, "hi there")
    assert "BOOK" in say(client, "5")


# Expiry ------------------------------------------------------------------------------------------


def test_a_conversation_expires_after_the_idle_time_and_the_next_message_says_so(client, monkeypatch):
    clock = control_clock(monkeypatch)
    say(client, "举报 车站有个孩子")
    clock.advance(minutes=31)
    reply = say(client, "2")
    assert "已结束" in reply and "1 举报线索" in reply
    db.session.expire_all()
    assert the_tip().child_in_danger is None  # "2" was not taken as an answer to the old question: never answered
    assert db.session.scalars(select(SmsConversation)).one().flow == "menu"


def test_a_conversation_within_the_idle_time_continues(client, monkeypatch):
    clock = control_clock(monkeypatch)
    say(client, "举报 车站有个孩子")
    clock.advance(minutes=29)
    assert "哪里" in say(client, "2")


def test_the_idle_time_is_configurable(app, app_factory, monkeypatch):
    app = app_factory(sms_conversation_idle_minutes=5)
    with app.app_context():
        client = app.test_client()
        clock = control_clock(monkeypatch)
        say(client, "TIP a child at the pier")
        clock.advance(minutes=6)
        assert "ended after a long pause" in say(client, "2")


def test_a_keyword_during_a_conversation_starts_that_flow_afresh(client):
    say(client, "举报 车站有个孩子")
    say(client, "举报 另一个地方也有个孩子")
    assert count(Tip) == 2


def test_conversations_are_kept_per_phone_number(client):
    say(client, "举报 车站有个孩子")
    assert "1 举报线索" in say(client, "2", sender=OTHER_SENDER)  # no conversation on that number
    assert "哪里" in say(client, "2")


def test_conversation_answers_are_stored_encrypted(client):
    say(client, "举报 车站有个孩子")
    raw = db.session.execute(sql_text("SELECT data FROM sms_conversation")).scalar_one()
    assert "tip_id" not in (raw or "")


# Opt-out and opt-in words ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "退订", "TD", "unsubscribe"])
def test_an_opt_out_word_records_the_opt_out_and_ends_the_conversation(client, word):
    say(client, "举报 车站有个孩子")
    say(client, word)
    assert optout.is_opted_out(phone_hash(SENDER))
    assert count(SmsConversation) == 0


@pytest.mark.parametrize("body", ["STOP PLEASE", "TD123", "stop sending me the menu"])
def test_an_opt_out_word_inside_a_message_opts_nobody_out(client, body):
    assert say(client, body)
    assert not optout.is_opted_out(phone_hash(SENDER))


@pytest.mark.parametrize(("word", "confirmed"), [("START", False), ("恢复", True), ("unstop", False)])
def test_a_start_word_opts_the_number_back_in(client, word, confirmed):
    say(client, "退订")
    reply = say(client, word)
    assert not optout.is_opted_out(phone_hash(SENDER))
    assert bool(reply) is confirmed


def test_yes_opts_back_in_only_a_number_that_opted_out(client):
    say(client, "STOP")
    say(client, "YES")
    assert not optout.is_opted_out(phone_hash(SENDER))
    # For a number that never opted out, YES is an ordinary message (it gets the menu).
    assert "1 report a lead" in say(client, "YES", sender=OTHER_SENDER)


@pytest.mark.parametrize("word", ["退订", "TD"])
def test_after_the_hotlines_own_opt_out_word_a_tip_is_answered_with_its_reference_code_and_advice(client, word):
    say(client, word)
    answer = say(client, "举报 车站有个孩子")
    tip = the_tip()
    assert f"受理编号{tip.item.reference}" in answer and "查询码" in answer and "110" in answer
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", answer).group(0)
    from portal.tips.service import follow_up_code_matches
    assert follow_up_code_matches(tip, code)
    replied = db.session.scalars(select(OutboundMessage).where(OutboundMessage.body.contains("受理编号"))).one()
    assert replied.status == OutboundStatus.REPLIED.value
    # The answers to the tip's questions come too, and the advice when a child is in danger.
    assert "110" in say(client, "1")
    # Still opted out of everything the portal would send on its own.
    assert optout.is_opted_out(phone_hash(SENDER))


def test_the_contact_question_is_not_asked_of_a_number_that_opted_out(client):
    say(client, "退订")
    say(client, "举报 车站有个孩子")
    say(client, "2")
    say(client, "0")
    assert the_tip().item.reference in say(client, "0")
    assert not the_tip().may_contact_by_sms


@pytest.mark.parametrize("words", [["STOP"], ["STOP", "退订"]])
def test_after_twilios_stop_a_tip_is_kept_but_the_reply_twilio_would_block_is_withheld(client, words):
    for word in words:
        say(client, word)
    assert say(client, "举报 车站有个孩子") == ""
    assert count(Tip) == 1
    withheld = db.session.scalars(select(OutboundMessage).where(OutboundMessage.body.contains("受理编号"))).one()
    assert withheld.status == OutboundStatus.OPTED_OUT.value and withheld.sent_at is None
    # Staff are not told they may text a number that gets no texts.
    assert not the_tip().may_contact_by_sms


def test_after_start_a_tip_from_a_number_that_sent_stop_is_answered_again(client):
    say(client, "STOP")
    say(client, "START")
    assert "受理编号" in say(client, "举报 车站有个孩子")


# Bursts --------------------------------------------------------------------------------------------


def test_a_burst_from_one_number_is_kept_and_flagged_but_not_answered(app, app_factory):
    app = app_factory(sms_burst_per_minute=3)
    with app.app_context():
        client = app.test_client()
        replies = [say(client, f"hello {n}") for n in range(5)]
        assert all(replies[:3]) and replies[3:] == ["", ""]
        burst = list(db.session.scalars(select(InboundMessage).where(InboundMessage.burst.is_(True))))
        assert len(burst) == 2
        # One item gathers the burst for staff.
        assert len({message.item_id for message in burst}) == 1 and burst[0].item_id is not None
        # Another number is answered as usual.
        assert say(client, "hello", sender=OTHER_SENDER)


def test_a_burst_is_counted_per_minute(app, app_factory, monkeypatch):
    app = app_factory(sms_burst_per_minute=2)
    with app.app_context():
        client = app.test_client()
        clock = control_clock(monkeypatch)
        say(client, "hello 1")
        say(client, "hello 2")
        clock.advance(seconds=61)
        assert say(client, "hello 3")


# MMS --------------------------------------------------------------------------------------------


def test_media_urls_of_an_mms_tip_are_stored_with_the_tip(client):
    urls = {"NumMedia": "2", "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2"}
    say(client, "举报 照片里的孩子在车站", **urls)
    media = list(db.session.scalars(select(SmsMedia).order_by(SmsMedia.id)))
    assert [m.url for m in media] == [urls["MediaUrl0"], urls["MediaUrl1"]]
    assert {m.tip_id for m in media} == {the_tip().id} and {m.status for m in media} == {"pending"}


def test_a_photo_sent_during_the_tip_questions_joins_the_tip(client):
    say(client, "举报 车站有个孩子")
    say(client, "", NumMedia="1", MediaUrl0="https://api.twilio.com/x/Media/ME3")
    db.session.expire_all()
    assert db.session.scalars(select(SmsMedia)).one().tip_id == the_tip().id


def test_a_photo_before_choosing_1_in_the_menu_joins_the_tip(client):
    say(client, "看这个孩子", NumMedia="1", MediaUrl0="https://api.twilio.com/x/Media/ME4")
    say(client, "1")
    db.session.expire_all()
    assert db.session.scalars(select(SmsMedia)).one().tip_id == the_tip().id


# Done when: after STOP (or 退订) nothing is handed to Twilio; after START it is -------------------


@pytest.mark.parametrize(("stop", "start"), [("STOP", "START"), ("退订", "恢复"), ("td", "start")])
def test_after_an_opt_out_sms_no_reminder_or_staff_question_reaches_twilio_until_a_start_sms(client, app, stop, start):
    from portal.core.outbox import queue_message
    from portal.core.outbox.worker import run_pass
    from portal.sampling.notices import REMINDER_PURPOSE
    from tests.support.outbox import StubTwilioHttp, accepted, twilio_provider

    say(client, stop)
    queue_message(SENDER, "明天上午9:00请到采血点采血。", REMINDER_PURPOSE)
    queue_message(SENDER, "民警对您的线索有一个问题。", "tip_question")
    db.session.commit()
    stub = StubTwilioHttp(accepted(), accepted())
    provider = twilio_provider(app, stub)

    assert run_pass(provider).opted_out == 2
    assert stub.requests == []

    say(client, start)
    queue_message(SENDER, "民警对您的线索有一个新问题。", "tip_question")
    db.session.commit()
    assert run_pass(provider).sent == 1
    assert [request["data"]["Body"] for request in stub.requests] == ["民警对您的线索有一个新问题。"]


@pytest.mark.parametrize("body", ["STOP PLEASE", "TD123"])
def test_a_longer_message_starting_with_an_opt_out_word_does_not_stop_outbound_messages(client, app, body):
    from portal.core.outbox import queue_message
    from portal.core.outbox.worker import run_pass
    from tests.support.outbox import StubTwilioHttp, accepted, twilio_provider

    say(client, body)
    queue_message(SENDER, "民警对您的线索有一个问题。", "tip_question")
    db.session.commit()
    stub = StubTwilioHttp(accepted())
    assert run_pass(twilio_provider(app, stub)).sent == 1


# What staff see ------------------------------------------------------------------------------------


def test_staff_see_an_sms_tip_conversation_in_the_order_it_happened(app, client):
    from tests.support.factories import create_staff
    from tests.support.staff import browser, sign_in

    say(client, "举报 车站有个孩子")
    say(client, "2")
    say(client, "南通站北广场")
    staff = create_staff()
    db.session.commit()
    officer = browser(app)
    sign_in(officer, staff.username)
    page = officer.get(f"/staff/items/{the_tip().item.reference}").get_data(as_text=True)
    thread = page[page.index('role="region" aria-label="短信"'):]
    order = [thread.index(text) for text in ("车站有个孩子", "有危险吗", "哪里", "南通站北广场", "什么时候")]
    assert order == sorted(order)


def test_staff_see_which_messages_came_in_a_burst_and_went_unanswered(app, app_factory):
    from tests.support.factories import create_staff
    from tests.support.staff import browser, sign_in

    bursting = app_factory(sms_burst_per_minute=1)
    with bursting.app_context():
        phone = bursting.test_client()
        say(phone, "hello")
        say(phone, "hello again")
        item = db.session.scalars(select(InboundMessage).where(InboundMessage.burst.is_(True))).one().item
        staff = create_staff()
        db.session.commit()
        officer = browser(bursting)
        sign_in(officer, staff.username)
        page = officer.get(f"/staff/items/{item.reference}").get_data(as_text=True)
        assert "Received in a burst: not answered" in page or "短时间内大量收到：未回复" in page


@pytest.mark.parametrize(
    ("text", "fallback", "language"),
    [("2", "en", "en"), ("2", "zh", "zh"), ("TY-7K3M-9Q2P", "zh", "zh"), ("32068419900101123X", "zh", "zh"),
     ("Y", "zh", "zh"), ("more", "zh", "en"), ("南通", "en", "zh"), ("。", "en", "en"), ("the station", "zh", "en")],
)
def test_inside_a_conversation_only_words_change_the_reply_language(text, fallback, language):
    from portal.hotline.language import reply_language

    assert reply_language(text, fallback) == language


# Found by trying to break the hotline ----------------------------------------------------------------


@pytest.mark.parametrize("body", ["Help me, a man is dragging a child into a van at the station",
                                  "帮助我们！火车站有人强行抱走一个小孩"])
def test_help_followed_by_a_cry_for_help_becomes_an_urgent_tip(client, body):
    reply = say(client, body)
    tip = the_tip()
    assert tip.description == body and tip.item.priority == Priority.URGENT.value
    assert tip.item.reference in reply


def test_help_followed_by_other_words_is_kept_for_staff_and_gets_the_menu(client):
    reply = say(client, "帮助我找一下孩子，他2008年走失了")
    assert "1 举报线索" in reply
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.item_id is not None and inbound.item.kind == ItemKind.SMS_MESSAGE.value


def test_a_danger_message_without_keyword_becomes_an_urgent_tip_at_once(client):
    reply = say(client, "救命！火车站有人抢孩子")
    assert the_tip().item.priority == Priority.URGENT.value and "受理编号" in reply


@pytest.mark.parametrize("body", ["查询我儿子的下落，他2008年在成都火车站走失", "预约采血需要带什么证件？"])
def test_words_after_status_or_book_that_the_flow_does_not_use_reach_staff(client, body):
    say(client, body)
    inbound = db.session.scalars(select(InboundMessage)).one()
    assert inbound.item_id is not None and inbound.item.kind == ItemKind.SMS_MESSAGE.value
    assert inbound.body == body


def test_an_identity_number_in_any_message_is_kept_out_of_the_message_log(client):
    from tests.support.sampling import resident_id

    say(client, f"预约 王秀英 {resident_id()}")
    say(client, f"你好 我的身份证是{resident_id('19900101', '002')}", sender=OTHER_SENDER)
    bodies = list(db.session.scalars(select(InboundMessage.body)))
    assert not any(resident_id() in body or resident_id("19900101", "002") in body for body in bodies)
    assert all("[identity number]" in body for body in bodies)


def test_an_opt_out_word_is_honoured_even_inside_a_burst(app, app_factory):
    bursting = app_factory(sms_burst_per_minute=3)
    with bursting.app_context():
        phone = bursting.test_client()
        for n in range(4):
            say(phone, f"hello {n}")
        assert say(phone, "退订")
        assert optout.is_opted_out(phone_hash(SENDER))


def test_a_place_that_starts_with_a_chinese_keyword_is_an_answer_not_a_new_flow(client):
    say(client, "举报 火车站有人强迫小孩乞讨")
    say(client, "2")
    assert "什么时候" in say(client, "采血点门口的公交站")
    db.session.expire_all()
    assert the_tip().place == "采血点门口的公交站"


def test_a_bare_chinese_keyword_still_starts_its_flow_inside_a_conversation(client):
    say(client, "举报 火车站有人强迫小孩乞讨")
    assert "谁在预约" in say(client, "预约")


def test_a_reference_and_code_sent_during_the_tip_questions_is_a_progress_check_not_tip_text(client):
    reply = say(client, "举报 火车站有小孩乞讨")
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reply).group(0)
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", reply).group(0)
    say(client, f"{reference} {code}")
    db.session.expire_all()
    assert code not in the_tip().description
    assert not any(code in body for body in db.session.scalars(select(InboundMessage.body)))


def test_a_reference_and_code_with_other_words_is_a_progress_check(client):
    reply = say(client, "举报 火车站有小孩乞讨", sender=OTHER_SENDER)
    reference = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reply).group(0)
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", reply).group(0)
    assert reference in say(client, f"进度 {reference} {code}")
    assert not any(code in body for body in db.session.scalars(select(InboundMessage.body)))


@pytest.mark.parametrize("first", ["1", "?", "。。。"])
def test_choosing_report_after_a_message_without_words_asks_what_was_seen(client, first):
    say(client, first)
    reply = say(client, "1")
    assert count(Tip) == 0 and "请告诉我们您看到的情况" in reply
    say(client, "车站有个小孩一直哭")
    db.session.expire_all()
    assert the_tip().description == "车站有个小孩一直哭"


@pytest.mark.parametrize("body", ["S T O P", "Ｓｔｏｐ", "stop."])
def test_an_opt_out_twilio_would_not_recognise_is_confirmed_by_the_hotline(client, body):
    assert say(client, body)
    assert optout.is_opted_out(phone_hash(SENDER))


@pytest.mark.postgres
def test_simultaneous_first_tips_from_one_number_each_become_a_tip(app):
    import threading

    import requests
    from twilio.request_validator import RequestValidator

    from tests.support.settings import TWILIO_TEST_TOKEN
    from tests.support.helpers import live_server

    bodies = [f"举报 火车站看到被拐小孩 {n}" for n in range(4)]
    barrier = threading.Barrier(len(bodies))

    def send(base: str, body: str) -> None:
        url = f"{base}/sms/inbound"
        params = sms_params(body, message_sid="SM" + uuid.uuid4().hex)
        headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TEST_TOKEN).compute_signature(url, params)}
        barrier.wait(30)
        requests.post(url, data=params, headers=headers, timeout=60)

    with live_server(app) as base:
        threads = [threading.Thread(target=send, args=(base, body)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    db.session.expire_all()
    assert count(Tip) == len(bodies)


# Found in code review -------------------------------------------------------------------------------


def test_a_danger_word_after_staff_lowered_the_priority_raises_it_again_and_reopens_the_alert(client):
    from portal.core.models import AuditEvent

    say(client, "举报 超市门口有人强行把孩子抱走")
    tip = the_tip()
    alert = db.session.scalars(select(UrgentAlert)).one()
    alert.acknowledged_at = tip.item.received_at
    tip.item.priority = Priority.NORMAL.value  # staff judged it not urgent
    db.session.commit()

    say(client, "2")
    say(client, "他们还在打孩子")  # the answer to "where?" holds a danger word
    db.session.expire_all()
    tip = the_tip()
    assert tip.item.priority == Priority.URGENT.value and tip.place == "他们还在打孩子"
    alert = db.session.scalars(select(UrgentAlert)).one()
    assert alert.acknowledged_at is None
    # Raised at the first message, and again now: both audited as the public's doing.
    raised = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "change_priority")
                                .order_by(AuditEvent.id)).all()
    assert len(raised) == 2 and {event.actor_kind for event in raised} == {"public"}
    assert {event.item_id for event in raised} == {tip.item_id}


def test_a_kept_message_staff_have_seen_is_linked_to_the_tip_not_deleted(app, client):
    from portal.core.models import AuditEvent, ItemLink
    from tests.support.factories import create_staff
    from tests.support.staff import browser, sign_in

    say(client, "我在车站看到一个小孩被大人拉着走")
    kept = db.session.scalars(select(IntakeItem)).one()
    staff = create_staff()
    db.session.commit()
    officer = browser(app)
    sign_in(officer, staff.username)
    assert officer.get(f"/staff/items/{kept.reference}").status_code == 200
    say(client, "1")
    db.session.expire_all()
    tip = the_tip()
    assert db.session.get(IntakeItem, kept.id) is not None
    assert db.session.scalars(select(AuditEvent.item_id).where(AuditEvent.action == "view_item")).all() == [kept.id]
    link = db.session.scalars(select(ItemLink)).one()
    assert {link.item_id, link.other_item_id} == {kept.id, tip.item_id}


def test_the_worker_clears_the_answers_of_idle_conversations_but_remembers_they_expired(client, monkeypatch):
    from portal.hotline.conversation import forget_idle_conversations

    clock = control_clock(monkeypatch)
    say(client, "举报 车站有个孩子")
    forget_idle_conversations(clock.advance(minutes=31))
    raw = db.session.execute(sql_text("SELECT data FROM sms_conversation")).scalar_one()
    assert raw is None
    assert "已结束" in say(client, "2")
    forget_idle_conversations(clock.advance(hours=25))
    assert count(SmsConversation) == 0


@pytest.mark.parametrize("body", ["TY-7K3M-9Q2P", "TY-7K3M-9Q2P 7K3M9Q2PXH4TR8WB"])
def test_a_first_message_that_is_only_a_reference_is_a_progress_check_answered_in_chinese(client, body):
    reply = say(client, body)
    assert re.search(r"[\u4e00-\u9fff]", reply)
    assert count(IntakeItem) == 0  # never kept as a plain message tying the reference to this phone
    assert not any("7K3M" in text for text in db.session.scalars(select(InboundMessage.body)))

"""Removing a passage wherever it appears on an item (description, SMS messages, the tipster's
answers, notes, search), with a placeholder in the reader's language and the reason kept but
never the passage; the form without JavaScript; the mark nobody can type; contact details blanked."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, InboundMessage, ItemNote, Redaction, Tip, TipFollowUp
from portal.core.permissions import Role
from portal.core.redaction_marks import MARK, find_passage, quotes_passage, removed_html, replace_passage
from portal.core.security.crypto import lookup_hash
from portal.tips.followup import add_follow_up
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.sms import send
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH, csrf_of, send_tip, visitor_client

PHONE = "13912345678"
REASON = "举报人在正文里留了自己的电话"


@pytest.fixture
def officer(app: Flask):  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _message(item_id: int, body: str) -> None:
    sender = "+8613800138000"
    db.session.add(InboundMessage(provider_message_id="SM" + str(len(body)) + body.encode().hex()[:20] + "x" * 8,
                                  from_phone=sender, from_phone_hash=lookup_hash(sender, "phone"),
                                  body=body, item_id=item_id))


def _tip_with_the_number_everywhere():  # type: ignore[no-untyped-def]
    """A tip whose phone number is in the description, an SMS (in full-width digits with spaces),
    an answer to a question and a note, beside SMS answers "2" and "0" that must stay."""
    receipt = create_tip(description=f"我在成都火车站看到一个小孩被强迫乞讨，我的电话{PHONE}，有事打给我")
    item_id = receipt.tip.item_id
    _message(item_id, "举报 火车站有小孩乞讨 电话 １３９ １２３４ ５６７８")
    _message(item_id, "2")
    _message(item_id, "0")
    add_follow_up(receipt.tip, text=f"还是那个孩子，打{PHONE}找我", question_id=None)
    db.session.add(ItemNote(item_id=item_id, body=f"举报人留了电话{PHONE}"))
    db.session.commit()
    return receipt


def _listed(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response, _page = get_page(client, "/staff/queue?q=" + query)
    table = response.get_data(as_text=True).split('<table class="staff-table">', 1)
    return re.findall(r'href="/staff/items/(TY-[0-9A-Z]{4}-[0-9A-Z]{4})"', table[1]) if len(table) > 1 else []


def _remove(client, reference: str, passage: str, reason: str = REASON, headers=EN, kind: str = "identifies_tipster"):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/items/{reference}", headers=headers)
    return client.post(f"/staff/items/{reference}/redact-passage", headers=headers, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "passage": passage,
        "passage_reason_kind": kind, "passage_reason": reason})


def test_a_passage_is_removed_from_the_description_an_sms_an_answer_and_a_note_and_nothing_else(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = _tip_with_the_number_everywhere()
    item_id = receipt.tip.item_id

    response = _remove(client, receipt.reference, f"  {PHONE} ")
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=EN)
    assert "Passage removed from 4 places: Description (1), SMS message text (1), Tipster's answers (1), and Internal notes (1)." in text_of(page)

    db.session.expire_all()
    tip = db.session.get(Tip, receipt.tip.id)
    assert tip.description == f"我在成都火车站看到一个小孩被强迫乞讨，我的电话{MARK}，有事打给我"
    bodies = list(db.session.scalars(select(InboundMessage.body).where(InboundMessage.item_id == item_id)
                                     .order_by(InboundMessage.id)))
    assert bodies == [f"举报 火车站有小孩乞讨 电话 {MARK}", "2", "0"]
    assert db.session.scalar(select(TipFollowUp.text).where(TipFollowUp.tip_id == tip.id)) == f"还是那个孩子，打{MARK}找我"
    assert db.session.scalar(select(ItemNote.body).where(ItemNote.item_id == item_id)) == f"举报人留了电话{MARK}"


def test_a_search_for_the_removed_passage_finds_nothing(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    """SQLite's FTS5 index (kept by triggers) and PostgreSQL's trigram indexes (on the columns):
    run with TEST_DATABASE_URL set for the second."""
    _, client = officer
    receipt = _tip_with_the_number_everywhere()
    other = create_tip(description="另一条举报：菜市场有个小孩在哭")
    assert _listed(client, PHONE) == [receipt.reference]
    assert _listed(client, "１３９ １２３４ ５６７８") == [receipt.reference]  # the SMS, as the tipster typed it
    assert _remove(client, receipt.reference, PHONE).status_code == 303
    for query in (PHONE, "1234", "１３９ １２３４ ５６７８", "小孩"):
        assert (receipt.reference in _listed(client, query)) is (query == "小孩"), query
    assert _listed(client, "菜市场") == [other.reference]


def _removed(placeholder: str, for_screen_readers: str) -> str:
    """The HTML of a removed passage's placeholder (`portal.core.redaction_marks.removed_html`)."""
    return (f"<span class=removed-passage><span aria-hidden=true>{placeholder}</span>"
            f"<span class=visually-hidden>{for_screen_readers}</span></span>")


REMOVED = {"zh": _removed("〔已删除〕", "此处文字已由工作人员删除"), "en": _removed("[removed]", "passage removed by staff")}


def test_the_placeholder_is_shown_in_the_readers_language_to_staff_and_to_the_tipster(app: Flask, app_factory, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = _tip_with_the_number_everywhere()
    assert _remove(client, receipt.reference, PHONE).status_code == 303
    chinese = client.get(f"/staff/items/{receipt.reference}", headers=ZH).get_data(as_text=True)
    english = client.get(f"/staff/items/{receipt.reference}", headers=EN).get_data(as_text=True)
    assert f"我的电话{REMOVED['zh']}，有事打给我" in chinese and f"举报人留了电话{REMOVED['zh']}" in chinese
    assert f"我的电话{REMOVED['en']}，有事打给我" in english and f"打{REMOVED['en']}找我" in english
    for page in (chinese, english):
        assert PHONE not in page and MARK not in page
    # The tipster's own page shows their answer with the placeholder too.
    visitor = visitor_client(app_factory)
    for headers, language in ((ZH, "zh"), (EN, "en")):
        form, _ = get_page(visitor, "/tips/status", headers=headers)
        visitor.post("/tips/status", headers=headers, data={
            "csrf_token": csrf_of(form.get_data(as_text=True)), "reference": receipt.reference,
            "follow_up_code": receipt.follow_up_code})
        status = visitor.get("/tips/status/report", headers=headers).get_data(as_text=True)
        assert f"还是那个孩子，打{REMOVED[language]}找我" in status and PHONE not in status


def test_a_tipster_cannot_make_their_own_words_look_removed_by_staff(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    """The mark cannot be typed, and the placeholder's words typed by a tipster are shown as
    their words: only a passage staff removed is set apart (a span styled unlike text, saying
    "removed by staff" to screen readers)."""
    _, client = officer
    typed = create_tip(description="昨天傍晚公园里有个女孩一直哭，带她的女人叫〔已删除〕，还有[removed]", place="人民公园")
    real = create_tip(description="我在火车站看到一个小孩，那个男人叫王建国，还有王建国", place="火车站")
    assert _remove(client, real.reference, "王建国").status_code == 303
    for headers, language in ((ZH, "zh"), (EN, "en")):
        typed_page = client.get(f"/staff/items/{typed.reference}", headers=headers).get_data(as_text=True)
        real_page = client.get(f"/staff/items/{real.reference}", headers=headers).get_data(as_text=True)
        assert "带她的女人叫〔已删除〕，还有[removed]" in typed_page  # their words, not set apart
        assert f"那个男人叫{REMOVED[language]}，还有{REMOVED[language]}" in real_page
    css = client.get("/static/css/portal.css").get_data(as_text=True)
    assert re.search(r"\.removed-passage \{[^}]*border: 1px dashed", css)


def test_a_mark_printed_inside_an_attribute_cannot_end_it(app: Flask) -> None:
    """A value with the mark printed into an attribute (a search box's value) stays in it:
    the placeholder's HTML has no quotes."""
    for language in ("zh", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert '"' not in removed_html() and "'" not in removed_html()


def test_the_audit_event_holds_the_places_and_the_reason_never_the_passage(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    receipt = _tip_with_the_number_everywhere()
    assert _remove(client, receipt.reference, PHONE).status_code == 303
    db.session.expire_all()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "redact_passage"))
    [row] = db.session.scalars(select(Redaction))
    assert event.item_id == receipt.tip.item_id and event.actor_id == user.id
    assert event.fields == ["description", "notes", "removal_reason", "sms_body", "tipster_answers"]
    assert event.changes == {"removal_reason": ["identifies_tipster", "identifies_tipster"], "numbers": {"redaction_id": row.id, "found": {
        "description": 1, "sms_body": 1, "tipster_answers": 1, "notes": 1}}}
    assert (row.field, row.reason, row.actor_id) == ("passage", REASON, user.id)
    # The reason is stored encrypted, and the passage nowhere in the audit trail.
    stored = db.session.execute(db.text("SELECT reason FROM redaction")).scalar()
    assert REASON not in stored
    for audit_row in db.session.execute(db.text("SELECT fields, changes FROM audit_event")):
        assert PHONE not in str(audit_row) and "1234" not in str(audit_row)
    # The item's history shows the reason beside the event, and the places with their counts.
    history = text_of(client.get(f"/staff/items/{receipt.reference}", headers=EN)).split("Audit history", 1)[1]
    assert "Why removed: It identifies the tipster" in history
    assert f"Reason: {REASON}" in history
    assert "Description: 1 time" in history and "SMS message text: 1 time" in history


def test_a_passage_removed_later_is_removed_from_the_reasons_given_for_earlier_removals_too(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    """Staff remove the number, saying "号码是王建国本人的"; later they remove the name 王建国 too.
    The earlier reason, shown beside its event in the item's history, must not keep the name."""
    _, client = officer
    receipt = create_tip(description=f"王建国说：我的电话{PHONE}，我在火车站看见一个小孩")
    assert _remove(client, receipt.reference, PHONE, reason="号码是王建国本人的").status_code == 303
    response = _remove(client, receipt.reference, "王建国", reason="举报人姓名")
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=EN)
    assert "Passage removed from 2 places: Description (1) and Reasons given for earlier removals (1)." in text_of(page)
    assert "王建国" not in page.get_data(as_text=True)
    assert re.search(r"Reason: 号码是 ?\[removed\]", text_of(page))
    db.session.expire_all()
    reasons = sorted(r.reason for r in db.session.scalars(select(Redaction)))
    assert reasons == ["举报人姓名", f"号码是{MARK}本人的"]


def test_a_passage_found_nowhere_gives_an_error_and_keeps_what_was_typed(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = _tip_with_the_number_everywhere()
    for headers, error in ((EN, "This passage does not appear anywhere on this item. Check that it was copied exactly."),
                           (ZH, "这段文字在此事项中没有找到，请核对是否照原文复制。")):
        response = _remove(client, receipt.reference, "王小明", reason="姓名", headers=headers)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert error in text_of(response)
        assert re.search(r'<textarea[^>]*name="passage"[^>]*>\s*王小明</textarea>', html)
        assert re.search(r'<textarea[^>]*name="passage_reason"[^>]*>\s*姓名</textarea>', html)
    missing = _remove(client, receipt.reference, "", reason="", kind="")
    assert missing.status_code == 400
    assert "Type or paste the passage to remove" in text_of(missing)
    assert "Choose why this passage must be removed" in text_of(missing)
    quoted = _remove(client, receipt.reference, PHONE, reason=f"正文里有{PHONE}")
    assert quoted.status_code == 400 and "without repeating the passage" in text_of(quoted)
    short = _remove(client, receipt.reference, "2", reason="试试")
    assert short.status_code == 400 and "at least 2 characters" in text_of(short)
    db.session.expire_all()
    assert db.session.scalar(select(Redaction.id)) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "redact_passage")) is None
    assert PHONE in db.session.get(Tip, receipt.tip.id).description


@pytest.mark.parametrize("reason", [
    "正文里有举报人号码139-1234-5678", "号码139.1234.5678是举报人的", "号码（139）1234—5678", "号码139/1234/5678",
])
def test_a_reason_repeating_the_passage_with_hyphens_dots_or_other_separators_is_refused(app: Flask, officer, reason: str) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip(description=f"我的电话{PHONE}，我在火车站看见一个小孩")
    response = _remove(client, receipt.reference, PHONE, reason=reason)
    assert response.status_code == 400 and "without repeating the passage" in text_of(response)
    db.session.expire_all()
    assert db.session.scalar(select(Redaction.id)) is None and PHONE in receipt.tip.description


def test_a_reason_check_ignores_separators_on_both_sides_and_never_matches_an_empty_passage() -> None:
    assert quotes_passage("号码13912345678", "139-1234-5678") and quotes_passage("王 建·国的号码", "王建国")
    assert not quotes_passage("举报人的号码", "139-1234-5678") and not quotes_passage("a-b", "--")


def test_a_passage_is_found_whatever_its_width_case_and_spaces() -> None:
    text = "Ｚｈａｎｇ Ｗｅｉ, phone 139 1234 5678; again zhangwei and ZHANG  WEI"
    assert len(find_passage(text, "zhang wei")) == 3
    assert replace_passage(text, " 13912345678 ") == (f"Ｚｈａｎｇ Ｗｅｉ, phone {MARK}; again zhangwei and ZHANG  WEI", 1)
    assert replace_passage("答2，再答2", "答2") == (f"{MARK}，再{MARK}", 2)
    assert find_passage("anything", " \u3000 ") == []


def test_nobody_can_type_the_mark_on_the_web_or_by_sms(app: Flask, app_factory) -> None:
    visitor = visitor_client(app_factory)
    send_tip(visitor, description=f"我在火车站看到{MARK}一个小孩")
    tip = db.session.scalars(select(Tip)).one()
    assert tip.description == "我在火车站看到一个小孩"
    send(app.test_client(), f"举报 汽车站{MARK}有人拐卖小孩")
    bodies = list(db.session.scalars(select(InboundMessage.body)))
    assert bodies and all(MARK not in body for body in bodies) and "举报 汽车站有人拐卖小孩" in bodies


def test_a_contact_number_is_still_blanked_whole_and_sms_are_no_longer_a_field(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip(contact_phone="+8613912345678", may_contact_by_sms=True)
    _message(receipt.tip.item_id, "2")
    db.session.commit()
    page = client.get(f"/staff/items/{receipt.reference}", headers=EN)
    assert 'value="sms_body"' not in page.get_data(as_text=True)
    response = client.post(f"/staff/items/{receipt.reference}/redact", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "field": "contact_phone", "redact_reason": "号码不是举报人的"})
    assert response.status_code == 303
    db.session.expire_all()
    tip = db.session.get(Tip, receipt.tip.id)
    assert (tip.contact_phone, tip.may_contact_by_sms) == (None, False)
    assert db.session.scalar(select(InboundMessage.body)) == "2"

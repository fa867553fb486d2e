"""The staff item page says things in the staff member's words: what became of each SMS the
portal sends, the region by name, when it was seen in the page's language, and sampling history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.core.extensions import db
from portal.core.models import OutboundMessage, OutboundStatus, utcnow
from portal.core.outbox import queue_message
from portal.core.permissions import Role
from portal.tips.service import TipDetails
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import get_page, text_of
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _officer_page(app, reference: str, headers: dict[str, str], as_html: bool = False):  # type: ignore[no-untyped-def]
    from portal.core.models import StaffUser
    from sqlalchemy import select

    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "officer")) or create_staff(
        Role.TRIAGE_OFFICER, username="officer")
    client = browser(app)
    sign_in(client, user.username)
    page, _ = get_page(client, f"/staff/items/{reference}", headers=headers)
    return page.get_data(as_text=True) if as_html else text_of(page)


def test_an_sms_still_to_be_sent_or_withdrawn_is_not_shown_as_sent(app):
    receipt = create_tip(contact_phone="+8613900139000", may_contact_by_sms=True)
    item_id = receipt.tip.item_id
    due = queue_message("+8613900139000", "reminder one", "booking_reminder", item_id=item_id,
                        not_before=utcnow() + timedelta(days=2))
    withdrawn = queue_message("+8613900139000", "reminder two", "booking_reminder", item_id=item_id)
    withdrawn.status = OutboundStatus.WITHDRAWN.value
    sent = queue_message("+8613900139000", "a question notice", "tip_question", item_id=item_id)
    sent.status, sent.sent_at = OutboundStatus.SENT.value, utcnow()
    db.session.commit()
    html = _officer_page(app, receipt.reference, EN, as_html=True)
    rows = {re.sub(r"<[^>]+>", " ", body): body for body in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    status_of = {message: [cells for cells in rows if message in cells][0] for message in
                 ("reminder one", "reminder two", "a question notice")}
    assert "To be sent" in status_of["reminder one"] and " Sent " not in status_of["reminder one"]
    assert "Not sent: no longer needed" in status_of["reminder two"]
    assert " Sent " in status_of["a question notice"]
    assert db.session.get(OutboundMessage, due.id).status == "queued"


def test_the_region_is_named_and_when_it_was_seen_is_in_the_staff_language(app):
    receipt = create_tip(details=TipDetails(region_code="320614", region_name="江苏省南通市海门区",
                                            seen_date="2026-11-03", seen_time="afternoon"),
                         seen_when="2026年11月3日（星期二） 下午（12点至18点）")
    english = _officer_page(app, receipt.reference, EN)
    assert "江苏省南通市海门区 (320614)" in english
    assert "Tuesday 3 November 2026" in english and "2026年11月3日" not in english
    chinese = _officer_page(app, receipt.reference, ZH)
    assert "2026年11月3日" in chinese and "Tuesday" not in chinese


@pytest.mark.parametrize(("seen_date", "english", "chinese"), [
    ("2026-11-03", "When Tuesday 3 November 2026, Afternoon (12 noon to 6pm)", "2026年11月3日（星期二）下午（12点至18点）"),
    ("2026-11", "When November 2026, Afternoon (12 noon to 6pm)", "2026年11月，下午（12点至18点）"),
    ("2026~", "When about 2026, Afternoon (12 noon to 6pm)", "约2026年，下午（12点至18点）"),
    ("201X", "When the 2010s, Afternoon (12 noon to 6pm)", "2010年代，下午（12点至18点）"),
])
def test_staff_read_when_it_was_seen_as_precisely_as_the_tipster_gave_it(app, seen_date, english, chinese):
    receipt = create_tip(details=TipDetails(seen_date=seen_date, seen_time="afternoon"))
    assert english in _officer_page(app, receipt.reference, EN)
    assert chinese in _officer_page(app, receipt.reference, ZH)


def test_a_sampling_booking_item_offers_no_lead_workflow_and_refuses_a_status_move(app):
    from portal.core.models import IntakeItem
    from tests.support.factories import create_site, create_slot
    from tests.support.helpers import csrf_token
    from tests.support.staff import create_appointment

    item = create_appointment(create_slot(create_site()))
    admin = create_staff(Role.ADMIN, username="admin")
    client = browser(app)
    sign_in(client, admin.username)
    page, _ = get_page(client, f"/staff/items/{item.reference}", headers=EN)
    html = page.get_data(as_text=True)
    assert "This is a sampling booking" in html and f"/staff/sampling/appointments/{item.reference}" in html
    for form_action in ("/move", "/priority", "/take", "/redact", "/redact-passage"):
        assert f'action="/staff/items/{item.reference}{form_action}"' not in html
    refused = client.post(f"/staff/items/{item.reference}/move", headers=EN,
                          data={"csrf_token": csrf_token(html), "target": "triaged", "expected": "new"})
    assert refused.status_code == 400 and "sampling desk" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "new"


def test_staff_see_the_delivery_report_and_messages_not_sent_to_an_opted_out_number_or_of_unknown_outcome(app):
    receipt = create_tip(contact_phone="+8613900139000", may_contact_by_sms=True)
    item_id = receipt.tip.item_id
    delivered = queue_message("+8613900139000", "question delivered", "tip_question", item_id=item_id)
    undelivered = queue_message("+8613900139000", "question undelivered", "tip_question", item_id=item_id)
    opted_out = queue_message("+8613900139000", "question opted out", "tip_question", item_id=item_id)
    unknown = queue_message("+8613900139000", "question unknown", "tip_question", item_id=item_id)
    for message, status in ((delivered, "delivered"), (undelivered, "undelivered")):
        message.status, message.sent_at, message.provider_message_id = OutboundStatus.SENT.value, utcnow(), "SM1"
        message.delivery_status, message.delivery_updated_at = status, utcnow()
    undelivered.delivery_error_code = 30003
    opted_out.status = OutboundStatus.OPTED_OUT.value
    unknown.status = OutboundStatus.UNKNOWN.value
    db.session.commit()

    def rows(headers: dict[str, str]) -> dict[str, str]:
        html = _officer_page(app, receipt.reference, headers, as_html=True)
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
                 for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]
        return {name: next(c for c in cells if f"question {name}" in c)
                for name in ("delivered", "undelivered", "opted out", "unknown")}

    english = rows(EN)
    assert "Delivered to the phone" in english["delivered"]
    assert "Not delivered (error 30003)" in english["undelivered"]
    assert "Not sent: the number opted out (STOP)" in english["opted out"]
    assert "Outcome unknown: check before resending" in english["unknown"]
    chinese = rows(ZH)
    assert "已送达手机" in chinese["delivered"]
    assert "未送达（错误代码30003）" in chinese["undelivered"]
    assert "未发送：该号码已退订" in chinese["opted out"]
    assert "结果不明：重发前请先核实" in chinese["unknown"]


def test_the_delivery_report_on_a_chinese_page_joins_status_and_time_with_a_chinese_comma(app):
    receipt = create_tip(contact_phone="+8613900139000", may_contact_by_sms=True)
    message = queue_message("+8613900139000", "question delivered", "tip_question", item_id=receipt.tip.item_id)
    message.status, message.sent_at, message.provider_message_id = OutboundStatus.SENT.value, utcnow(), "SM1"
    message.delivery_status, message.delivery_updated_at = "delivered", utcnow()
    db.session.commit()

    chinese = _officer_page(app, receipt.reference, ZH)
    english = _officer_page(app, receipt.reference, EN)

    assert "已送达手机，" in chinese and "已送达手机, " not in chinese
    assert "Delivered to the phone, " in english

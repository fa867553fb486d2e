"""An SMS tipster's number on the staff item page: masked like a web tipster's unless they agreed
(the tip conversation's last question); shown in full without that agreement only to a staff
member who gives a reason, which is kept as a note and audited."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, ItemNote, Tip
from portal.core.permissions import Role
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, text_of
from tests.support.sms import SENDER, signed_post, sms_params
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}
FULL = "138 0013 8000"
MASKED = "••• •••• 8000"


def _sms(client, body: str) -> None:  # type: ignore[no-untyped-def]
    assert signed_post(client, sms_params(body, message_sid="SM" + uuid.uuid4().hex)).status_code == 200


def _sms_tip(app: Flask, *answers: str) -> Tip:
    client = app.test_client()
    for body in ("举报 火车站有个小女孩跟着一个男人乞讨", *answers):
        _sms(client, body)
    db.session.expire_all()
    return db.session.scalars(select(Tip)).one()


def _staff(app: Flask, role: Role = Role.TRIAGE_OFFICER):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=f"{role.value}-{uuid.uuid4().hex[:6]}")
    client = browser(app)
    sign_in(client, user.username)
    return user, client


def _events(item_id: int, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == item_id, AuditEvent.action == action)))


def _reveal(client, reference: str, reason: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/items/{reference}", headers=EN)
    return client.post(f"/staff/items/{reference}/reveal-contact", headers=EN,
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)), "reveal_reason": reason})


def test_an_sms_tipsters_number_is_masked_on_the_item_page_unless_they_agreed(app: Flask) -> None:
    tip = _sms_tip(app, "2", "0", "0")  # stopped before answering the contact question
    _, client = _staff(app)

    page = text_of(client.get(f"/staff/items/{tip.item.reference}", headers=EN))

    assert MASKED in page and FULL not in page and "8613800138000" not in page
    assert "May be contacted by SMS No" in page
    assert "contact_phone_masked" in _events(tip.item_id, "view_item")[-1].fields


def test_an_sms_tipster_who_agreed_is_shown_in_full(app: Flask) -> None:
    tip = _sms_tip(app, "2", "0", "0", "1")
    _, client = _staff(app)

    page = text_of(client.get(f"/staff/items/{tip.item.reference}", headers=EN))

    assert FULL in page and "May be contacted by SMS Yes" in page
    assert "Show the contact details in full" not in page
    assert "contact_phone" in _events(tip.item_id, "view_item")[-1].fields


def test_revealing_a_masked_number_asks_for_a_reason_and_shows_nothing_without_one(app: Flask) -> None:
    tip = _sms_tip(app)
    _, client = _staff(app)

    response = _reveal(client, tip.item.reference, "   ")

    assert response.status_code == 400
    page = text_of(response)
    assert "Enter why you need the full contact details" in page
    assert FULL not in page and MASKED in page
    assert _events(tip.item_id, "reveal_contact") == []


def test_revealing_a_masked_number_with_a_reason_shows_it_once_keeps_the_reason_and_is_audited(app: Flask) -> None:
    tip = _sms_tip(app)
    user, client = _staff(app)

    response = _reveal(client, tip.item.reference, "需要回电核实车牌号")

    assert response.status_code == 200
    assert FULL in text_of(response)
    [event] = _events(tip.item_id, "reveal_contact")
    assert event.actor_id == user.id and event.fields == ["contact_phone", "note"]
    assert SENDER not in str(event.changes) and "需要回电" not in str(event.changes)
    assert "contact_phone" in _events(tip.item_id, "view_item")[-1].fields
    note = db.session.scalars(select(ItemNote).where(ItemNote.item_id == tip.item_id)).one()
    assert note.body == "需要回电核实车牌号" and note.author_id == user.id
    # Once: the page opened again shows the number masked, and the history names the reveal.
    again = text_of(client.get(f"/staff/items/{tip.item.reference}", headers=EN))
    assert FULL not in again and MASKED in again
    assert "Showed the masked contact details, giving a reason" in again


def test_a_web_tipster_who_did_not_agree_is_revealed_the_same_way(app: Flask) -> None:
    receipt = create_tip(contact_phone="+8613900139000", contact_name="赵六", may_contact_by_sms=False)
    _, client = _staff(app)
    assert "赵六" not in text_of(client.get(f"/staff/items/{receipt.reference}", headers=EN))

    page = text_of(_reveal(client, receipt.reference, "核实身份"))

    assert "赵六" in page and "139 0013 9000" in page
    assert _events(receipt.tip.item_id, "reveal_contact")[0].fields == ["contact_name", "contact_phone", "note"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.SITE_STAFF])
def test_staff_without_the_right_to_edit_items_cannot_reveal_a_number(app: Flask, role: Role) -> None:
    tip = _sms_tip(app)
    _, client = _staff(app, role)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))

    response = client.post(f"/staff/items/{tip.item.reference}/reveal-contact",
                           data={"csrf_token": token, "reveal_reason": "想看看"})

    assert response.status_code == 403
    assert FULL not in response.get_data(as_text=True)
    assert _events(tip.item_id, "reveal_contact") == []


def test_nothing_to_reveal_for_a_tip_whose_tipster_agreed(app: Flask) -> None:
    receipt = create_tip(contact_phone="+8613900139000", may_contact_by_sms=True)
    _, client = _staff(app)
    assert _reveal(client, receipt.reference, "reason").status_code == 404
    assert _events(receipt.tip.item_id, "reveal_contact") == []

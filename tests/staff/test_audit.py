"""The audit trail records who saw or changed personal data, and never the data itself."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask import Flask
from sqlalchemy import select, text

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import AuditEvent, ItemStatus, Priority
from portal.core.permissions import Role
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.staff import browser, sign_in


def post_item_form(client, reference: str, action: str, data: dict):  # type: ignore[no-untyped-def]
    """POST one of an item page's forms (`contact`, `move`, `priority`, `notes`, ...) with the page's CSRF token."""
    page = client.get(f"/staff/items/{reference}")
    return client.post(f"/staff/items/{reference}/{action}",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


@pytest.fixture
def officer(app: Flask):  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    sign_in(client, user.username)
    return user, client


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_audit_event_for_contact_change_holds_no_phone_or_name(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    reference = create_tip().reference
    response = post_item_form(client, reference, "contact", {"contact_name": "张三", "contact_phone": "13800138000"})
    assert response.status_code == 303
    db.session.expire_all()
    [event] = _events("update_contact")
    assert event.actor_id == user.id
    assert event.fields == ["contact_name", "contact_phone"]
    rows = db.session.execute(text("SELECT * FROM audit_event")).all()
    assert len(rows) >= 2
    dumped = repr(rows)
    for secret in ("张三", "13800138000", "+8613800138000", "138 0013 8000"):
        assert secret not in dumped


def test_contact_change_is_stored_encrypted_and_shown_in_full_only_with_consent(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip(contact_phone="+8613900139000", contact_name="赵六", may_contact_by_sms=True)
    page = client.get(f"/staff/items/{receipt.reference}")
    assert "139 0013 9000" in text_of(page) and "赵六" in text_of(page)
    client.post(
        f"/staff/items/{receipt.reference}/contact",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "contact_name": "张三", "contact_phone": "138 0013 8000"},
    )
    db.session.expire_all()
    assert receipt.tip.contact_phone == "+8613800138000"
    assert receipt.tip.contact_name == "张三"
    raw = db.session.execute(text("SELECT contact_name, contact_phone FROM tip")).one()
    assert "张三" not in repr(raw) and "13800138000" not in repr(raw)


def test_recording_a_personal_value_in_the_audit_is_refused(app: Flask) -> None:
    with pytest.raises(audit.PersonalValueInAudit):
        audit.record("update_contact", changes={"contact_phone": ("+8613800138000", "+8613900139000")})
    with pytest.raises(audit.PersonalValueInAudit):
        audit.record("update_contact", changes={"contact_name": ("张三", "李四")})


def test_each_view_of_an_item_writes_exactly_one_view_event(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    receipt = create_tip(contact_name="张三", contact_phone="+8613800138000")
    for expected in (1, 2):
        get_page(client, f"/staff/items/{receipt.reference}")
        db.session.expire_all()
        events = _events("view_item")
        assert len(events) == expected
    assert all(e.actor_id == user.id and e.item_id == receipt.tip.item_id for e in events)
    # The tipster did not agree to be contacted: only masked forms were shown, and the event says so.
    assert events[0].fields == ["contact_name_masked", "contact_phone_masked"]
    assert events[0].changes == {}


def test_opening_the_queue_is_one_audited_view_not_a_view_of_each_item(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    receipt = create_tip()
    get_page(client, "/staff/queue")
    assert _events("view_item") == []
    (event,) = _events("view_queue")
    assert event.actor_id == user.id and event.changes["numbers"]["items"] == [receipt.tip.item_id]


def test_item_page_masks_contact_without_consent_and_never_shows_the_follow_up_code(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip(contact_name="张三", contact_phone="+8613800138000")
    response, _page = get_page(client, f"/staff/items/{receipt.reference}")
    page_text = text_of(response)
    assert "张三" not in page_text and "138 0013 8000" not in page_text and "13800138000" not in page_text
    assert "8000" in page_text  # the last four digits, so staff can confirm a number read to them
    assert receipt.follow_up_code not in response.get_data(as_text=True)


def test_item_page_lists_its_audit_history_without_values(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    receipt = create_tip()
    post_item_form(client, receipt.reference, "move", {"expected": "new", "target": "triaged"})
    post_item_form(client, receipt.reference, "priority", {"priority": "0", "reason": "孩子可能有危险"})
    response, _page = get_page(client, f"/staff/items/{receipt.reference}", headers={"Accept-Language": "en"})
    history = text_of(response).split("Audit history", 1)[1]
    assert "Changed the status" in history and "Changed the priority" in history and "Opened the item" in history
    assert "孩子可能有危险" not in history  # the reason is an internal note, not an audit value
    assert "New → Triaged" in history and "Normal → Urgent" in history
    assert user.username in history


def test_status_and_priority_changes_record_old_and_new_values(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip()
    response = post_item_form(client, receipt.reference, "move", {"expected": "new", "target": "triaged"})
    assert response.status_code == 303
    response = post_item_form(client, receipt.reference, "priority", {"priority": "1", "reason": "车牌清楚"})
    assert response.status_code == 303
    db.session.expire_all()
    assert receipt.tip.item.status == ItemStatus.TRIAGED.value
    assert receipt.tip.item.priority == Priority.HIGH.value
    [move] = _events("change_status")
    assert move.changes == {"status": ["new", "triaged"]}
    [priority] = _events("change_priority")
    assert priority.changes == {"priority": ["2", "1"]} and priority.fields == ["note", "priority"]


def test_invalid_status_or_phone_is_refused_with_an_error_and_changes_nothing(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip()
    token = csrf_token(client.get(f"/staff/items/{receipt.reference}").get_data(as_text=True))
    bad_status = client.post(
        f"/staff/items/{receipt.reference}/move", data={"csrf_token": token, "expected": "new", "target": "deleted"}
    )
    assert bad_status.status_code == 400
    check_page(bad_status)
    bad_phone = client.post(
        f"/staff/items/{receipt.reference}/contact",
        data={"csrf_token": token, "contact_name": "张三", "contact_phone": "12345"},
        headers={"Accept-Language": "en"},
    )
    assert bad_phone.status_code == 400
    page = check_page(bad_phone)
    assert page.title.startswith("Error:")
    assert "Enter a mobile number, like 138 0013 8000" in text_of(bad_phone)
    assert 'value="张三"' in bad_phone.get_data(as_text=True)  # what was typed is kept
    db.session.expire_all()
    assert receipt.tip.item.status == "new" and receipt.tip.contact_name is None
    no_reason = client.post(f"/staff/items/{receipt.reference}/priority",
                            data={"csrf_token": token, "priority": "0", "reason": "  "}, headers={"Accept-Language": "en"})
    assert no_reason.status_code == 400 and "Enter why you are changing the priority" in text_of(no_reason)
    db.session.expire_all()
    assert receipt.tip.item.priority == Priority.NORMAL.value
    assert _events("update_contact") == [] and _events("change_status") == [] and _events("change_priority") == []


def test_contact_change_on_an_appointment_is_not_found(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import create_site, create_slot
    from tests.support.staff import create_appointment

    _, client = officer
    item = create_appointment(create_slot(create_site()))
    token = csrf_token(client.get(f"/staff/items/{item.reference}").get_data(as_text=True))
    response = client.post(
        f"/staff/items/{item.reference}/contact", data={"csrf_token": token, "contact_name": "张三", "contact_phone": ""}
    )
    assert response.status_code == 404


def test_audit_numbers_take_only_integers_so_no_text_can_pass(app) -> None:  # type: ignore[no-untyped-def]
    event = audit.record("redact_passage", numbers={"redaction_id": 3, "found": {"description": 2}})
    assert event.changes == {"numbers": {"redaction_id": 3, "found": {"description": 2}}}
    for numbers in ({"found": {"description": "13800138000"}}, {"redaction_id": "张三"}, {"flag": True}):
        with pytest.raises(audit.PersonalValueInAudit):
            audit.record("redact_passage", numbers=numbers)


def test_audit_page_date_range_labels_say_from_and_to_dates_in_chinese(app: Flask) -> None:
    supervisor = create_staff(Role.SUPERVISOR)
    client = browser(app)
    sign_in(client, supervisor.username)

    page = text_of(client.get("/staff/audit", headers={"Accept-Language": "zh-CN"}))

    # "From" of a date range, not the "From" (sender) of an SMS.
    assert "起始日期" in page and "截止日期" in page and "发送号码" not in page


def _audit_rows(client, query: str = "", language: str = "en") -> list[str]:  # type: ignore[no-untyped-def]
    """The audit table's rows as text, newest first."""
    page = client.get("/staff/audit" + query, headers={"Accept-Language": language}).get_data(as_text=True)
    body = page.split('<table class="staff-table" id="audit-table">', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in re.findall(r"<tr>.*?</tr>", body, re.S)]


def test_changes_only_hides_views_of_pages_and_items_keeps_reveals_and_exports_and_works_with_the_item_filter(
        app: Flask) -> None:
    tip = create_tip(description="公园有个孩子").tip
    other = create_tip(description="车站有个孩子").tip
    supervisor = create_staff(Role.SUPERVISOR)
    for action, item_id in (("view_item", tip.item_id), ("reveal_contact", tip.item_id), ("change_status", tip.item_id),
                            ("view_item", other.item_id), ("change_priority", other.item_id)):
        audit.record(action, actor_id=supervisor.id, item_id=item_id)
    audit.record("view_queue", actor_id=supervisor.id, numbers={"items": [tip.item_id]})
    audit.record("export_queue", actor_id=supervisor.id, changes={"file_format": ("csv", "csv")}, numbers={"rows": 2})
    db.session.commit()
    client = browser(app)
    sign_in(client, supervisor.username)

    rows = _audit_rows(client, "?changes=1")
    assert not any("Opened" in row for row in rows)
    assert sum("Showed the masked contact details" in row for row in rows) == 1
    assert any("Exported the queue" in row for row in rows) and any("Changed the priority" in row for row in rows)
    about_tip = _audit_rows(client, f"?changes=1&item={tip.item.reference}")
    assert len(about_tip) == 2
    assert any("Changed the status" in row for row in about_tip) and any("Showed the masked" in row for row in about_tip)
    # Without it, the views are there (the queue page naming the tip too).
    assert sum("Opened" in row for row in _audit_rows(client, f"?item={tip.item.reference}")) == 2
    page = client.get("/staff/audit?changes=1", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "只看改动" in page and 'name="changes" value="1" aria-describedby="changes-hint" checked' in page


def test_the_audit_log_shows_an_events_stored_counts_and_ids_as_labelled_details(app: Flask) -> None:
    supervisor = create_staff(Role.SUPERVISOR)
    audit.record("export_queue", actor_id=supervisor.id, fields=["rows"], changes={"file_format": ("xlsx", "xlsx")},
                 numbers={"rows": 12})
    audit.record("attachment_added", actor_id=supervisor.id, fields=["attachment"],
                 numbers={"attachment_id": 7, "removed": {"javascript": 2, "embedded_files": 1}})
    audit.record("saved_view_created", actor_id=supervisor.id, numbers={"saved_view_id": 5})
    db.session.commit()
    client = browser(app)
    sign_in(client, supervisor.username)

    def the(rows: list[str], words: str) -> str:
        [row] = [row for row in rows if words in row]
        return row

    rows = _audit_rows(client)
    saved, added, exported = (the(rows, words) for words in ("Saved a view", "Attached a file", "Exported the queue"))
    assert "File format: xlsx" in exported and exported.endswith("Rows: 12")
    assert added.endswith("Attachment id: 7 Removed from the PDF: scripts: 2 and files carried inside it: 1")
    assert saved.endswith("Saved view id: 5")
    rows = _audit_rows(client, language="zh")
    saved, added, exported = (the(rows, words) for words in ("保存", "附件编号", "导出"))
    assert exported.endswith("行数：12") and saved.endswith("已保存视图编号：5") and "附件编号：7" in added


def test_the_audit_actions_are_offered_in_the_order_of_their_codes_in_both_languages(app: Flask) -> None:
    supervisor = create_staff(Role.SUPERVISOR)
    client = browser(app)
    sign_in(client, supervisor.username)
    orders = []
    for language in ("zh", "en"):
        page = client.get("/staff/audit", headers={"Accept-Language": language}).get_data(as_text=True)
        select_html = page.split('<select class="input" id="action" name="action">', 1)[1].split("</select>", 1)[0]
        orders.append(re.findall(r'<option value="([a-z_]+)"', select_html))
    assert orders[0] == orders[1] == sorted(orders[0]) and len(orders[0]) > 30


@pytest.mark.parametrize(("query", "words"), [
    ("?from=2026-02-30", "请按2026-12-07这样的格式输入日期"),
    ("?from=2026-12-07&to=2026-12-01", "截止日期早于起始日期"),
], ids=["not a date", "ends before it starts"])
def test_a_date_range_the_audit_log_cannot_use_is_said_not_quietly_dropped(app: Flask, query: str, words: str) -> None:
    supervisor = create_staff(Role.SUPERVISOR)
    client = browser(app)
    sign_in(client, supervisor.username)

    response = client.get("/staff/audit" + query, headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 400
    assert text_of(response).count(words) == 2  # in the summary at the top and at the date box
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and 'value="' + query.split("=")[1].split("&")[0] + '"' in page  # kept as typed

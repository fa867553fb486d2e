"""The status workflow: valid moves only, outcomes on closing, case files and one working group
on accepting, and one consistent result when two officers act on the same item at once."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemLink, ItemNote, ItemStatus, WorkingGroup
from portal.core.permissions import Role
from portal.triage import workflow
from portal.triage.redaction import erase_personal_data
from tests.conftest import IsolatedClient
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.helpers import csrf_token, run_together, text_of
from tests.support.staff import browser, create_appointment, sign_in


def _post(client, reference: str, action: str, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/items/{reference}")
    return client.post(f"/staff/items/{reference}/{action}",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}, **kwargs)


@pytest.fixture
def officer(app: Flask):  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return user, client


def _events(item_id: int, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == item_id, AuditEvent.action == action)))


def test_accepting_a_lead_opens_one_case_file_and_assigns_one_group(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    first, second = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([first, second])
    db.session.commit()
    tips = [create_tip(), create_tip()]
    for receipt in tips:
        assert _post(client, receipt.reference, "move", {"expected": "new", "target": "triaged"}).status_code == 303
    refused = _post(client, tips[0].reference, "move", {"expected": "triaged", "target": "assigned"},
                    headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and "Choose the working group" in text_of(refused)
    for receipt, group in zip(tips, (first, second)):
        response = _post(client, receipt.reference, "move",
                         {"expected": "triaged", "target": "assigned", "working_group": str(group.id)})
        assert response.status_code == 303
    db.session.expire_all()
    items = [db.session.get(IntakeItem, r.tip.item_id) for r in tips]
    numbers = [i.case_file_number for i in items]
    assert all(n and len(n) == 10 for n in numbers) and numbers[0] != numbers[1]
    assert int(numbers[1][-5:]) == int(numbers[0][-5:]) + 1
    assert [i.working_group_id for i in items] == [first.id, second.id]
    [event] = _events(items[0].id, "change_status")[-1:]
    assert event.changes["case_file_number"] == [None, numbers[0]]
    page = client.get(f"/staff/items/{tips[0].reference}")
    assert numbers[0] in text_of(page) and "第一专班" in text_of(page)


def test_the_history_names_the_working_group_not_its_number(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    first, second = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([first, second])
    db.session.commit()
    receipt = create_tip()
    _post(client, receipt.reference, "move", {"expected": "new", "target": "triaged"})
    _post(client, receipt.reference, "move", {"expected": "triaged", "target": "assigned", "working_group": str(first.id)})
    _post(client, receipt.reference, "group", {"group": str(second.id)})
    page = client.get(f"/staff/items/{receipt.reference}", headers={"Accept-Language": "en"})
    history = text_of(page).split("Audit history", 1)[1]
    assert "Working group: – → 第一专班" in history and "Working group: 第一专班 → 第二专班" in history


def test_invalid_moves_are_refused_and_change_nothing(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip()
    for data in ({"expected": "new", "target": "verifying"}, {"expected": "new", "target": "assigned"},
                 {"expected": "new", "target": "closed"}):
        assert _post(client, receipt.reference, "move", data).status_code == 400, data
    db.session.expire_all()
    assert db.session.get(IntakeItem, receipt.tip.item_id).status == "new"
    assert _events(receipt.tip.item_id, "change_status") == []


def test_closing_records_the_outcome_and_a_stale_form_is_refused(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip()
    ok = _post(client, receipt.reference, "move", {"expected": "new", "target": "closed", "outcome": "spam"})
    assert ok.status_code == 303
    # A second officer's page still said "new": the move is refused, not applied twice.
    stale = _post(client, receipt.reference, "move", {"expected": "new", "target": "closed", "outcome": "not_substantiated"},
                  headers={"Accept-Language": "en"})
    assert stale.status_code == 409 and "Someone else changed" in text_of(stale)
    db.session.expire_all()
    item = db.session.get(IntakeItem, receipt.tip.item_id)
    assert (item.status, item.outcome) == ("closed", "spam") and item.closed_at is not None
    assert len(_events(item.id, "change_status")) == 1
    reopened = _post(client, receipt.reference, "move", {"expected": "closed", "target": "triaged"})
    assert reopened.status_code == 303
    db.session.expire_all()
    assert (item.status, item.outcome, item.closed_at) == ("triaged", None, None)


def test_priority_change_keeps_the_reason_as_a_note(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    user, client = officer
    receipt = create_tip()
    assert _post(client, receipt.reference, "priority", {"priority": "1", "reason": "有车牌号"}).status_code == 303
    note = db.session.scalar(select(ItemNote).where(ItemNote.item_id == receipt.tip.item_id))
    assert note.body == "有车牌号" and note.author_id == user.id
    assert "有车牌号" in text_of(client.get(f"/staff/items/{receipt.reference}"))


def test_link_and_merge_keep_both_histories(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    keep, duplicate = create_tip(), create_tip()
    client.get(f"/staff/items/{duplicate.reference}")  # one view in the duplicate's own history
    response = _post(client, duplicate.reference, "link", {"other": keep.reference.lower(), "merge": "merge"})
    assert response.status_code == 303
    db.session.expire_all()
    merged = db.session.get(IntakeItem, duplicate.tip.item_id)
    assert (merged.status, merged.outcome, merged.merged_into_id) == ("closed", "duplicate", keep.tip.item_id)
    page = client.get(f"/staff/items/{keep.reference}", headers={"Accept-Language": "en"})
    history = text_of(page).split("Audit history", 1)[1]
    assert duplicate.reference in text_of(page)
    assert f"Opened the item ({duplicate.reference})" in history  # the duplicate's history is shown here too
    assert len(_events(merged.id, "view_item")) >= 2  # and it kept its own


def test_a_tip_is_never_linked_with_or_merged_into_a_sampling_booking_nor_the_booking_into_it(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    """A sampling booking is not a lead: a mistyped reference must not close a lead as a
    "duplicate" of a family's blood-sampling booking, nor list the tip on the booking's page."""
    _, client = officer
    booking = create_appointment(create_slot(create_site()))
    tip = create_tip()
    attempts = [(tip.reference, booking.reference), (booking.reference, tip.reference)]
    for (mine, theirs) in attempts:
        for merge in ("merge", "link"):
            response = _post(client, mine, "link", {"other": theirs, "merge": merge}, headers={"Accept-Language": "en"})
            assert response.status_code == 400, (mine, merge, response.status_code)
            assert "A sampling booking is not a lead: it cannot be linked with or merged into another item" in text_of(response)
    response = _post(client, tip.reference, "link", {"other": booking.reference, "merge": "merge"}, headers={"Accept-Language": "zh-CN"})
    assert "采样预约不是线索" in text_of(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ItemLink.id))) == 0
    assert db.session.get(IntakeItem, tip.tip.item_id).status == ItemStatus.NEW
    assert db.session.get(IntakeItem, booking.id).merged_into_id is None
    for action in ("link_item", "merge_item", "change_status"):
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == action)) is None, action


def test_linking_a_pair_again_from_the_other_item_says_it_was_already_linked(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    first, second = create_tip(), create_tip()
    assert _post(client, first.reference, "link", {"other": second.reference, "merge": "link"}).status_code == 303
    again = _post(client, second.reference, "link", {"other": first.reference, "merge": "link"},
                  headers={"Accept-Language": "en"}, follow_redirects=True)
    assert again.status_code == 200 and f"This item was already linked with {first.reference}" in text_of(again)
    assert db.session.scalar(select(func.count(ItemLink.id))) == 1
    assert len(_events(first.tip.item_id, "link_item")) == 1 and len(_events(second.tip.item_id, "link_item")) == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_two_officers_linking_one_pair_from_both_items_at_once_both_get_an_answer_not_an_error(app: Flask) -> None:
    """A→B and B→A at the same instant, six times: each pair is linked once, and neither officer
    meets a 500 (the second insert used to fail on uq_item_link_pair)."""
    officers = []
    for n in range(2):
        create_staff(Role.TRIAGE_OFFICER, username=f"officer{n}")
        client = IsolatedClient(app, app.response_class, use_cookies=True)
        assert sign_in(client, f"officer{n}").status_code == 303
        officers.append(client)
    pairs = [(create_tip().reference, create_tip().reference) for _ in range(6)]
    tokens = [csrf_token(c.get("/staff/queue").get_data(as_text=True)) for c in officers]
    db.session.remove()
    codes: list[int] = []
    errors: list[str] = []
    for a, b in pairs:
        results = [0, 0]

        def press(index: int, a: str = a, b: str = b, results: list[int] = results) -> None:
            mine, theirs = (a, b) if index == 0 else (b, a)
            try:
                results[index] = officers[index].post(f"/staff/items/{mine}/link", data={
                    "csrf_token": tokens[index], "other": theirs, "merge": "link"}).status_code
            except Exception as exc:  # noqa: BLE001 - an error the app let escape: a 500 in production
                results[index] = 500
                errors.append(repr(exc))

        run_together(2, press)
        codes += results
    assert codes == [303] * len(codes), (codes, errors[:2])
    assert db.session.scalar(select(func.count(ItemLink.id))) == len(pairs)


def test_redaction_blanks_the_contact_number_and_records_the_reason_not_the_value(app: Flask, officer) -> None:  # type: ignore[no-untyped-def]
    _, client = officer
    receipt = create_tip(contact_phone="+8613800138000", may_contact_by_sms=True)
    response = _post(client, receipt.reference, "redact", {"field": "contact_phone", "redact_reason": "号码不是举报人的"})
    assert response.status_code == 303
    db.session.expire_all()
    assert receipt.tip.contact_phone is None and receipt.tip.contact_phone_hash is None
    [event] = _events(receipt.tip.item_id, "redact")
    assert event.fields == ["contact_phone"] and "13800138000" not in repr(event.changes)
    assert "号码不是举报人的" not in repr(event.changes)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_officers_closing_at_the_same_moment_leave_one_status_and_one_history_entry(app: Flask) -> None:
    """Two threads, each with its own connection, close the same item at once (PostgreSQL)."""
    receipt = create_tip()
    item_id = receipt.tip.item_id
    first, second = create_staff(Role.TRIAGE_OFFICER, username="a"), create_staff(Role.TRIAGE_OFFICER, username="b")
    workflow_item = db.session.get(IntakeItem, item_id)
    workflow.move(workflow_item, expected="new", target=ItemStatus.TRIAGED, actor_id=first.id)
    db.session.commit()
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def close(actor_id: int, outcome: str) -> None:
        from portal.core.models import Outcome

        with app.app_context():
            item = db.session.get(IntakeItem, item_id)
            barrier.wait()
            try:
                workflow.move(item, expected="triaged", target=ItemStatus.CLOSED, actor_id=actor_id, outcome=Outcome(outcome))
                db.session.commit()
                results[actor_id] = "closed"
            except workflow.StaleStatus:
                db.session.rollback()
                results[actor_id] = "refused"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close, args=(first.id, "spam")),
               threading.Thread(target=close, args=(second.id, "not_substantiated"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == ["closed", "refused"]
    db.session.expire_all()
    item = db.session.get(IntakeItem, item_id)
    winner = next(actor for actor, result in results.items() if result == "closed")
    closes = [e for e in _events(item_id, "change_status") if e.changes["status"][1] == "closed"]
    assert len(closes) == 1 and closes[0].actor_id == winner
    assert item.status == "closed" and item.outcome == {first.id: "spam", second.id: "not_substantiated"}[winner]


@pytest.mark.parametrize(("headers", "message"), [
    ({"Accept-Language": "en"}, "This item's personal details were erased, so no note can be added to it"),
    ({"Accept-Language": "zh-CN"}, "这条记录的个人信息已被清除，不能再添加备注"),
], ids=["en", "zh"])
def test_no_note_can_be_added_to_an_item_whose_personal_details_were_erased(  # type: ignore[no-untyped-def]
        app: Flask, headers: dict, message: str) -> None:
    """Retention erases an item's notes once and never visits it again: a note added after that
    would be kept for ever, so the page says so and a posted note is refused, its text kept."""
    officer = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    sign_in(client, officer.username)
    item = create_tip().tip.item
    item.status, item.outcome = "closed", "spam"
    erase_personal_data(item)
    db.session.commit()
    shown = client.get(f"/staff/items/{item.reference}", headers=headers)
    page = shown.get_data(as_text=True)
    assert 'name="note"' not in page and message in text_of(shown)

    response = client.post(f"/staff/items/{item.reference}/notes", headers=headers,
                           data={"csrf_token": csrf_token(page), "note": "王某某又打来电话"})

    assert response.status_code == 400 and message in text_of(response)
    assert "王某某又打来电话" in response.get_data(as_text=True)  # what was typed stays in the box
    assert db.session.scalar(select(func.count()).select_from(ItemNote)) == 0

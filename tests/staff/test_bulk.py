"""Bulk actions on the queue: the selected items closed as spam, assigned to one person or given a
priority in one request, one audit event per item; an item the person may not act on is refused
and named while the others go ahead; a tampered list never makes a 500; the summary is true, in
the staff member's language, with counts in the right number."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemNote, ItemStatus, OutboundMessage, WorkingGroup
from portal.core.permissions import Role
from portal.staff.bulk import MAX_ITEMS
from portal.triage.owners import ASSIGNED_NOTICE_PURPOSE
from tests.support.database import counted_queries
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, run_together
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH


def _group(name: str = "第一专班") -> WorkingGroup:
    group = WorkingGroup(name=name)
    db.session.add(group)
    db.session.commit()
    return group


def _leads(count: int, group: WorkingGroup | None = None, **attrs: object) -> list[IntakeItem]:
    items = []
    for _n in range(count):
        item = create_tip().tip.item
        item.working_group_id = group.id if group else None
        for key, value in attrs.items():
            setattr(item, key, value)
        items.append(item)
    db.session.commit()
    return items


def _client(app: Flask, role: Role, username: str, **attrs: object):  # type: ignore[no-untyped-def]
    create_staff(role, username=username, **attrs)
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return client


def _bulk(client, action: str, items: list[IntakeItem], *, extra: dict | None = None, seen: dict | None = None,  # type: ignore[no-untyped-def]
          query: str = "", headers: dict = EN, follow: bool = True):
    """POST the bulk form as the queue page would: the ticked references and the status each row
    showed (`seen` overrides: {reference: status}); returns the page after the redirect."""
    html = client.get("/staff/queue" + query, headers=headers).get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf_token(html), "bulk_action": action,
                               "bulk_items": [i.reference for i in items]}
    data.update({f"seen-{i.reference}": i.status for i in items})
    data.update({f"seen-{ref}": status for ref, status in (seen or {}).items()})
    data.update(extra or {})
    return client.post("/staff/queue/bulk" + query, data=data, headers=headers, follow_redirects=follow)


def _words(page) -> str:  # type: ignore[no-untyped-def]
    """The page's text as read: links run on with the words around them (text_of spaces them)."""
    html = re.sub(r"</?a\b[^>]*>", "", page.get_data(as_text=True))
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _status(item: IntakeItem) -> tuple[str, str | None]:
    db.session.expire_all()
    found = db.session.get(IntakeItem, item.id)
    return found.status, found.outcome


def test_closing_50_selected_items_as_spam_writes_50_audit_events_in_one_request(app: Flask) -> None:
    items = _leads(50)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    assert len(re.findall(r'name="bulk_items"', html)) == 50  # the page's 50 rows, each with its box
    with counted_queries() as queries:
        response = _bulk(client, "spam", items, follow=False)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/queue"
    assert len(queries) < 400  # one request: a few statements per item, no more
    events = _events("change_status")
    assert len(events) == 50 and {e.item_id for e in events} == {i.id for i in items}
    assert all(e.changes["outcome"] == [None, "spam"] for e in events)
    assert {_status(i) for i in items} == {(ItemStatus.CLOSED, "spam")}
    assert "Closed 50 items as spam:" in _words(client.get("/staff/queue", headers=EN))


def test_an_item_out_of_a_group_members_scope_is_refused_and_named_while_the_others_are_closed(app: Flask) -> None:
    mine, theirs = _group(), _group("第二专班")
    own = _leads(2, mine)
    other = _leads(1, theirs)[0]
    client = _client(app, Role.GROUP_MEMBER, "wang", working_group_id=mine.id)
    page = _bulk(client, "spam", [own[0], other, own[1]])
    assert page.status_code == 200
    text = _words(page)
    assert f"Closed 2 items as spam: {own[0].reference} and {own[1].reference}." in text
    assert f"1 item refused: {other.reference} (not found, or you may not act on it)." in text
    assert [_status(i)[0] for i in own] == [ItemStatus.CLOSED, ItemStatus.CLOSED]
    assert _status(other) == (ItemStatus.NEW, None)
    assert {e.item_id for e in _events("change_status")} == {own[0].id, own[1].id}


def test_an_already_closed_item_and_one_changed_since_the_page_was_loaded_are_refused_with_their_reason(app: Flask) -> None:
    fresh, closed, moved = _leads(3)
    closed.status, closed.outcome = ItemStatus.CLOSED, "not_substantiated"
    moved.status = ItemStatus.TRIAGED  # someone triaged it after the page showed it as new
    db.session.commit()
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    text = _words(_bulk(client, "spam", [fresh, closed, moved], seen={moved.reference: "new"}))
    assert f"Closed 1 item as spam: {fresh.reference}." in text
    assert (f"2 items refused: {closed.reference} (already closed) and {moved.reference} "
            "(changed by someone else since the page was loaded).") in text
    assert _status(fresh) == (ItemStatus.CLOSED, "spam")
    assert _status(moved) == (ItemStatus.TRIAGED, None) and _status(closed) == (ItemStatus.CLOSED, "not_substantiated")
    assert [e.item_id for e in _events("change_status")] == [fresh.id]


def test_closing_again_an_item_already_closed_is_refused_as_already_closed(app: Flask) -> None:
    [item] = _leads(1)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    _bulk(client, "spam", [item])
    again = _words(_bulk(client, "spam", [item], seen={item.reference: "new"}, query="?status=all"))
    assert f"1 item refused: {item.reference} (already closed)." in again
    assert len(_events("change_status")) == 1


def test_bulk_assign_makes_one_person_responsible_per_item_audited_and_texts_them_once(app: Flask) -> None:
    first, second = _group(), _group("第二专班")
    leads = _leads(3, first)
    elsewhere = _leads(1, second)[0]
    member = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=first.id, duty_phone="+8613900139000")
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    assert f'<option value="{member.id}">wang (Working group member, 第一专班)</option>' in html
    page = _bulk(client, "assign", leads + [elsewhere], extra={"bulk_owner": str(member.id)})
    text = _words(page)
    assert "wang is now responsible for 3 items: " in text
    assert (f"1 item refused: {elsewhere.reference} (wang is in another working group; group members can only "
            "be responsible for their own group's items).") in text
    events = _events("assign_item")
    assert sorted(e.item_id for e in events) == sorted(i.id for i in leads)
    db.session.expire_all()
    assert [db.session.get(IntakeItem, i.id).assigned_to_id for i in leads] == [member.id] * 3
    assert db.session.get(IntakeItem, elsewhere.id).assigned_to_id is None
    [notice] = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == ASSIGNED_NOTICE_PURPOSE))
    assert notice.to_phone == "+8613900139000" and "3" in notice.body
    # Again: already so, nothing changes, nobody is texted.
    again = _words(_bulk(client, "assign", leads, extra={"bulk_owner": str(member.id)}))
    assert "No item was changed. 3 items were already so: nothing to change." in again
    assert len(_events("assign_item")) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


def test_bulk_priority_sets_it_with_the_reason_as_a_note_audited_per_item(app: Flask) -> None:
    normal = _leads(2)
    high = _leads(1, priority=1)[0]
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    page = _bulk(client, "priority", normal + [high], extra={"bulk_priority": "1", "bulk_reason": "同一团伙，一并核查"})
    text = _words(page)
    assert "Priority set to High on 2 items: " in text and "1 item was already so: nothing to change." in text
    assert sorted(e.item_id for e in _events("change_priority")) == sorted(i.id for i in normal)
    db.session.expire_all()
    assert {db.session.get(IntakeItem, i.id).priority for i in normal} == {1}
    notes = db.session.scalars(select(ItemNote).where(ItemNote.item_id.in_([i.id for i in normal]))).all()
    assert [n.body for n in notes] == ["同一团伙，一并核查"] * 2


def test_an_incomplete_bulk_form_shows_the_queue_again_with_what_was_chosen_and_changes_nothing(app: Flask) -> None:
    leads = _leads(2)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    page = _bulk(client, "priority", leads[:1], extra={"bulk_priority": "0", "bulk_reason": ""}, query="?sort=priority")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Enter why you are changing the priority" in _words(page) and 'href="#bulk_reason"' in html
    assert re.search(rf'value="{leads[0].reference}" form="bulk-form" checked', html)
    assert not re.search(rf'value="{leads[1].reference}" form="bulk-form" checked', html)
    assert '<option selected value="0">' in html or '<option value="0" selected>' in html
    assert 'action="/staff/queue/bulk?sort=priority"' in html  # the filters are kept
    nothing = _bulk(client, "spam", [])
    assert nothing.status_code == 400 and "Select at least one item" in _words(nothing)
    no_owner = _bulk(client, "assign", leads)
    assert no_owner.status_code == 400 and "Choose the person to make responsible" in _words(no_owner)
    assert _events("change_priority") == [] and _events("change_status") == [] and _events("assign_item") == []


def test_roles_without_the_actions_permission_are_refused_whole(app: Flask) -> None:
    group = _group()
    leads = _leads(2, group)
    member = _client(app, Role.GROUP_MEMBER, "wang", working_group_id=group.id)
    for action, extra in (("assign", {"bulk_owner": "1"}), ("priority", {"bulk_priority": "0", "bulk_reason": "x"})):
        assert _bulk(member, action, leads, extra=extra, follow=False).status_code == 403
    supervisor = _client(app, Role.SUPERVISOR, "zhao")
    assert "bulk-form" not in supervisor.get("/staff/queue").get_data(as_text=True)
    assert _bulk(supervisor, "spam", leads, follow=False).status_code == 403
    # A group member is offered only what they may do: closing as spam.
    html = member.get("/staff/queue", headers=EN).get_data(as_text=True)
    offered = re.findall(r'name="bulk_action" value="(\w+)"', html)
    assert offered == ["spam"]
    assert {_status(i)[0] for i in leads} == {ItemStatus.NEW}


def test_the_same_reference_written_twice_is_acted_on_once(app: Flask) -> None:
    [item] = _leads(1)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "bulk_action": "spam", f"seen-{item.reference}": "new",
            "bulk_items": [item.reference, item.reference.lower(), " " + item.reference.replace("-", " ")]}
    text = _words(client.post("/staff/queue/bulk", data=data, headers=EN, follow_redirects=True))
    assert f"Closed 1 item as spam: {item.reference}." in text and "refused" not in text
    assert len(_events("change_status")) == 1


@pytest.mark.parametrize("references", [
    ["garbage"], [""], ["TY-0000-0000"], ["<script>alert(1)</script>"], ["x" * 5000], ["TY-ＡＢＣＤ-１２３４"],
    ["\x00TY"], ["%(num)s"],
])
def test_a_tampered_reference_list_is_refused_per_item_never_a_server_error(app: Flask, references: list[str]) -> None:
    [item] = _leads(1)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "bulk_action": "spam", "bulk_items": references + [item.reference],
            f"seen-{item.reference}": "new"}
    page = client.post("/staff/queue/bulk", data=data, headers=EN, follow_redirects=True)
    assert page.status_code == 200
    text = _words(page)
    assert f"Closed 1 item as spam: {item.reference}." in text
    if any(r.strip() for r in references):
        assert "refused:" in text and "(not found, or you may not act on it)" in text
    assert "<script>alert" not in page.get_data(as_text=True)


def test_a_missing_or_forged_seen_status_refuses_the_item_and_an_unknown_action_is_a_form_error(app: Flask) -> None:
    first, second = _leads(2)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "bulk_action": "spam", "bulk_items": [first.reference, second.reference],
            f"seen-{second.reference}": "exploded"}
    text = _words(client.post("/staff/queue/bulk", data=data, headers=EN, follow_redirects=True))
    assert "No item was changed." in text and "2 items refused" in text
    unknown = client.post("/staff/queue/bulk", data={**data, "bulk_action": "delete"}, headers=EN)
    assert unknown.status_code == 400 and "Choose what to do with the selected items" in _words(unknown)


def test_more_than_the_cap_is_refused_whole_with_a_clear_message(app: Flask) -> None:
    [item] = _leads(1)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    many = [f"TY-{n:04d}-AAAA" for n in range(MAX_ITEMS)] + [item.reference]
    page = client.post("/staff/queue/bulk", headers=EN, data={
        "csrf_token": csrf_token(html), "bulk_action": "spam", "bulk_items": many, f"seen-{item.reference}": "new"})
    assert page.status_code == 400
    assert f"Select at most {MAX_ITEMS} items at a time (you selected {MAX_ITEMS + 1})" in _words(page)
    assert _status(item) == (ItemStatus.NEW, None)


def test_the_summary_is_in_chinese_for_a_chinese_session(app: Flask) -> None:
    mine, theirs = _group(), _group("第二专班")
    own = _leads(1, mine)[0]
    other = _leads(1, theirs)[0]
    client = _client(app, Role.GROUP_MEMBER, "wang", working_group_id=mine.id)
    text = _words(_bulk(client, "spam", [own, other], headers=ZH))
    assert f"已将1条记录作为垃圾信息办结：{own.reference}。" in text
    assert f"1条未处理：{other.reference}（未找到，或您无权处理）。" in text


def _boxes(page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The HTML of the success box and of the warning box after a bulk action ("" when absent)."""
    html = page.get_data(as_text=True)
    success = re.search(r'<div class="notification" role="status">(.*?)</div>', html, re.S)
    warning = re.search(r'<div class="notification notification-warning" role="status">(.*?)</div>', html, re.S)
    return (success.group(1) if success else ""), (warning.group(1) if warning else "")


def test_refusals_are_shown_apart_from_successes_and_only_items_the_person_may_see_are_links(app: Flask) -> None:
    mine, theirs = _group(), _group("第二专班")
    own, closed = _leads(2, mine)
    closed.status = ItemStatus.CLOSED
    other = _leads(1, theirs)[0]
    client = _client(app, Role.GROUP_MEMBER, "wang", working_group_id=mine.id)
    page = _bulk(client, "spam", [own, closed, other], seen={closed.reference: "new"},
                 extra={"bulk_items": [own.reference, closed.reference, other.reference, "TY-0000-0000"]}, headers=ZH)
    success, warning = _boxes(page)
    assert f'<a href="/staff/items/{own.reference}">{own.reference}</a>' in success and "未处理" not in success
    assert f'<a href="/staff/items/{closed.reference}">{closed.reference}</a>（已办结）' in warning
    # Out of scope and no such item: plain text, the same words, nothing to tell them apart.
    assert f"{other.reference}（未找到，或您无权处理）" in warning and "TY-0000-0000（未找到，或您无权处理）" in warning
    assert f'href="/staff/items/{other.reference}"' not in page.get_data(as_text=True)
    assert 'href="/staff/items/TY-0000-0000"' not in page.get_data(as_text=True)
    # Nothing done at all: no green box; "no item was changed" is a warning too.
    nothing = _bulk(client, "spam", [closed], seen={closed.reference: "new"}, query="?status=all", headers=ZH)
    success, warning = _boxes(nothing)
    assert success == "" and "没有记录被更改。" in warning and "1条未处理：" in warning


def test_the_summary_links_the_items_done_the_first_20_then_counts_the_rest(app: Flask) -> None:
    items = _leads(25)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    page = _bulk(client, "priority", items, extra={"bulk_priority": "1", "bulk_reason": "同一团伙"})
    success, warning = _boxes(page)
    linked = re.findall(r'<a href="/staff/items/([^"]+)">', success)
    assert len(linked) == 20 and set(linked) <= {i.reference for i in items}
    assert "Priority set to High on 25 items: " in _words(page) and "and 5 more." in _words(page)
    assert warning == ""


def test_bulk_assign_says_why_a_group_member_may_not_own_an_item_with_the_item_pages_words(app: Flask) -> None:
    group = _group()
    ungrouped = _leads(1)[0]
    member = create_staff(Role.GROUP_MEMBER, username="wangfang", working_group_id=group.id)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue", headers=ZH).get_data(as_text=True)
    assert "专班成员只能被指定负责本专班的记录；研判分流民警可以负责任何记录。" in html  # the hint under the select
    why = "wangfang是工作专班成员，这条记录还没有工作专班；专班成员只能负责本专班的记录"
    text = _words(_bulk(client, "assign", [ungrouped], extra={"bulk_owner": str(member.id)}, headers=ZH))
    assert f"1条未处理：{ungrouped.reference}（{why}）。" in text
    item_page = client.get(f"/staff/items/{ungrouped.reference}", headers=ZH).get_data(as_text=True)
    refused = client.post(f"/staff/items/{ungrouped.reference}/owner", headers=ZH,
                          data={"csrf_token": csrf_token(item_page), "owner": str(member.id)})
    assert refused.status_code == 400 and f"{why}。请选择该记录所属工作专班的成员" in _words(refused)
    db.session.expire_all()
    assert db.session.get(IntakeItem, ungrouped.id).assigned_to_id is None


def test_select_all_on_this_page_ticks_every_box_without_javascript_and_keeps_the_filters(app: Flask) -> None:
    _leads(3)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    html = client.get("/staff/queue?sort=priority", headers=EN).get_data(as_text=True)
    assert 'href="/staff/queue?select=page&amp;sort=priority#bulk_items"' in html
    assert len(re.findall(r'form="bulk-form" checked', html)) == 0
    ticked = client.get("/staff/queue?select=page&sort=priority", headers=EN).get_data(as_text=True)
    assert len(re.findall(r'form="bulk-form" checked', ticked)) == 3
    assert 'href="/staff/queue?sort=priority#bulk_items"' in ticked  # "Clear the selection"
    assert 'action="/staff/queue/bulk?sort=priority"' in ticked
    assert "queue.xlsx?sort=priority" in ticked  # the export links leave the switch out


def test_the_queue_with_the_bulk_form_is_well_formed_in_both_languages(app: Flask) -> None:
    _leads(2)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    for headers in (EN, ZH):
        get_page(client, "/staff/queue", headers=headers)
        get_page(client, "/staff/queue?select=page", headers=headers)


@pytest.mark.slow
def test_the_queue_with_the_bulk_form_is_valid_html(app: Flask) -> None:
    leads = _leads(2)
    client = _client(app, Role.TRIAGE_OFFICER, "li")
    assert_valid_html(client.get("/staff/queue", headers=ZH).get_data(as_text=True), "queue with bulk form")
    refused = _bulk(client, "assign", leads, follow=False)
    assert_valid_html(refused.get_data(as_text=True), "bulk form with errors")


@pytest.mark.slow
def test_two_officers_closing_the_same_items_at_once_close_each_once(app: Flask) -> None:
    """Two requests at the same instant (PostgreSQL in the slow pass), their items in opposite
    orders: no deadlock; each item is closed by one of them, with one audit event; the other's
    summary names it as refused."""
    items = _leads(20)
    clients = [_client(app, Role.TRIAGE_OFFICER, name) for name in ("li", "zhao")]
    pages = [client.get("/staff/queue", headers=EN).get_data(as_text=True) for client in clients]
    references = [i.reference for i in items]  # read here: the threads must not touch this session
    texts: dict[int, str] = {}

    def work(index: int) -> None:
        with app.app_context():
            ordered = references if index == 0 else references[::-1]  # another sort order: opposite
            data = {"csrf_token": csrf_token(pages[index]), "bulk_action": "spam",
                    "bulk_items": ordered, **{f"seen-{r}": "new" for r in references}}
            texts[index] = _words(clients[index].post("/staff/queue/bulk", data=data, headers=EN, follow_redirects=True))
            db.session.remove()

    run_together(2, work)
    events = _events("change_status")
    assert sorted(e.item_id for e in events) == sorted(i.id for i in items)
    closed = [int(m.group(1)) for t in texts.values() for m in [re.search(r"Closed (\d+) items? as spam", t)] if m]
    refused = [int(m.group(1)) for t in texts.values() for m in [re.search(r"(\d+) items? refused", t)] if m]
    assert sum(closed) == 20 and sum(closed) + sum(refused) == 40, texts

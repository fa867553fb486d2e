"""Named owners (issue 14): a lead assigned to a named member of its working group, who finds it
under "my items" and gets a text with the reference only; who may assign and who may be chosen;
each person's workload; and switching off an account hands its open items over, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemStatus, OutboundMessage, StaffUser, WorkingGroup
from portal.core.permissions import Role
from portal.staff.accounts import set_active
from portal.triage import owners
from portal.triage.owners import ASSIGNED_NOTICE_PURPOSE
from tests.support.database import counted_queries
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, run_together, text_of
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH

DESCRIPTION = "我在成都火车站看到一个小孩被成年人强迫乞讨"


def _group(name: str = "第一专班") -> WorkingGroup:
    group = WorkingGroup(name=name)
    db.session.add(group)
    db.session.commit()
    return group


def _lead(group: WorkingGroup | None, **attrs: object) -> IntakeItem:
    item = create_tip(description=DESCRIPTION).tip.item
    item.working_group_id = group.id if group else None
    for key, value in attrs.items():
        setattr(item, key, value)
    db.session.commit()
    return item


def _client(app: Flask, username: str):  # type: ignore[no-untyped-def]
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return client


def _post(client, url: str, data: dict[str, str], page_url: str, headers: dict = EN):  # type: ignore[no-untyped-def]
    html = client.get(page_url, headers=headers).get_data(as_text=True)
    return client.post(url, headers=headers, data={"csrf_token": csrf_token(html), **data})


def _assign(client, item: IntakeItem, owner_id: int, headers: dict = EN):  # type: ignore[no-untyped-def]
    page = f"/staff/items/{item.reference}"
    return _post(client, f"{page}/owner", {"owner": str(owner_id)}, page, headers)


def _queue(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    return text_of(client.get(f"/staff/queue{query}", headers=EN))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _notices() -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == ASSIGNED_NOTICE_PURPOSE)))


def test_a_triage_officer_assigns_a_lead_to_a_named_group_member_who_finds_it_under_my_items(app: Flask) -> None:
    group = _group()
    item, other = _lead(group), _lead(group)
    member = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    create_staff(Role.GROUP_MEMBER, username="zhao", working_group_id=_group("第二专班").id)
    officer = create_staff(Role.TRIAGE_OFFICER, username="li")
    triage = _client(app, "li")

    page = triage.get(f"/staff/items/{item.reference}", headers=EN).get_data(as_text=True)
    assert "wang (Working group member, 第一专班)" in page  # a member of the item's group is offered
    assert "zhao" not in page  # a member of another group is not
    response = _assign(triage, item, member.id)
    assert response.status_code == 303
    assert "wang is now responsible for this item." in text_of(triage.get(response.headers["Location"], headers=EN))

    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id == member.id
    assert db.session.get(IntakeItem, item.id).status == ItemStatus.NEW  # the owner is not a status
    [assigned] = _events("assign_item")
    assert (assigned.actor_id, assigned.item_id) == (officer.id, item.id)
    assert assigned.changes == {"assigned_to_id": [None, str(member.id)]}  # ids, never names

    wang = _client(app, "wang")
    mine = _queue(wang, "?mine=y")
    assert "My items" in mine and item.reference in mine and other.reference not in mine
    assert "My items (1)" in _queue(wang)  # the navigation tells the new owner
    # The item's history names who did it.
    history = text_of(wang.get(f"/staff/items/{item.reference}", headers=EN))
    assert "Made a named person responsible" in history and "Officer responsible: – → wang" in history


def test_the_new_owners_duty_phone_gets_the_reference_and_assigned_to_you_only(app: Flask) -> None:
    group = _group()
    item = _lead(group)
    member = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id, duty_phone="+8613900139000")
    create_staff(Role.TRIAGE_OFFICER, username="li")
    triage = _client(app, "li")
    assert _assign(triage, item, member.id, headers=ZH).status_code == 303

    [notice] = _notices()
    assert notice.to_phone == "+8613900139000" and notice.item_id == item.id
    assert notice.body == f"团圆行动服务平台：{item.reference}已指派给您负责，请登录民警工作台查看。"
    assert "成都" not in notice.body and "第一专班" not in notice.body
    # To the officer, not part of the tipster's conversation on the item page.
    assert notice.body not in triage.get(f"/staff/items/{item.reference}", headers=ZH).get_data(as_text=True)
    # Assigning the same person again changes and sends nothing.
    _assign(triage, item, member.id)
    assert len(_notices()) == 1 and len(_events("assign_item")) == 1


def test_only_group_members_of_the_item_and_triage_officers_may_be_chosen_never_a_switched_off_account(app: Flask) -> None:
    group = _group()
    item = _lead(group)
    outsider = create_staff(Role.GROUP_MEMBER, username="zhao", working_group_id=_group("第二专班").id)
    gone = create_staff(Role.GROUP_MEMBER, username="gone", working_group_id=group.id, active=False)
    supervisor = create_staff(Role.SUPERVISOR, username="boss")
    colleague = create_staff(Role.TRIAGE_OFFICER, username="chen")
    create_staff(Role.TRIAGE_OFFICER, username="li")
    triage = _client(app, "li")
    assert "gone" not in triage.get(f"/staff/items/{item.reference}", headers=EN).get_data(as_text=True)

    for refused in (outsider, gone, supervisor):
        response = _assign(triage, item, refused.id)
        assert response.status_code == 400, refused.username
        assert "Choose a member of the item's working group or a triage officer" in text_of(response)
    response = _post(triage, f"/staff/items/{item.reference}/owner", {"owner": ""}, f"/staff/items/{item.reference}")
    assert response.status_code == 400 and "Choose the person to make responsible" in text_of(response)
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id is None and _events("assign_item") == []

    # A lead without a working group yet: only triage officers.
    loose = _lead(None)
    assert _assign(triage, loose, colleague.id).status_code == 303
    assert _assign(triage, loose, outsider.id).status_code == 400


def test_roles_that_may_not_assign_are_refused_and_a_group_member_still_takes_items_of_their_group(app: Flask) -> None:
    group = _group()
    item = _lead(group)
    member = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    create_staff(Role.GROUP_MEMBER, username="liu", working_group_id=group.id)
    create_staff(Role.SUPERVISOR, username="boss")
    page = f"/staff/items/{item.reference}"
    for username in ("liu", "boss"):
        client = _client(app, username)
        assert _assign(client, item, member.id).status_code == 403, username
        assert 'action="/staff/items/%s/owner"' % item.reference not in client.get(page).get_data(as_text=True)
    wang = _client(app, "wang")
    assert _post(wang, f"{page}/take", {}, page).status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id == member.id
    assert item.reference in _queue(wang, "?mine=y")
    assert _notices() == []  # taking an item oneself sends no text


def test_the_workload_counts_each_persons_open_and_overdue_items_in_one_query(app: Flask) -> None:
    group = _group()
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    create_staff(Role.GROUP_MEMBER, username="idle", working_group_id=group.id)
    gone = create_staff(Role.GROUP_MEMBER, username="gone", working_group_id=group.id, active=False)
    create_staff(Role.SITE_STAFF, username="desk")
    now = clock.now()
    late = now - timedelta(days=1)
    on_time = _lead(group, assigned_to_id=wang.id)
    overdue = _lead(group, assigned_to_id=wang.id, feedback_due_at=late)
    done = _lead(group, assigned_to_id=wang.id, status=ItemStatus.CLOSED, feedback_due_at=late)  # closed: not counted
    _lead(group, assigned_to_id=gone.id, feedback_due_at=late)  # switched off before the hand-over existed
    _lead(None)
    _lead(None, feedback_due_at=late)

    with counted_queries() as statements:
        rows = owners.workload(now)
    assert len(statements) == 1
    found = {row.username: (row.open_items, row.overdue, row.active) for row in rows}
    assert found == {"wang": (2, 1, True), "idle": (0, 0, True), "gone": (1, 1, False), None: (2, 1, True)}
    assert rows[-1].user_id is None  # the items nobody owns come last

    create_staff(Role.SUPERVISOR, username="boss")
    page = text_of(_client(app, "boss").get("/staff/workload", headers=EN))
    assert "wang" in page and "Switched off" in page and "Nobody yet" in page and "desk" not in page
    # A count opens that person's items in the queue.
    assert f'href="/staff/queue?owner={wang.id}&amp;overdue=y"' in _client(app, "boss").get("/staff/workload").get_data(as_text=True)
    listed = _queue(_client(app, "boss"), f"?owner={wang.id}")
    assert on_time.reference in listed and overdue.reference in listed and done.reference not in listed


def _admin(app: Flask):  # type: ignore[no-untyped-def]
    admin = create_staff(Role.ADMIN, username="admin")
    return admin, _client(app, "admin")


def _switch_off(client, account: StaffUser, data: dict[str, str]):  # type: ignore[no-untyped-def]
    page = f"/staff/accounts/{account.id}"
    return _post(client, f"{page}/active", data, page)


def test_switching_off_an_account_with_open_items_asks_then_returns_them_to_the_queue_audited(app: Flask) -> None:
    group = _group()
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    first = _lead(group, assigned_to_id=wang.id, status=ItemStatus.VERIFYING)
    second = _lead(group, assigned_to_id=wang.id)
    closed = _lead(group, assigned_to_id=wang.id, status=ItemStatus.CLOSED)
    admin, client = _admin(app)
    page = text_of(client.get(f"/staff/accounts/{wang.id}", headers=EN))
    assert "Responsible for 2 open items." in page and "What becomes of its open items?" in page

    response = _switch_off(client, wang, {})
    assert response.status_code == 400 and "Choose what becomes of its open items" in text_of(response)
    db.session.expire_all()
    assert db.session.get(StaffUser, wang.id).active and db.session.get(IntakeItem, first.id).assigned_to_id == wang.id

    response = _switch_off(client, wang, {"open_items": "queue"})
    assert response.status_code == 303
    assert "2 open items returned to the queue." in text_of(client.get(response.headers["Location"], headers=EN))
    db.session.expire_all()
    assert not db.session.get(StaffUser, wang.id).active
    for item, status in ((first, ItemStatus.VERIFYING), (second, ItemStatus.NEW)):
        again = db.session.get(IntakeItem, item.id)
        assert again.assigned_to_id is None and again.status == status  # status as the workflow keeps it
    assert db.session.get(IntakeItem, closed.id).assigned_to_id == wang.id  # closed items keep their history
    released = _events("release_item")
    assert {(e.item_id, e.actor_id) for e in released} == {(first.id, admin.id), (second.id, admin.id)}
    assert all(e.changes == {"assigned_to_id": [str(wang.id), None]} for e in released)
    [switched] = _events("change_account")
    assert switched.changes["numbers"] == {"account_id": wang.id, "open_items_handed_over": 2}
    assert _notices() == []


def test_switching_off_an_account_gives_its_open_items_to_the_chosen_person_in_one_transaction(app: Flask) -> None:
    group = _group()
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    liu = create_staff(Role.GROUP_MEMBER, username="liu", working_group_id=group.id, duty_phone="+8613900139000")
    zhao = create_staff(Role.GROUP_MEMBER, username="zhao", working_group_id=_group("第二专班").id)
    create_staff(Role.GROUP_MEMBER, username="gone", working_group_id=group.id, active=False)
    items = [_lead(group, assigned_to_id=wang.id) for _ in range(2)]
    admin, client = _admin(app)
    page = client.get(f"/staff/accounts/{wang.id}", headers=EN).get_data(as_text=True)
    assert "liu (" in page and "zhao" not in page and "gone" not in page  # only who may own them all

    for data in ({"open_items": "person"}, {"open_items": "person", "new_owner": str(zhao.id)}):
        response = _switch_off(client, wang, data)
        assert response.status_code == 400, data
        db.session.expire_all()
        assert db.session.get(StaffUser, wang.id).active  # nothing happened: not even the switch-off
        assert _events("assign_item") == [] and _events("change_account") == []

    response = _switch_off(client, wang, {"open_items": "person", "new_owner": str(liu.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(StaffUser, wang.id).active
    assert [db.session.get(IntakeItem, i.id).assigned_to_id for i in items] == [liu.id, liu.id]
    given = _events("assign_item")
    assert {e.item_id for e in given} == {i.id for i in items} and {e.actor_id for e in given} == {admin.id}
    assert all(e.changes == {"assigned_to_id": [str(wang.id), str(liu.id)]} for e in given)
    [notice] = _notices()  # one text for the lot, with their number only
    assert notice.body == "团圆行动服务平台：已有2条记录指派给您负责，请登录民警工作台查看。"
    assert "My items (2)" in _queue(_client(app, "liu"))


def test_a_switched_off_account_that_still_owns_items_hands_them_over(app: Flask) -> None:
    group = _group()
    gone = create_staff(Role.GROUP_MEMBER, username="gone", working_group_id=group.id, active=False)
    item = _lead(group, assigned_to_id=gone.id)
    officer = create_staff(Role.TRIAGE_OFFICER, username="li")
    _admin_user, client = _admin(app)
    page = f"/staff/accounts/{gone.id}"
    assert "This account is switched off but still responsible for open items." in text_of(client.get(page, headers=EN))
    response = _post(client, f"{page}/open-items", {"open_items": "person", "new_owner": str(officer.id)}, page)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id == officer.id
    assert [e.item_id for e in _events("assign_item")] == [item.id]


def _pages(app: Flask) -> tuple[list[str], object]:
    """The pages this part adds or changes, with something on each: an item with its owner form,
    "my items", the workload, an account with open items and one switched off with open items."""
    group = _group()
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    gone = create_staff(Role.GROUP_MEMBER, username="gone", working_group_id=group.id, active=False)
    item = _lead(group, assigned_to_id=wang.id)
    _lead(group, assigned_to_id=gone.id)
    _admin_user, client = _admin(app)
    return [f"/staff/items/{item.reference}", "/staff/queue?mine=y", "/staff/workload",
            f"/staff/accounts/{wang.id}", f"/staff/accounts/{gone.id}"], client


def test_the_owner_pages_are_well_formed_in_both_languages(app: Flask) -> None:
    """One title, one h1, unique ids, a CSRF token in every POST form (tests.support.helpers.check_page)."""
    urls, client = _pages(app)
    for headers in (EN, ZH):
        for url in urls:
            get_page(client, url, headers=headers)


@pytest.mark.slow
def test_the_owner_pages_are_valid_html(app: Flask) -> None:
    urls, client = _pages(app)
    for url in urls:
        assert_valid_html(client.get(url, headers=ZH).get_data(as_text=True), url)
    wang = db.session.scalar(select(StaffUser).where(StaffUser.username == "wang"))
    refused = _switch_off(client, wang, {"open_items": "person"})
    assert_valid_html(refused.get_data(as_text=True), "refused switch-off")


def test_handing_a_lead_to_another_group_clears_an_owner_from_the_old_group(app: Flask) -> None:
    first, second = _group(), _group("第二专班")
    item = _lead(first, status=ItemStatus.ASSIGNED, case_file_number="2026-00001")
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=first.id)
    officer = create_staff(Role.TRIAGE_OFFICER, username="li")
    triage = _client(app, "li")
    assert _assign(triage, item, wang.id).status_code == 303
    page = f"/staff/items/{item.reference}"
    assert _post(triage, f"{page}/group", {"group": str(second.id)}, page).status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id is None
    [released] = _events("release_item")
    assert (released.actor_id, released.changes) == (officer.id, {"assigned_to_id": [str(wang.id), None]})
    # A triage officer stays responsible whatever the group.
    assert _assign(triage, item, officer.id).status_code == 303
    assert _post(triage, f"{page}/group", {"group": str(first.id)}, page).status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id == officer.id


@pytest.mark.postgres
@pytest.mark.slow
def test_an_assignment_at_the_moment_the_account_is_switched_off_never_leaves_it_responsible(app: Flask) -> None:
    """Two connections at once (PostgreSQL): one makes wang responsible, the other switches wang
    off and returns his items to the queue. Whichever goes first, wang owns nothing open after."""
    group = _group()
    officer = create_staff(Role.TRIAGE_OFFICER, username="li")
    admin = create_staff(Role.ADMIN, username="admin")
    for round_ in range(5):
        wang = create_staff(Role.GROUP_MEMBER, username=f"wang{round_}", working_group_id=group.id)
        item_id, wang_id = _lead(group).id, wang.id
        refused: list[bool] = []

        def work(index: int, item_id: int = item_id, wang_id: int = wang_id, refused: list[bool] = refused) -> None:
            with app.app_context():
                try:
                    if index == 0:
                        try:
                            owners.assign(db.session.get(IntakeItem, item_id), wang_id, actor_id=officer.id,
                                          now=clock.now())
                        except owners.OwnerRefused:
                            refused.append(True)
                    else:
                        account = db.session.get(StaffUser, wang_id)
                        set_active(account, False)
                        db.session.flush()
                        owners.hand_over(account, to_id=None, actor_id=admin.id, now=clock.now())
                    db.session.commit()
                finally:
                    db.session.remove()

        run_together(2, work)
        db.session.expire_all()
        assert not db.session.get(StaffUser, wang_id).active
        assert db.session.get(IntakeItem, item_id).assigned_to_id is None, f"round {round_}, refused: {refused}"


def test_moving_an_account_to_another_group_or_role_returns_the_items_it_may_no_longer_own(app: Flask) -> None:
    first, second = _group(), _group("第二专班")
    wang = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=first.id)
    item = _lead(first, assigned_to_id=wang.id)
    admin, client = _admin(app)
    page = f"/staff/accounts/{wang.id}"
    response = _post(client, f"{page}/role", {"role": "triage_officer", "working_group": ""}, page)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id == wang.id  # a triage officer may own any item
    response = _post(client, f"{page}/role", {"role": "group_member", "working_group": str(second.id)}, page)
    assert response.status_code == 303
    assert "1 open item returned to the queue." in text_of(client.get(response.headers["Location"], headers=EN))
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).assigned_to_id is None
    [released] = _events("release_item")
    assert (released.item_id, released.actor_id) == (item.id, admin.id)

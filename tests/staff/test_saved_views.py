"""Saved views of the queue: filters saved by name, for oneself or shared with one's working
group. A shared view appears for the other members of that group and for nobody else; a personal
view for its owner alone; only the queue's own filters are kept, cleaned when saved and again
when used; a name used twice is refused in both languages with what was typed kept; deleting
is for the owner alone (anyone else: 404); both are audited without the view's name."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

from flask import Flask
from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import AuditEvent, SavedView, WorkingGroup
from portal.core.permissions import Role
from tests.support.factories import create_staff
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _group(name: str) -> WorkingGroup:
    group = WorkingGroup(name=name)
    db.session.add(group)
    db.session.commit()
    return group


def _account(app: Flask, username: str, role: Role = Role.GROUP_MEMBER, group: WorkingGroup | None = None):  # type: ignore[no-untyped-def]
    create_staff(role, username=username, working_group_id=group.id if group else None)
    client = browser(app)
    assert sign_in(client, username).status_code == 303
    return client


def _save(client, name: str, filters: str, *, share: bool = False, headers: dict[str, str] = EN):  # type: ignore[no-untyped-def]
    """Save the view through the queue page's own form, as a browser would."""
    page = client.get(f"/staff/queue?{filters}", headers=headers).get_data(as_text=True)
    hidden = re.search(r'id="view-filters" name="filters"[^>]*value="([^"]*)"', page)
    data = {"csrf_token": csrf_token(page), "filters": unescape(hidden.group(1)) if hidden else filters, "name": name}
    if share:
        data["share"] = "y"
    return client.post("/staff/queue/views", data=data, headers=headers)


def _listed(client, headers: dict[str, str] = EN) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The saved views the queue page lists: {name: link}."""
    response, _parsed = get_page(client, "/staff/queue", headers=headers)
    found = re.search(r'<section class="saved-views".*?</section>', response.get_data(as_text=True), re.S)
    section = found.group(0) if found else ""  # no section: no views, and no filters to save
    return {unescape(name): unescape(href) for href, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', section)}


def test_a_shared_view_appears_for_the_other_members_of_the_group_and_for_nobody_else(app: Flask) -> None:
    first, second = _group("第一专班"), _group("第二专班")
    owner = _account(app, "owner", group=first)
    assert _save(owner, "逾期未反馈", "overdue=y&status=all", share=True).status_code == 303

    colleague = _account(app, "colleague", group=first)
    # The relation is the account's working group, whatever its role.
    officer_in_group = _account(app, "officer-in-group", Role.TRIAGE_OFFICER, group=first)
    assert _listed(colleague) == _listed(officer_in_group) == {"逾期未反馈": "/staff/queue?status=all&overdue=y"}
    assert "Shared by owner" in text_of(colleague.get("/staff/queue", headers=EN))
    other_group = _account(app, "other-group", group=second)
    no_group = _account(app, "no-group", Role.TRIAGE_OFFICER)
    supervisor = _account(app, "supervisor", Role.SUPERVISOR)
    for outsider in (other_group, no_group, supervisor):
        assert _listed(outsider) == {}
    # Its owner sees it as theirs: shared, with a delete button.
    page = text_of(owner.get("/staff/queue", headers=EN))
    assert "逾期未反馈 Shared with 第一专班 Delete view “逾期未反馈”" in page


def test_a_personal_view_appears_for_its_owner_alone(app: Flask) -> None:
    group = _group("第一专班")
    owner = _account(app, "owner", group=group)
    assert _save(owner, "我的紧急线索", "priority=0").status_code == 303
    assert _listed(owner) == {"我的紧急线索": "/staff/queue?priority=0"}
    assert _listed(_account(app, "colleague", group=group)) == {}
    # Ticking "share" without a working group saves a personal view: there is no group to share with.
    loner = _account(app, "loner", Role.TRIAGE_OFFICER)
    assert 'name="share"' not in loner.get("/staff/queue?priority=0").get_data(as_text=True)
    assert _save(loner, "紧急", "priority=0", share=True).status_code == 303
    assert db.session.scalars(select(SavedView.shared_with_group_id).where(SavedView.name == "紧急")).one() is None


def test_saving_shows_the_view_and_says_so_and_the_link_marks_the_page_shown(app: Flask) -> None:
    client = _account(app, "owner", group=_group("第一专班"))
    response = _save(client, "  已受理的短信  ", "status=assigned&channel=sms", share=True, headers=ZH)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/queue?status=assigned&channel=sms"
    shown = client.get(response.headers["Location"], headers=ZH)
    assert "视图“已受理的短信”已保存，并已共享给第一专班。" in text_of(shown)
    assert '<a href="/staff/queue?status=assigned&amp;channel=sms" aria-current="page">已受理的短信</a>' in shown.get_data(as_text=True)
    check_page(shown)


def test_filter_keys_the_queue_does_not_know_and_values_it_refuses_are_dropped(app: Flask) -> None:
    group = _group("第一专班")
    client = _account(app, "owner", group=group)
    tampered = ("status=closed&after=YXxfMXwy&evil=%3Cscript%3E&priority=0&priority=2&group=999999"
                f"&received_from=3000-01-01&received_to=2026-03-01&q={quote('火车站')}&owner=nobody&mine=y&sort=priority"
                f"&csrf_token=x&region={'长' * 101}")
    page = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    response = client.post("/staff/queue/views", data={"csrf_token": csrf_token(page), "name": "改过的",
                                                        "filters": tampered})
    assert response.status_code == 303
    stored = db.session.scalars(select(SavedView.query).where(SavedView.name == "改过的")).one()
    assert stored == (f"q={quote('火车站')}&sort=priority&status=closed&priority=0&owner=nobody&mine=y"
                      "&received_to=2026-03-01")
    # A view altered after it was saved (in the database) is cleaned again before its link is made.
    db.session.execute(text("UPDATE saved_view SET query = 'status=closed&evil=1&after=YXxfMXwy&group=999999'"))
    db.session.commit()
    assert _listed(client) == {"改过的": "/staff/queue?status=closed"}


def test_a_name_used_twice_is_refused_in_both_languages_keeping_what_was_typed(app: Flask) -> None:
    client = _account(app, "owner", group=_group("第一专班"))
    assert _save(client, "紧急", "priority=0").status_code == 303
    refused = _save(client, "紧急", "status=closed", share=True, headers=EN)
    assert refused.status_code == 400
    _parsed = check_page(refused)
    html = refused.get_data(as_text=True)
    assert "<title>Error: Save this view" in html
    assert "You already have a view called “紧急”. Enter another name." in text_of(refused)
    assert re.search(r'<input[^>]*id="view-name"[^>]*value="紧急"', html)
    assert re.search(r'<input[^>]*checked[^>]*id="view-share"|<input[^>]*id="view-share"[^>]*checked', html)
    assert re.search(r'id="view-filters" name="filters" type="hidden" value="status=closed"', html)
    chinese = _save(client, "紧急", "status=closed", headers=ZH)
    assert chinese.status_code == 400 and "您已有名为“紧急”的视图，请换一个名称。" in text_of(chinese)
    too_long = _save(client, "长" * 81, "status=closed", headers=EN)
    assert too_long.status_code == 400 and "Name must be 80 characters or fewer" in text_of(too_long)
    assert re.search(r'id="view-name"[^>]*value="' + "长" * 81 + '"', too_long.get_data(as_text=True))
    empty = _save(client, " \u3000 ", "status=closed", headers=ZH)
    assert empty.status_code == 400 and "请输入视图名称" in text_of(empty)
    assert db.session.scalars(select(SavedView.name)).all() == ["紧急"]


def test_deleting_another_persons_view_answers_404_and_deleting_ones_own_is_audited(app: Flask) -> None:
    group = _group("第一专班")
    owner = _account(app, "owner", group=group)
    assert _save(owner, "共享的", "priority=0", share=True).status_code == 303
    view_id = db.session.scalars(select(SavedView.id)).one()
    colleague = _account(app, "colleague", group=group)
    page = colleague.get("/staff/queue").get_data(as_text=True)
    assert f"/staff/queue/views/{view_id}/delete" not in page
    assert colleague.post(f"/staff/queue/views/{view_id}/delete", data={"csrf_token": csrf_token(page)}).status_code == 404
    assert colleague.post("/staff/queue/views/999999/delete", data={"csrf_token": csrf_token(page)}).status_code == 404
    assert db.session.scalars(select(SavedView.id)).all() == [view_id]

    page = owner.get("/staff/queue?priority=0").get_data(as_text=True)
    deleted = owner.post(f"/staff/queue/views/{view_id}/delete", data={"csrf_token": csrf_token(page), "filters": "priority=0&evil=1"},
                         headers=EN)
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/staff/queue?priority=0"
    assert "View “共享的” deleted." in text_of(owner.get("/staff/queue", headers=EN))
    db.session.expire_all()
    assert db.session.scalars(select(SavedView.id)).all() == []
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("saved_view_%")).order_by(AuditEvent.id)).all()
    assert [(e.action, e.changes["numbers"]) for e in events] == [
        ("saved_view_created", {"saved_view_id": view_id}), ("saved_view_deleted", {"saved_view_id": view_id})]
    assert events[0].changes["working_group_id"] == [None, str(group.id)]
    assert "共享的" not in repr(db.session.execute(text("SELECT * FROM audit_event")).all())


def test_save_this_view_is_offered_for_the_filters_shown_and_nothing_is_shown_without_them(app: Flask) -> None:
    client = _account(app, "owner", Role.TRIAGE_OFFICER)
    assert 'class="saved-views"' not in client.get("/staff/queue").get_data(as_text=True)
    html = client.get("/staff/queue?priority=0&after=YXxfMXwy&evil=1", headers=EN).get_data(as_text=True)
    assert re.search(r'id="view-filters" name="filters" type="hidden" value="priority=0"', html)
    assert "No saved views yet: save these filters to come back to them in one click." in html


def test_a_shared_view_leaves_the_groups_list_when_its_owner_leaves_the_group_or_is_switched_off(app: Flask) -> None:
    # Nobody in the group can delete another's view: were it to stay, the group would keep it for
    # good, named and worded by someone who is no longer one of them.
    first, second = _group("第一专班"), _group("第二专班")
    mover = _account(app, "mover", group=first)
    leaver = _account(app, "leaver", group=first)
    assert _save(mover, "移走的人的视图", "priority=0", share=True).status_code == 303
    assert _save(leaver, "停用的人的视图", "status=all", share=True).status_code == 303
    colleague = _account(app, "colleague", group=first)
    assert set(_listed(colleague)) == {"移走的人的视图", "停用的人的视图"}

    db.session.execute(text("UPDATE staff_user SET working_group_id = :g WHERE username = 'mover'"), {"g": second.id})
    db.session.execute(text("UPDATE staff_user SET active = false WHERE username = 'leaver'"))
    db.session.commit()
    assert _listed(colleague) == {}
    # Nor does it follow its owner into their new group; the owner still has it (their own).
    assert _listed(_account(app, "newcomer", group=second)) == {}
    assert set(_listed(mover)) == {"移走的人的视图"}


def test_a_group_members_view_keeps_no_other_group_nor_its_people_as_the_queue_does_not(app: Flask) -> None:
    # Otherwise what the view kept would tell a member which ids are other groups and their officers.
    first, second = _group("第一专班"), _group("第二专班")
    _account(app, "stranger", group=second)
    stranger_id = db.session.scalar(text("SELECT id FROM staff_user WHERE username = 'stranger'"))
    client = _account(app, "member", group=first)
    page = client.get("/staff/queue", headers=EN).get_data(as_text=True)
    for name, filters in (("别组", f"group={second.id}&priority=0"), ("别人", f"owner={stranger_id}&priority=0")):
        response = client.post("/staff/queue/views", data={"csrf_token": csrf_token(page), "name": name, "filters": filters})
        assert response.status_code == 303 and response.headers["Location"] == "/staff/queue?priority=0"
    assert set(db.session.scalars(select(SavedView.query))) == {"priority=0"}
    # Its own group and people are kept.
    response = client.post("/staff/queue/views", data={"csrf_token": csrf_token(page), "name": "本组",
                                                        "filters": f"group={first.id}"})
    assert response.headers["Location"] == f"/staff/queue?group={first.id}"

"""Site staff accounts from the admin pages: the role select has no default (a blank "Choose a role"
first, refused when sent blank); a site-staff account is given its sampling sites on creation and
on its page (audited), needs at least one, and another role may have none."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, StaffUser, WorkingGroup
from portal.core.permissions import Role
from tests.support.factories import create_site, create_staff
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.nu_checker import assert_valid_html
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH


def _admin(app: Flask):  # type: ignore[no-untyped-def]
    create_staff(Role.ADMIN, username="admin.zhao")
    client = browser(app)
    assert sign_in(client, "admin.zhao").status_code == 303
    return client


def _create(client, data: dict, headers: dict | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/staff/accounts").get_data(as_text=True))
    return client.post("/staff/accounts", data={"csrf_token": token, "working_group": "", **data}, headers=headers or {})


def _ticked(html: str, site_id: int) -> bool:
    """Whether the page's checkbox of site `site_id` is ticked."""
    box = re.search(rf'<input[^>]*name="sites"[^>]*value="{site_id}"[^>]*>', html)
    assert box, f"no checkbox for site {site_id}"
    return " checked" in box.group(0)


def _account(username: str) -> StaffUser:
    db.session.expire_all()
    return db.session.scalars(select(StaffUser).where(StaffUser.username == username)).one()


def test_the_role_select_starts_blank_and_a_blank_role_is_refused_with_what_was_typed_kept(app: Flask) -> None:
    client = _admin(app)
    response, _page = get_page(client, "/staff/accounts", headers=EN)
    html = response.get_data(as_text=True)
    role_select = html.split('name="role"')[1].split("</select>")[0]
    assert role_select.index('<option value="">Choose a role</option>') < role_select.index('value="admin"')
    assert "selected" not in role_select

    refused = _create(client, {"username": "qian", "role": ""}, headers=EN)

    assert refused.status_code == 400
    check_page(refused)
    assert "Error:" in text_of(refused) and "Choose a role" in text_of(refused)
    assert 'value="qian"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "qian")) is None


def test_an_admin_creates_a_site_staff_account_with_its_sites_and_it_is_audited(app: Flask) -> None:
    nantong, rugao, haimen = create_site(), create_site(name="如皋市公安局"), create_site(name="海门市公安局")
    client = _admin(app)
    page = client.get("/staff/accounts", headers=ZH)
    assert "采血点" in text_of(page) and nantong.name in text_of(page)

    created = _create(client, {"username": "sun", "role": "site_staff", "sites": [str(nantong.id), str(haimen.id)]})

    assert created.status_code == 200
    account = _account("sun")
    assert account.role == Role.SITE_STAFF
    assert sorted(site.id for site in account.sites) == sorted([nantong.id, haimen.id])
    assert rugao.name not in [site.name for site in account.sites]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "create_account")).one()
    assert event.changes["site_ids"] == [None, ", ".join(map(str, sorted([nantong.id, haimen.id])))]
    # The new account works at its sites' desk.
    desk = browser(app)
    password = created.get_data(as_text=True).split('<code class="new-password">')[1].split("</code>")[0]
    assert sign_in(desk, "sun", password).status_code == 303
    assert desk.get(f"/staff/sampling/sites/{haimen.id}/day").status_code == 200
    assert desk.get(f"/staff/sampling/sites/{rugao.id}/day").status_code == 404


def test_a_site_staff_account_without_a_site_is_refused_with_a_translated_error(app: Flask) -> None:
    create_site()
    client = _admin(app)

    for headers, words in ((ZH, "请至少选择一个采血点"), (EN, "Choose at least one sampling site for a site staff account")):
        refused = _create(client, {"username": "li", "role": "site_staff"}, headers=headers)
        assert refused.status_code == 400
        assert words in text_of(refused)
        assert 'href="#sites-0"' in refused.get_data(as_text=True)  # the error summary leads to the first box
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "li")) is None


def test_sites_ticked_for_another_role_are_refused_not_silently_dropped(app: Flask) -> None:
    site = create_site()
    client = _admin(app)

    refused = _create(client, {"username": "zhou", "role": "triage_officer", "sites": [str(site.id)]}, headers=EN)

    assert refused.status_code == 400
    assert "Sampling sites are for site staff only" in text_of(refused)
    assert _ticked(refused.get_data(as_text=True), site.id)  # kept as typed


def test_a_forged_site_role_or_working_group_gets_our_own_translated_message_with_what_was_typed_kept(
        app: Flask) -> None:
    site = create_site()
    client = _admin(app)
    for headers, words in ((EN, ("Tick only the sampling sites offered", "Choose one of the roles offered",
                                 "Choose one of the working groups offered")),
                           (ZH, ("只能勾选列出的采血点", "请从列出的角色中选择", "请从列出的工作专班中选择"))):
        forged_site = _create(client, {"username": "zheng", "role": "site_staff", "sites": [str(site.id), "9999"]},
                              headers=headers)
        forged_role = _create(client, {"username": "zheng", "role": "emperor"}, headers=headers)
        forged_group = _create(client, {"username": "zheng", "role": "triage_officer", "working_group": "9999"},
                               headers=headers)
        text_group = _create(client, {"username": "zheng", "role": "triage_officer", "working_group": "abc"},
                             headers=headers)
        for response, expected in zip((forged_site, forged_role, forged_group, text_group), (*words, words[2])):
            assert response.status_code == 400
            shown = text_of(response)
            assert expected in shown, expected
            assert "valid choice" not in shown and "有效的选择" not in shown and "coerce" not in shown
            assert 'value="zheng"' in response.get_data(as_text=True)
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "zheng")) is None


def test_a_site_staff_account_cannot_be_given_a_working_group(app: Flask) -> None:
    site = create_site()
    group = WorkingGroup(name="南通市公安局打拐专班")
    db.session.add(group)
    worker = create_staff(Role.SITE_STAFF, username="wu")
    worker.sites = [site]
    db.session.commit()
    client = _admin(app)
    for headers, words in ((EN, "Sampling site staff have no working group. Choose “None”, or another role."),
                           (ZH, "采血点工作人员不属于任何工作专班。请选择“无”，或改选其他角色。")):
        refused = _create(client, {"username": "rt-a9", "role": "site_staff", "sites": [str(site.id)],
                                   "working_group": str(group.id)}, headers=headers)
        assert refused.status_code == 400 and words in text_of(refused)
        token = csrf_token(client.get(f"/staff/accounts/{worker.id}").get_data(as_text=True))
        changed = client.post(f"/staff/accounts/{worker.id}/role", headers=headers, data={
            "csrf_token": token, "role": "site_staff", "working_group": str(group.id), "sites": [str(site.id)]})
        assert changed.status_code == 400 and words in text_of(changed)
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "rt-a9")) is None
    assert _account("wu").working_group_id is None


def test_an_admin_changes_a_site_staff_accounts_sites_on_its_page_and_it_is_audited(app: Flask) -> None:
    nantong, rugao = create_site(), create_site(name="如皋市公安局")
    worker = create_staff(Role.SITE_STAFF, username="wu")
    worker.sites = [nantong]
    db.session.commit()
    client = _admin(app)
    response, _page = get_page(client, f"/staff/accounts/{worker.id}", headers=EN)
    html = response.get_data(as_text=True)
    assert "Sampling sites" in text_of(response)
    token = csrf_token(html)

    moved = client.post(f"/staff/accounts/{worker.id}/role",
                        data={"csrf_token": token, "role": "site_staff", "working_group": "", "sites": [str(rugao.id)]})

    assert moved.status_code == 303
    assert [site.id for site in _account("wu").sites] == [rugao.id]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "change_account")).one()
    assert event.changes["site_ids"] == [str(nantong.id), str(rugao.id)]

    emptied = client.post(f"/staff/accounts/{worker.id}/role",
                          data={"csrf_token": token, "role": "site_staff", "working_group": ""}, headers=ZH)
    assert emptied.status_code == 400 and "请至少选择一个采血点" in text_of(emptied)
    assert [site.id for site in _account("wu").sites] == [rugao.id]

    # Another role: the sites are unticked with it, and the account keeps none.
    other = client.post(f"/staff/accounts/{worker.id}/role",
                        data={"csrf_token": token, "role": "supervisor", "working_group": ""})
    assert other.status_code == 303
    assert _account("wu").sites == [] and _account("wu").role == Role.SUPERVISOR


def test_the_account_page_shows_the_saved_role_and_sites_ticked(app: Flask) -> None:
    site = create_site()
    worker = create_staff(Role.SITE_STAFF, username="zheng")
    worker.sites = [site]
    db.session.commit()
    client = _admin(app)
    html = client.get(f"/staff/accounts/{worker.id}").get_data(as_text=True)
    role_select = html.split('name="role"')[1].split("</select>")[0]
    assert 'selected value="site_staff"' in role_select or 'value="site_staff" selected' in role_select
    assert _ticked(html, site.id)
    assert_valid_html(html, "account page")
    assert_valid_html(client.get("/staff/accounts").get_data(as_text=True), "accounts page")

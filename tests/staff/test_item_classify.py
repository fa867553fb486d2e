"""Staff set or correct an item's region and a tip's category on the item page, audited (issue 15)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, Channel, IntakeItem, RegionSource, TipCategory, WorkingGroup
from portal.core.permissions import Role
from portal.tips.service import recognise_region
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _client(app: Flask, role: Role, **account: object):  # type: ignore[no-untyped-def]
    user = create_staff(role)
    for name, value in account.items():
        setattr(user, name, value)
    db.session.commit()
    client = browser(app)
    sign_in(client, user.username)
    return user, client


def _post(client, url: str, data: dict, page_url: str):  # type: ignore[no-untyped-def]
    page = client.get(page_url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}, headers=EN)


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _item(reference: str) -> IntakeItem:
    db.session.expire_all()
    return db.session.scalars(select(IntakeItem).where(IntakeItem.reference == reference)).one()


@pytest.fixture
def haimen_sms(app: Flask) -> str:
    return create_tip(channel=Channel.SMS, description="海门汽车站边上停了辆白色面包车", place=None).reference


def test_the_item_page_says_the_region_was_recognised_and_offers_to_correct_it(app, haimen_sms):
    _user, client = _client(app, Role.TRIAGE_OFFICER)
    page, _ = get_page(client, f"/staff/items/{haimen_sms}", headers=EN)
    words = text_of(page)
    assert "江苏省南通市海门区 (320614), recognised in the tip's words; check it" in words
    assert "Change the region" in words and "Save what was seen" in words
    chinese, _ = get_page(client, f"/staff/items/{haimen_sms}", headers=ZH)
    assert "江苏省南通市海门区（320614），根据线索内容自动识别，请核实" in text_of(chinese)


def test_a_triage_officer_corrects_the_region_by_search_and_the_change_is_audited(app, haimen_sms):
    user, client = _client(app, Role.TRIAGE_OFFICER)
    page_url = f"/staff/items/{haimen_sms}/region?q=通州区"
    page, _ = get_page(client, page_url, headers=EN)
    assert "北京市通州区" in text_of(page) and "江苏省南通市通州区" in text_of(page)
    response = _post(client, page_url, {"region": "320612"}, page_url)
    assert response.status_code == 303
    item = _item(haimen_sms)
    assert item.region_code == "320612" and item.region_source == RegionSource.STAFF
    [event] = _events("change_region")
    assert event.actor_id == user.id and event.item_id == item.id
    assert event.fields == ["region_code"] and event.changes == {"region_code": ["320614", "320612"]}
    history, _ = get_page(client, f"/staff/items/{haimen_sms}", headers=EN)
    assert "Changed the region" in text_of(history) and "Region: 320614 → 320612" in text_of(history)
    # Recognition at intake never overrides staff's choice.
    recognise_region(item.tip, "")
    assert item.region_code == "320612"


def test_the_region_can_be_chosen_down_the_list_without_javascript(app, haimen_sms):
    _user, client = _client(app, Role.TRIAGE_OFFICER)
    provinces, _ = get_page(client, f"/staff/items/{haimen_sms}/region", headers=EN)
    assert "江苏省" in text_of(provinces) and f"/staff/items/{haimen_sms}/region?within=320000" in provinces.get_data(as_text=True)
    cities, _ = get_page(client, f"/staff/items/{haimen_sms}/region?within=320000", headers=EN)
    assert "南通市" in text_of(cities)
    districts, _ = get_page(client, f"/staff/items/{haimen_sms}/region?within=320600", headers=EN)
    assert "启东市" in text_of(districts) and "江苏省南通市" in text_of(districts)
    page_url = f"/staff/items/{haimen_sms}/region?within=320600"
    assert _post(client, page_url, {"region": "320681"}, page_url).status_code == 303
    assert _item(haimen_sms).region_code == "320681"
    assert _post(client, page_url, {"region": "unknown"}, page_url).status_code == 303
    assert _item(haimen_sms).region_code is None and _item(haimen_sms).region_source is None


def test_no_choice_or_a_forged_code_is_explained_and_the_search_kept(app, haimen_sms):
    _user, client = _client(app, Role.TRIAGE_OFFICER)
    page_url = f"/staff/items/{haimen_sms}/region?q=通州区"
    for data in ({}, {"region": "999999"}):
        response = _post(client, page_url, data, page_url)
        assert response.status_code == 400
        assert "Choose the region, or Not known" in text_of(response)
        assert 'value="通州区"' in response.get_data(as_text=True)
    assert _item(haimen_sms).region_code == "320614" and _events("change_region") == []


def test_a_triage_officer_corrects_what_was_seen_and_the_change_is_audited(app, haimen_sms):
    _user, client = _client(app, Role.TRIAGE_OFFICER)
    item_url = f"/staff/items/{haimen_sms}"
    response = _post(client, f"{item_url}/category", {"category": "abducted_or_trafficked"}, item_url)
    assert response.status_code == 303
    assert _item(haimen_sms).tip.category == TipCategory.ABDUCTED_OR_TRAFFICKED
    [event] = _events("change_category")
    assert event.fields == ["category"]
    assert event.changes == {"category": ["begging_or_exploited", "abducted_or_trafficked"]}
    history, _ = get_page(client, item_url, headers=EN)
    assert "Changed what was seen" in text_of(history)
    bad = _post(client, f"{item_url}/category", {"category": "aliens"}, item_url)
    assert bad.status_code == 400 and _item(haimen_sms).tip.category == TipCategory.ABDUCTED_OR_TRAFFICKED


def test_a_supervisor_may_not_correct_the_region_or_category(app, haimen_sms):
    _user, client = _client(app, Role.SUPERVISOR)
    item_url = f"/staff/items/{haimen_sms}"
    page, _ = get_page(client, item_url, headers=EN)
    assert "Change the region" not in text_of(page) and "Save what was seen" not in text_of(page)
    assert client.get(f"{item_url}/region").status_code == 403
    assert _post(client, f"{item_url}/region", {"region": "320612"}, item_url).status_code == 403
    assert _post(client, f"{item_url}/category", {"category": "other"}, item_url).status_code == 403
    assert _item(haimen_sms).region_code == "320614"
    assert _events("change_region") == [] and _events("change_category") == []


def test_a_group_member_corrects_only_items_of_their_group(app, haimen_sms):
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    _user, client = _client(app, Role.GROUP_MEMBER, working_group_id=group.id)
    url = f"/staff/items/{haimen_sms}/region"
    assert client.get(url).status_code == 404  # not their group's: as if it did not exist
    _item(haimen_sms).working_group_id = group.id
    db.session.commit()
    assert _post(client, url, {"region": "320612"}, url).status_code == 303
    assert _item(haimen_sms).region_code == "320612"


def test_after_staff_change_the_region_the_tipsters_section_no_longer_shows_it_as_the_tipsters(app):
    from portal.tips.service import TipDetails

    receipt = create_tip(channel=Channel.WEB, description="男孩在车站哭", details=TipDetails(region_code="320613"))
    _user, client = _client(app, Role.TRIAGE_OFFICER)
    page, _ = get_page(client, f"/staff/items/{receipt.reference}", headers=EN)
    assert "江苏省南通市崇川区 (320613)" in text_of(page).split("From the tipster", 1)[1]
    page_url = f"/staff/items/{receipt.reference}/region?q=通州区"
    assert _post(client, page_url, {"region": "320612"}, page_url).status_code == 303
    page, _ = get_page(client, f"/staff/items/{receipt.reference}", headers=EN)
    summary, tipster = text_of(page).split("From the tipster", 1)
    assert "江苏省南通市通州区 (320612), set by staff" in summary
    assert "320612" not in tipster.split("Questions to the tipster", 1)[0]

"""Duplicate suggestions on 30 realistic tips (tests/data/tips-duplicates.json, copied unchanged
from the data set written for issue 15): every tip of a set is among the top 3 suggestions of
each of its twins, no other tip is suggested for any tip, and a merge from a suggestion links
the two items in one step, audited.

The tips arrive through the real intake paths: web tips through `portal.tips.service.create_tip`
as the web journey calls it (the region as the tipster's region choice sets it), SMS tips as
signed webhook requests to the hotline (their text only, no region), each at its own time.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, Channel, IntakeItem, ItemLink, TipCategory
from portal.core.permissions import Role
from portal.staff.queue import visible_items_filter
from portal.tips.service import create_tip
from portal.core import place_names
from portal.triage.duplicates import (
    ages_agree, child_ages, child_comparison, child_described, score_candidates, suggested_duplicates, text_terms, threshold,
)
from tests.support.factories import create_staff
from tests.support.helpers import csrf_token, text_of
from tests.support.staff import browser, control_clock, sign_in
from tests.support.tips_dataset import DATASET_SETTINGS, duplicate_sets, load_dataset

@pytest.fixture
def app_settings() -> dict[str, object]:
    """The data set's settings (tests/support/tips_dataset.py: a Nantong deployment)."""
    return DATASET_SETTINGS


def test_each_tip_of_a_set_is_suggested_for_its_twins_and_no_other_tip_is(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    loaded = load_dataset(app, monkeypatch)
    sets = duplicate_sets()
    by_item = {item.id: name for name, item in loaded.items()}
    everyone = visible_items_filter(create_staff(Role.TRIAGE_OFFICER))
    wrong: list[str] = []
    for name, item in loaded.items():
        suggested = [by_item[s.item.id] for s in suggested_duplicates(item, everyone, limit=30)]
        twins = {other for other, group in sets.items() if group and group == sets[name] and other != name}
        missing = twins - set(suggested[:3])
        strangers = [other for other in suggested if other not in twins]
        if missing or strangers:
            wrong.append(f"{name}: suggested {suggested}, twins {sorted(twins)}")
    assert wrong == [], "\n".join(wrong)


def test_a_merge_from_a_suggestion_links_the_two_items_in_one_step(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    officer = create_staff(Role.TRIAGE_OFFICER)
    when = datetime(2026, 4, 9, 0, 0, tzinfo=timezone.utc)
    clock = control_clock(monkeypatch, when)
    van = create_tip(channel=Channel.SMS, category=TipCategory.OTHER,
                     description="海门汽车站边上停了辆白色面包车 车里好几个小孩 窗户贴了黑膜 看着不对劲")
    clock.advance(minutes=40)
    again = create_tip(channel=Channel.SMS, category=TipCategory.OTHER,
                       description="海门车站南边路口有辆白色金杯 车上三四个小孩 有个一直在拍窗户")
    clock.advance(days=2)
    create_tip(channel=Channel.WEB, category=TipCategory.OTHER, description="成都东站有个老人在地上要钱")
    db.session.commit()
    client = browser(app)
    assert sign_in(client, officer.username).status_code == 303
    page = client.get(f"/staff/items/{again.reference}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert van.reference in html and "白色面包车" in text_of(page) and "时间相近" in text_of(page)
    response = client.post(f"/staff/items/{again.reference}/link", data={
        "csrf_token": csrf_token(html), "other": van.reference, "merge": "merge"})
    assert response.status_code == 303
    db.session.expire_all()
    merged = db.session.get(IntakeItem, again.tip.item_id)
    assert (merged.status, merged.outcome, merged.merged_into_id) == ("closed", "duplicate", van.tip.item_id)
    assert db.session.scalar(select(ItemLink.id).where(ItemLink.item_id == van.tip.item_id,
                                                      ItemLink.other_item_id == again.tip.item_id)) is not None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.item_id == van.tip.item_id)))
    assert {"merge_item", "link_item", "view_suggestion"} <= actions


def test_suggestions_leave_out_items_the_viewer_may_not_see(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, datetime(2026, 4, 9, 0, 0, tzinfo=timezone.utc))
    first = create_tip(channel=Channel.SMS, category=TipCategory.OTHER, description="海门汽车站白色面包车里好几个小孩")
    second = create_tip(channel=Channel.SMS, category=TipCategory.OTHER, description="海门汽车站白色面包车 车上几个小孩")
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER)  # no working group: sees nothing
    assert suggested_duplicates(second.tip.item, visible_items_filter(member)) == []
    officer = create_staff(Role.TRIAGE_OFFICER)
    assert [s.item.id for s in suggested_duplicates(second.tip.item, visible_items_filter(officer))] == [first.tip.item_id]


def test_chinese_text_is_compared_by_character_pairs_and_english_by_words() -> None:
    assert text_terms("白色面包车") == {"白色", "色面", "面包", "包车"}
    assert text_terms("A boy at the ＳＴＡＴＩＯＮ") == {"boy", "station"}


def test_the_threshold_is_the_prior_odds_of_one_duplicate_among_the_window() -> None:
    assert threshold(29) == pytest.approx(3.3673, abs=1e-4)
    assert score_candidates.__doc__ and threshold(1) == threshold(2)


def test_the_child_described_is_its_sex_or_no_child_at_all() -> None:
    assert child_described("成都东站出站口那个男的又在逼小女孩跪起要钱") == {"f"}
    assert child_described("I saw a boy, maybe 6 or 7, with a man and a woman") == {"m"}
    assert child_described("车上三四个小孩 有个一直在拍窗户") == frozenset()
    assert child_described("海门汽车站门口有个老头天天在那要饭 腿脚好好的装瘸子") is None
    assert child_comparison(frozenset({"f"}), frozenset({"m"})) == "conflict"
    assert child_comparison(frozenset({"f"}), None) == "absent"
    assert child_comparison(frozenset(), frozenset({"m"})) == "compatible"


def test_child_ages_are_read_in_chinese_and_english_and_adults_ages_are_left_out() -> None:
    assert child_ages("女孩大概五六岁") == (5, 6)
    assert child_ages("最小的看着也就十三四岁") == (13, 14)
    assert child_ages("看着也就4岁左右。不远处有个男的，四十岁上下") == (4, 4)
    assert child_ages("About 3pm I saw a boy, maybe 6 or 7, with a couple") == (6, 7)
    assert child_ages("Boy abt 3 crying alone at gate B12") == (3, 3)
    assert child_ages("刚满月的男宝宝") is None
    assert ages_agree((4, 4), (5, 6)) is True
    assert ages_agree((3, 3), (7, 8)) is False


def test_place_names_are_taken_out_of_the_words_compared() -> None:
    # The place is weighed once, by the region comparison: two reports about different people at
    # one station must not look alike for naming the station.
    assert text_terms(place_names.blank_place_words("成都东站出站口有个残疾人")) == {"有个", "个残", "残疾", "疾人"}

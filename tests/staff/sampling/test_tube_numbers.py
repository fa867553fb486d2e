"""Tube numbers (issue 12) at the desk: one label, one person, across the whole deployment. The
desk's refusals in both languages with everything typed kept (a number already used, typed twice,
not the site's label format, a wrong check character), the database's last word when two saves
race, corrections afterwards with a reason, audited, and the sites' label format settings. The
pure rules are in tests/core/test_tube_labels.py; two desks at once on PostgreSQL in
test_tube_numbers_concurrency.py."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.iso7064 import mod_37_36

from portal.core.extensions import db
from portal.core.models import (
    Attendee,
    AuditEvent,
    ItemNote,
    OutboundMessage,
    RetiredTubeNumber,
    SamplingSite,
    utcnow,
)
from portal.core.permissions import Role
from portal.sampling import samples
from portal.sampling.notices import CHECKED_IN_PURPOSE
from portal.sampling.slots import local_day
from tests.support.factories import create_site, create_staff
from tests.support.helpers import csrf_token, get_page, post_form
from tests.support.staff import browser
from tests.support.tubes import (
    EN,
    ZH,
    box_value,
    checked_in_family,
    desk_staff,
    page_text,
    save_tubes,
    signed_in,
    today_slot,
)

NT_FORMAT = "NT{YYYYMMDD}-{NNN}"


def _stored(appointment) -> list[str | None]:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return [a.sample_tube_number for a in db.session.scalars(
        select(Attendee).where(Attendee.appointment_id == appointment.id).order_by(Attendee.id))]


def _labelled_site(**overrides) -> SamplingSite:  # type: ignore[no-untyped-def]
    site = create_site(**overrides)
    site.tube_label_format, site.tube_check_algorithm = NT_FORMAT, "mod_37_36"
    db.session.commit()
    return site


def _todays_example(site: SamplingSite) -> str:
    return samples.site_label_format(site).example(local_day(site, utcnow()))


def _with_check(body: str) -> str:
    """A label of the NT format with its MOD 37,36 check character, as printed (with the hyphen)."""
    return body + mod_37_36.calc_check_digit(body.replace("-", ""))


# ---- at the desk --------------------------------------------------------------------------

def test_the_model_stores_every_tube_number_in_its_compared_form(app):
    appointment = checked_in_family(today_slot(create_site()), people=1)
    attendee = appointment.attendees[0]
    attendee.sample_tube_number = "nt-2026 1207-001"
    db.session.commit()
    assert _stored(appointment) == ["NT20261207001"]


def test_a_second_desk_saving_a_tube_number_already_used_is_refused_naming_the_booking_and_keeping_what_was_typed(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    first, second = checked_in_family(slot, serial=1), checked_in_family(slot, serial=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, first, ["NT20261207-001", "NT20261207-002"]).status_code == 303

    held_by = first.item.reference
    for headers, words in ((EN, f"NT20261207001 is already the tube number of someone on booking {held_by}. "
                                "Check the label. If it is right, use a new tube."),
                           (ZH, f"采血管编号NT20261207001已用于预约{held_by}。"
                                "请核对标签；如标签无误，请换用新的采血管。")):
        refused = save_tubes(desk, second, ["nt20261207 001", "NT20261207-003"], headers=headers)
        assert refused.status_code == 200
        assert words in page_text(refused)
        ids = [a.id for a in second.attendees]
        assert (box_value(refused, ids[0]), box_value(refused, ids[1])) == ("nt20261207 001", "NT20261207-003")
        assert f'href="#tube-{ids[0]}"' in refused.get_data(as_text=True)  # the error summary links to the box
        assert page_text(refused).startswith(("Error:", "错误："))
    assert _stored(second) == [None, None]  # nothing of the refused form was saved
    assert _stored(first) == ["NT20261207001", "NT20261207002"]


def test_the_booking_holding_a_tube_number_is_named_only_to_staff_who_may_see_it(app):
    mine, theirs = create_site(), create_site(name="如皋市公安局", city="如皋市")
    desk_staff(mine)
    other = checked_in_family(today_slot(theirs), people=1, serial=7)
    other.attendees[0].sample_tube_number = "RG-0001"
    db.session.commit()
    family = checked_in_family(today_slot(mine), people=1, serial=8)
    desk = signed_in(browser(app), "desk")

    refused = save_tubes(desk, family, ["RG 0001"], headers=EN)
    assert "RG0001 is already the tube number of someone on another booking." in page_text(refused)
    assert other.item.reference not in refused.get_data(as_text=True)
    refused = save_tubes(desk, family, ["RG 0001"], headers=ZH)
    assert "采血管编号RG0001已用于另一个预约。" in page_text(refused)

    create_staff(Role.ADMIN, username="boss")  # an admin sees every booking, so is told which
    admin = signed_in(browser(app), "boss")
    assert other.item.reference in page_text(save_tubes(admin, family, ["RG 0001"], headers=EN))


def test_the_same_tube_number_typed_twice_in_one_familys_form_is_refused(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=3)
    desk = signed_in(browser(app), "desk")
    refused = save_tubes(desk, family, ["NT-7", "NT-8", "nt 7"], headers=EN)
    assert refused.status_code == 200
    assert "You typed NT7 for two people. Each person needs their own tube." in page_text(refused)
    assert [box_value(refused, a.id) for a in family.attendees] == ["NT-7", "NT-8", "nt 7"]
    zh = save_tubes(desk, family, ["NT-7", "NT-8", "nt 7"], headers=ZH)
    assert "您为两个人填写了同一个采血管编号NT7。每人须用各自的采血管。" in page_text(zh)
    assert _stored(family) == [None, None, None]


def test_a_saved_tube_number_cannot_be_saved_again_for_another_person_of_the_same_family(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-7", ""]).status_code == 303
    refused = save_tubes(desk, family, ["", "NT 7"], headers=EN)
    assert "NT7 is already the tube number of another person in this booking." in page_text(refused)
    assert box_value(refused, family.attendees[0].id) is None  # saved: shown, not a box to retype
    assert box_value(refused, family.attendees[1].id) == "NT 7"


def test_a_label_that_does_not_fit_the_sites_format_or_has_a_wrong_check_character_is_refused_in_english(app):
    _desk_refuses_labels_in(app, EN, {
        "mistyped": "{tube} does not match this site's tube labels. Type the tube number as printed, like {example}",
        "wrong check": "The check character of {tube} is wrong: a character was probably mistyped. "
                       "Check the label and type the tube number again.",
        "letters": "Type the tube number as printed on the label, in letters and digits.",
        "hint": "Like {example}",
    })


def test_a_label_that_does_not_fit_the_sites_format_or_has_a_wrong_check_character_is_refused_in_chinese(app):
    _desk_refuses_labels_in(app, ZH, {
        "mistyped": "采血管编号{tube}与本采血点的标签格式不符。请照标签填写，例如{example}",
        "wrong check": "采血管编号{tube}的校验位不对，可能有字符输错了。请核对标签后重新填写。",
        "letters": "请照标签填写采血管编号，只能包含字母和数字。",
        "hint": "例如{example}",
    })


def _desk_refuses_labels_in(app, headers: dict, words: dict) -> None:  # type: ignore[no-untyped-def]
    site = _labelled_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=3)
    desk = signed_in(browser(app), "desk")
    example = _todays_example(site)
    valid = _with_check("NT20261207-001")
    body, check = valid[:-1], valid[-1]
    wrong_check = body + ("0" if check != "0" else "1")
    ids = [a.id for a in family.attendees]

    page, _ = get_page(desk, f"/staff/sampling/appointments/{family.item.reference}", headers=headers)
    assert words["hint"].format(example=example) in page_text(page)  # the site's example is each box's hint

    typed = [valid, "NT2026127-001X", wrong_check]
    refused = save_tubes(desk, family, typed, headers=headers)
    text = page_text(refused)
    assert refused.status_code == 200
    assert words["mistyped"].format(tube="NT2026127001X", example=example) in text
    assert words["wrong check"].format(tube=wrong_check.replace("-", "")) in text
    assert [box_value(refused, attendee_id) for attendee_id in ids] == typed  # every box as typed
    assert _stored(family) == [None, None, None]

    refused = save_tubes(desk, family, [valid, "NT#20261207-002", ""], headers=headers)
    assert words["letters"] in page_text(refused)

    second = _with_check("NT20261207-002")
    assert save_tubes(desk, family, [valid.lower(), second, ""]).status_code == 303
    assert _stored(family) == [valid.replace("-", ""), second.replace("-", ""), None]


def test_a_site_without_a_label_format_accepts_any_label_of_letters_and_digits_still_unique(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    family, other = checked_in_family(slot, people=1, serial=1), checked_in_family(slot, people=1, serial=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["b 7"]).status_code == 303
    assert _stored(family) == ["B7"]
    assert save_tubes(desk, other, ["B-7"], headers=EN).status_code == 200


def test_a_save_that_loses_the_race_inside_the_database_gets_the_same_refusal(app, monkeypatch):
    """The desk's check passed (another desk had not committed yet) and the unique index refused
    the write: the IntegrityError is caught in a savepoint and becomes the same refusal."""
    site = create_site()
    slot = today_slot(site)
    first, second = checked_in_family(slot, people=1, serial=1), checked_in_family(slot, people=2, serial=2)
    samples.record_samples(first, {first.attendees[0].id: "NT-1"}, actor_id=None)  # type: ignore[arg-type]
    db.session.commit()

    real_in_use = samples._in_use
    calls: list[str] = []

    def check_missing_the_other_desk(tube, attendee):  # type: ignore[no-untyped-def]
        calls.append(tube)
        return None if len(calls) <= 2 else real_in_use(tube, attendee)  # the two desk checks see nothing

    monkeypatch.setattr(samples, "_in_use", check_missing_the_other_desk)
    ids = [a.id for a in second.attendees]
    with pytest.raises(samples.TubeNumbersRefused) as refused:
        samples.record_samples(second, {ids[0]: "NT-2", ids[1]: "nt 1"}, actor_id=None)  # type: ignore[arg-type]
    assert isinstance(refused.value.__cause__, IntegrityError)
    problem = refused.value.problems[ids[1]]
    assert isinstance(problem, samples.TubeNumberInUse) and problem.item_id == first.item_id
    assert list(refused.value.problems) == [ids[1]]
    db.session.rollback()
    assert _stored(second) == [None, None]  # "NT2" was not saved either: one form, one savepoint
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.item_id == second.item_id,
                                                       AuditEvent.action == "samples_recorded")).all() == []


# ---- corrections afterwards ---------------------------------------------------------------

def test_a_correction_needs_a_reason_and_is_audited_with_it_but_without_the_numbers(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-0001", "NT-0002"]).status_code == 303
    reference, second = family.item.reference, family.attendees[1]
    url = f"/staff/sampling/appointments/{reference}/tube-correction"

    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    token = csrf_token(page.get_data(as_text=True))
    no_reason = desk.post(url, data={"csrf_token": token, "attendee": str(second.id), "tube_number": "NT-0003",
                                     "reason": " "}, headers=EN)
    assert no_reason.status_code == 200 and "Enter why you are correcting the tube number" in page_text(no_reason)
    assert 'value="NT-0003"' in no_reason.get_data(as_text=True)  # what was typed is kept
    zh = desk.post(url, data={"csrf_token": token, "attendee": str(second.id), "tube_number": "NT-0003"}, headers=ZH)
    assert "请填写更正采血管编号的原因" in page_text(zh)
    taken = desk.post(url, data={"csrf_token": token, "attendee": str(second.id), "tube_number": "nt 0001",
                                 "reason": "贴错了标签"}, headers=EN)
    assert "NT0001 is already the tube number of another person in this booking." in page_text(taken)
    assert _stored(family) == ["NT0001", "NT0002"]

    done = desk.post(url, data={"csrf_token": token, "attendee": str(second.id), "tube_number": "NT-0003",
                                "reason": "贴错了标签，按实物改正"})
    assert done.status_code == 303
    assert _stored(family) == ["NT0001", "NT0003"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tube_number_corrected")).one()
    desk_id = db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "samples_recorded"))
    assert event.actor_id == desk_id and event.item_id == family.item_id and event.occurred_at is not None
    assert event.changes == {"attendee_id": [str(second.id), str(second.id)]}
    assert set(event.fields) == {"attendee_id", "note", "sample_tube_number"}
    assert "NT" not in json.dumps([event.fields, event.changes])  # no tube number in the audit log
    note = db.session.scalars(select(ItemNote).where(ItemNote.item_id == family.item_id)).one()
    assert "贴错了标签，按实物改正" in note.body and "NT0002" in note.body and "NT0003" in note.body

    create_staff(Role.ADMIN, username="boss")
    admin = signed_in(browser(app), "boss")
    log, _ = get_page(admin, f"/staff/audit?item={reference}", headers=EN)
    assert "Corrected a tube number" in page_text(log)
    assert f"Attendee (record number): {second.id}" in page_text(log)


def test_a_correction_checks_the_new_number_like_the_desk_and_a_removal_lets_the_desk_record_a_new_one(app):
    site = _labelled_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=1)
    desk = signed_in(browser(app), "desk")
    valid = _with_check("NT20261207-005")
    assert save_tubes(desk, family, [valid]).status_code == 303
    reference, person = family.item.reference, family.attendees[0]
    url = f"/staff/sampling/appointments/{reference}/tube-correction"
    data = {"attendee": str(person.id), "reason": "样本管破损，已重新采血"}

    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    token = csrf_token(page.get_data(as_text=True))
    mistyped = desk.post(url, data={"csrf_token": token, **data, "tube_number": valid[:-1] + "0"
                                    if valid[-1] != "0" else valid[:-1] + "1"}, headers=EN)
    assert "The check character of" in page_text(mistyped)
    removed = desk.post(url, data={"csrf_token": token, **data, "tube_number": ""})
    assert removed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Attendee, person.id).sample_tube_number is None
    assert db.session.get(Attendee, person.id).sample_taken_at is None
    again = _with_check("NT20261207-006")
    assert save_tubes(desk, family, [again]).status_code == 303
    assert _stored(family) == [again.replace("-", "")]


# ---- site administration ------------------------------------------------------------------

def test_an_admin_sets_a_sites_label_format_with_a_check_character_and_sees_an_example(app):
    site = create_site()
    create_staff(Role.ADMIN, username="boss")
    admin = signed_in(browser(app), "boss")
    url = f"/staff/sampling/sites/{site.id}/edit"
    form = {"name": site.name, "province": site.province, "city": site.city, "timezone": "Asia/Shanghai",
            "hours_mon": "09:00-17:00", "slot_minutes": "20", "places_per_slot": "3", "booking_horizon_days": "60",
            "minimum_notice_minutes": "60", "active": "y"}

    wrong = post_form(admin, url, {**form, "tube_label_format": "NT{YYYYMMDD}-{XXX}", "tube_check_algorithm": "",
                                   "accessibility_notes": "一楼有无障碍通道"}, headers=EN)
    assert wrong.status_code == 200
    assert "In braces use only {YYYY}, {YY}, {MM}, {DD}, {YYYYMMDD}, {YYMMDD}" in page_text(wrong)
    assert 'value="NT{YYYYMMDD}-{XXX}"' in wrong.get_data(as_text=True) and "一楼有无障碍通道" in page_text(wrong)
    wrong_zh = post_form(admin, url, {**form, "tube_label_format": "NT{YYYYMMDD}{NNN}",
                                      "tube_check_algorithm": "mod_11_2"}, headers=ZH)
    assert "ISO/IEC 7064 MOD 11-2只适用于纯数字" in page_text(wrong_zh)

    saved = post_form(admin, url, {**form, "tube_label_format": "nt{yyyymmdd}-{nnn}",
                                   "tube_check_algorithm": "mod_37_36"})
    assert saved.status_code == 303
    db.session.expire_all()
    stored = db.session.get(SamplingSite, site.id)
    assert (stored.tube_label_format, stored.tube_check_algorithm) == (NT_FORMAT, "mod_37_36")
    again, _ = get_page(admin, url, headers=EN)
    example = _todays_example(stored)
    assert f"A label in this format today: {example}" in page_text(again)
    zh, _ = get_page(admin, url, headers=ZH)
    assert f"按此格式，今天的标签示例：{example}" in page_text(zh)

    cleared = post_form(admin, url, {**form, "tube_label_format": "", "tube_check_algorithm": ""})
    assert cleared.status_code == 303
    db.session.expire_all()
    assert db.session.get(SamplingSite, site.id).tube_label_format is None


# ---- review findings ----------------------------------------------------------------------

def _sample_events_and_sms(appointment) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.item_id == appointment.item_id, AuditEvent.action == "samples_recorded"))
    sms = db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.item_id == appointment.item_id, OutboundMessage.purpose == CHECKED_IN_PURPOSE))
    return events, sms


def test_a_person_saved_by_another_desk_meanwhile_keeps_one_tube_and_the_second_save_is_told_which(app):
    """Sequentially (SQLite too): the second desk's page and check still see no number, its
    conditional write finds one and is refused naming it; one audit event, one SMS."""
    site = create_site()
    family = checked_in_family(today_slot(site), people=1)
    person = family.attendees[0].id
    assert family.attendees[0].sample_tube_number is None  # loaded before the other desk saves
    db.session.execute(update(Attendee).where(Attendee.id == person).values(sample_tube_number="NTA1")
                       .execution_options(synchronize_session=False))  # the other desk, behind this session's back
    with pytest.raises(samples.TubeNumbersRefused) as refused:
        samples.record_samples(family, {person: "NT-B2"}, actor_id=None)  # type: ignore[arg-type]
    problem = refused.value.problems[person]
    assert isinstance(problem, samples.TubeNumberAlreadyRecorded) and problem.tube == "NTA1"
    db.session.commit()
    assert _stored(family) == ["NTA1"]
    assert _sample_events_and_sms(family) == (0, 0)  # the refused save left neither


def test_a_tube_typed_on_an_old_page_for_a_person_who_already_has_one_is_refused_naming_it_and_nothing_is_saved(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    desk = signed_in(browser(app), "desk")
    reference, ids = family.item.reference, [a.id for a in family.attendees]
    old_page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    token = csrf_token(old_page.get_data(as_text=True))
    assert save_tubes(desk, family, ["NT-1", ""]).status_code == 303  # another desk, or this one earlier
    for headers, words in ((EN, "This person already has tube number NT1. To change it, use Correct the tube "
                                "number below."),
                           (ZH, "此人已登记采血管编号NT1。如需更改，请在下方“更正采血管编号”处更正。")):
        refused = desk.post(f"/staff/sampling/appointments/{reference}/samples", headers=headers,
                            data={"csrf_token": token, f"tube-{ids[0]}": "NT-9", f"tube-{ids[1]}": "NT-2"})
        assert refused.status_code == 200
        assert words in page_text(refused)
        assert (box_value(refused, ids[0]), box_value(refused, ids[1])) == ("NT-9", "NT-2")  # typed, kept
    assert _stored(family) == ["NT1", None]  # nothing of the refused form saved
    assert _sample_events_and_sms(family) == (1, 0)  # the second person's sample is still to come


def test_a_tube_number_corrected_away_or_removed_is_never_given_to_anyone_else(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    family, other = checked_in_family(slot, people=2, serial=1), checked_in_family(slot, people=2, serial=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-1", "NT-2"]).status_code == 303
    reference, ids = family.item.reference, [a.id for a in family.attendees]
    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    token = csrf_token(page.get_data(as_text=True))
    url = f"/staff/sampling/appointments/{reference}/tube-correction"
    assert desk.post(url, data={"csrf_token": token, "attendee": str(ids[0]), "tube_number": "NT-3",
                                "reason": "标签贴错"}).status_code == 303  # NT1 corrected away
    assert desk.post(url, data={"csrf_token": token, "attendee": str(ids[1]), "tube_number": "",
                                "reason": "样本未保留"}).status_code == 303  # NT2 removed
    assert set(db.session.scalars(select(RetiredTubeNumber.tube_number))) == {"NT1", "NT2"}

    for headers, words in ((EN, "NT1 was used before and then corrected or removed. A tube number is never used "
                                "twice. Use a new tube."),
                           (ZH, "采血管编号NT1曾经使用过，后来已更正或删除。采血管编号不能重复使用，请换用新的采血管。")):
        refused = save_tubes(desk, other, ["nt 1", "NT-4"], headers=headers)
        assert refused.status_code == 200 and words in page_text(refused)
    assert "NT2 was used before" in page_text(save_tubes(desk, family, ["", "NT-2"], headers=EN))
    corrected = desk.post(url, data={"csrf_token": token, "attendee": str(ids[0]), "tube_number": "NT 2",
                                     "reason": "x"}, headers=EN)
    assert "NT2 was used before" in page_text(corrected)
    assert _stored(other) == [None, None] and _stored(family) == ["NT3", None]
    db.session.add(RetiredTubeNumber(tube_number="NT1"))
    with pytest.raises(IntegrityError):  # the database keeps each retired number once
        db.session.flush()
    db.session.rollback()


def _site_form(site: SamplingSite, **fields: str) -> dict:
    return {"name": site.name, "province": site.province, "city": site.city, "timezone": "Asia/Shanghai",
            "hours_mon": "09:00-17:00", "slot_minutes": "20", "places_per_slot": "3", "booking_horizon_days": "60",
            "minimum_notice_minutes": "60", "active": "y", **fields}


def test_a_site_cannot_take_a_label_format_that_gives_the_same_labels_as_another_sites(app):
    _labelled_site()  # NT{YYYYMMDD}-{NNN}, MOD 37,36
    second = create_site(name="如皋市公安局", city="如皋市")
    create_staff(Role.ADMIN, username="boss")
    admin = signed_in(browser(app), "boss")
    url = f"/staff/sampling/sites/{second.id}/edit"
    for headers, words in ((EN, "南通市公安局 already uses this label format. Labels must differ between sites: start "
                                "this site's format with letters of its own, a site prefix."),
                           (ZH, "南通市公安局已在使用这个标签格式。各采血点的标签不能相同：请在本采血点的格式开头加上本点专用的字母，"
                                "作为采血点前缀。")):
        refused = post_form(admin, url, _site_form(second, tube_label_format="nt {yyyy}{mm}{dd} {nnn}",
                                                   tube_check_algorithm=""), headers=headers)
        assert refused.status_code == 200 and words in page_text(refused)
        assert 'value="nt {yyyy}{mm}{dd} {nnn}"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SamplingSite, second.id).tube_label_format is None
    saved = post_form(admin, url, _site_form(second, tube_label_format="RG{YYYYMMDD}-{NNN}", tube_check_algorithm=""))
    assert saved.status_code == 303


def test_a_check_character_without_a_label_format_is_refused_on_the_site_form_with_what_was_typed_kept(app):
    site = _labelled_site()
    create_staff(Role.ADMIN, username="boss")
    admin = signed_in(browser(app), "boss")
    url = f"/staff/sampling/sites/{site.id}/edit"
    for headers, words in ((EN, "Enter a label format to use a check character"), (ZH, None)):
        refused = post_form(admin, url, _site_form(site, tube_label_format="", tube_check_algorithm="mod_37_36",
                                                   accessibility_notes="一楼有无障碍通道"), headers=headers)
        assert refused.status_code == 200
        if words:
            assert words in page_text(refused)
        else:
            assert "Enter a label format to use a check character" not in page_text(refused)
        assert "一楼有无障碍通道" in page_text(refused)
        # The saved format's example stays on the page after an error.
        assert _todays_example(site) in page_text(refused)
    other_error = post_form(admin, url, _site_form(site, tube_label_format="NT{YYMMDD}-{NNNN}",
                                                   tube_check_algorithm="", slot_minutes="1"), headers=EN)
    assert "A label in this format today: NT" in page_text(other_error)  # the typed format's example
    page, _ = get_page(admin, url, headers=EN)
    assert "Spaces, hyphens, /, . and _ are shown but not checked." in page_text(page)


def test_an_empty_samples_form_asks_for_a_tube_number_and_the_count_is_said_in_the_singular_or_plural(app):
    site = create_site()
    desk_staff(site)
    slot = today_slot(site)
    family, other = checked_in_family(slot, people=2, serial=1), checked_in_family(slot, people=2, serial=2)
    desk = signed_in(browser(app), "desk")
    for headers, words in ((EN, "Enter the tube number of at least one person"), (ZH, "请至少填写一个人的采血管编号")):
        empty = save_tubes(desk, family, ["", " "], headers=headers)
        assert empty.status_code == 200 and words in page_text(empty)
        assert "0 samples recorded" not in page_text(empty)
    one = save_tubes(desk, family, ["NT-1", ""], headers=EN)
    assert "1 sample recorded." in page_text(desk.get(one.headers["Location"], headers=EN))
    two = save_tubes(desk, other, ["NT-2", "NT-3"], headers=ZH)
    assert "已登记2份血样。" in page_text(desk.get(two.headers["Location"], headers=ZH))
    assert _sample_events_and_sms(family) == (1, 0)  # one of two sampled: the visit is not done
    assert _sample_events_and_sms(other) == (1, 1)


def test_switching_language_on_a_refused_samples_page_returns_to_the_bookings_desk_page(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=1)
    desk = signed_in(browser(app), "desk")
    refused = save_tubes(desk, family, ["NT#1"], headers=EN)
    desk_page = f"/staff/sampling/appointments/{family.item.reference}"
    links = re.findall(r'href="(/language/zh[^"]*)"', refused.get_data(as_text=True))
    assert links == [f"/language/zh?next={desk_page}"], links
    answer = desk.get(f"/language/zh?next={desk_page}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(desk_page)
    assert desk.get(answer.headers["Location"]).status_code == 200


def test_the_correction_form_preselects_nobody_and_requires_a_person(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=2)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-1", "NT-2"]).status_code == 303
    reference = family.item.reference
    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>', page.get_data(as_text=True).split('name="attendee"')[1]
                         .split("</select>")[0])
    assert options[0] == "" and "selected" not in page.get_data(as_text=True).split('name="attendee"')[1] \
        .split("</select>")[0]
    refused = desk.post(f"/staff/sampling/appointments/{reference}/tube-correction", headers=EN, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "attendee": "", "tube_number": "NT-5",
        "reason": "标签贴错"})
    assert refused.status_code == 200 and "Choose the person" in page_text(refused)
    assert _stored(family) == ["NT1", "NT2"]


def test_a_correction_reason_of_500_characters_is_accepted_and_a_longer_one_is_refused_saying_so(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=1)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-1"]).status_code == 303
    reference, person = family.item.reference, family.attendees[0].id
    page, _ = get_page(desk, f"/staff/sampling/appointments/{reference}", headers=EN)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "attendee": str(person)}
    url = f"/staff/sampling/appointments/{reference}/tube-correction"
    too_long = desk.post(url, data={**data, "tube_number": "NT-2", "reason": "原" * 501}, headers=EN)
    assert "Write the reason in 500 characters or fewer" in page_text(too_long)
    assert "原因请不超过500字" in page_text(desk.post(url, data={**data, "tube_number": "NT-2", "reason": "原" * 501},
                                               headers=ZH))
    assert desk.post(url, data={**data, "tube_number": "NT-2", "reason": "原" * 500}).status_code == 303


def test_a_correction_of_a_number_changed_meanwhile_by_another_desk_is_refused_naming_the_number_now_saved(app):
    site = create_site()
    desk_staff(site)
    family = checked_in_family(today_slot(site), people=1)
    desk = signed_in(browser(app), "desk")
    assert save_tubes(desk, family, ["NT-OLD-1"]).status_code == 303
    person = db.session.get(Attendee, family.attendees[0].id)
    assert person.sample_tube_number == "NTOLD1"
    # Another desk's correction commits between this desk reading the person and writing.
    db.session.execute(update(Attendee).where(Attendee.id == person.id).values(sample_tube_number="NTOTHER2")
                       .execution_options(synchronize_session=False))
    with pytest.raises(samples.TubeNumbersRefused) as refused:
        samples.correct_tube_number(person, "NT-MINE-3", "label misread", actor_id=1)
    problem = refused.value.problems[person.id]
    assert isinstance(problem, samples.TubeNumberAlreadyRecorded)
    assert problem.tube == "NTOTHER2"
    db.session.rollback()
    assert db.session.scalar(select(Attendee.sample_tube_number).where(Attendee.id == person.id)) == "NTOLD1"
    assert db.session.scalar(select(func.count()).select_from(RetiredTubeNumber)) == 0

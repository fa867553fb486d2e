"""Dashboard, monthly report and CSV export agree; exports are safe in spreadsheets and
audited; the audit log is append-only and filterable; retention erases and keeps the figures;
admins manage accounts but never lose the last admin."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import AuditEvent, Channel, IntakeItem, ItemNote, StaffUser, Tip, TipFeedback, WorkingGroup
from portal.core.permissions import Role
from portal.core.csv_export import safe_cell
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import csrf_token, get_page, text_of
from tests.support.staff import browser, control_clock, sign_in

NOW = datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc)  # Friday 20 March 2026, 12:00 in Shanghai
EN = {"Accept-Language": "en"}


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _tip(received: datetime, *, channel: Channel = Channel.WEB, group: WorkingGroup | None = None,
         closed: datetime | None = None, outcome: str | None = None, answered: datetime | None = None) -> IntakeItem:
    """A tip received at `received`; closed at `closed`, and the tipster given final feedback
    at `answered` (what "answered in time" counts: portal.triage.deadlines)."""
    receipt = create_tip(channel=channel)
    item = receipt.tip.item
    if answered is not None:
        db.session.add(TipFeedback(tip_id=receipt.tip.id, kind="handled", final=True, text_zh="核查完毕",
                                   text_en="Checked", given_at=answered))
    item.received_at, item.feedback_due_at = received, received + timedelta(days=7)
    item.working_group_id = group.id if group else None
    if closed:
        item.status, item.closed_at, item.outcome = "closed", closed, outcome
    db.session.commit()
    return item


def _table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_dashboard_report_and_export_agree_on_the_same_data(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, NOW)
    first, second = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([first, second])
    db.session.commit()
    march = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
    _tip(march, group=first, closed=march + timedelta(days=3), outcome="confirmed_lead", answered=march + timedelta(days=3))  # met
    _tip(march + timedelta(days=1), channel=Channel.SMS, group=first, closed=march + timedelta(days=10),
         outcome="not_substantiated", answered=march + timedelta(days=10))  # answered late
    _tip(march + timedelta(days=2), group=second)  # open, due 11 March: missed
    _tip(march + timedelta(days=15), channel=Channel.SMS)  # open, not yet due, no group
    _tip(datetime(2026, 2, 10, 2, 0, tzinfo=timezone.utc), group=second, closed=datetime(2026, 2, 12, tzinfo=timezone.utc),
         outcome="not_substantiated", answered=datetime(2026, 2, 12, tzinfo=timezone.utc))  # February
    # Neither met nor missed, however late: spam is not a lead.
    _tip(march + timedelta(days=3), group=first, closed=march + timedelta(days=12), outcome="spam")
    user = create_staff(Role.SUPERVISOR)
    client = browser(app)
    sign_in(client, user.username)

    report = {row["Unit"]: row for row in _csv(client.get("/staff/report.csv?month=2026-03", headers=EN))}
    assert report["第一专班"]["Received"] == "3" and report["第二专班"]["Received"] == "1"
    received_march = sum(int(r["Received"]) for r in report.values() if r["Kind of unit"] != "Sampling site")
    met = sum(int(r["Verified within the deadline"]) for r in report.values())
    missed = sum(int(r["Deadline missed"]) for r in report.values())
    closed_spam = sum(int(r["Closed: Spam"]) for r in report.values())

    export = _csv(client.get("/staff/queue.csv?status=all&received_from=2026-03-01&received_to=2026-03-31", headers=EN))
    assert len(export) == received_march == 5
    assert sum(1 for row in export if row["Outcome"] == "Spam") == closed_spam == 1
    assert sum(1 for row in export if row["Working group"] == "第一专班") == 3

    html = client.get("/staff/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    intake = _table(html, "table-intake")
    march_days = [row for row in intake if "3月" in row[0] or "March" in row[0]]
    assert sum(int(row[-1]) for row in march_days) == received_march
    deadlines = {row[0]: row[1:] for row in _table(html, "table-deadlines")}
    assert deadlines["2026-03"] == [str(met), str(missed)] == ["1", "2"]
    assert deadlines["2026-02"] == ["1", "0"]
    open_rows = {row[0]: int(row[1]) for row in _table(html, "table-open")}
    assert sum(open_rows.values()) == sum(1 for row in export if row["Closed at"] == "")
    # The report page shows the CSV's numbers.
    page = client.get("/staff/report?month=2026-03").get_data(as_text=True)
    rows = {r[0]: r[1:] for r in _table(page, "report-table")}
    assert rows["第一专班"][:3] == [report["第一专班"]["Received"], report["第一专班"]["Verified within the deadline"],
                                   report["第一专班"]["Deadline missed"]]
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert actions.count("export_report") == 1 and actions.count("export_queue") == 1


def test_the_report_counts_samples_per_person_whose_tube_was_recorded(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from portal.core.models import Attendee
    from tests.support.factories import create_site, create_slot
    from tests.support.staff import create_appointment

    control_clock(monkeypatch, NOW)
    site = create_site(name="南通市公安局")
    slot = create_slot(site, starts_at=datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc), capacity=3)
    item = create_appointment(slot)
    appointment = item.appointment
    appointment.status = "checked_in"
    appointment.attendees.append(Attendee(name="王五", relationship_to_missing="father", id_number="110105194912310037"))
    db.session.flush()
    for attendee, tube in zip(appointment.attendees, ("NT-0001", "NT-0002")):
        attendee.sample_tube_number, attendee.sample_taken_at = tube, NOW - timedelta(days=10)
    other = create_appointment(slot, attendee_id_number="110105194912310053")
    other.appointment.status = "booked"  # not come yet: booked, no sample
    db.session.commit()
    client = browser(app)
    sign_in(client, create_staff(Role.SUPERVISOR).username)
    report = {row["Unit"]: row for row in _csv(client.get("/staff/report.csv?month=2026-03", headers=EN))}
    assert (report["南通市公安局"]["Bookings"], report["南通市公安局"]["Samples taken"]) == ("2", "2")  # one party of two sampled, one still to come


def test_dashboard_draws_svg_charts_with_titles(app: Flask) -> None:
    create_tip()
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    sign_in(client, user.username)
    response, _page = get_page(client, "/staff/dashboard")
    html = response.get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4
    assert html.count('role="img"') >= 4 and "<title id=\"chart-intake-title\">" in html
    # The charts need no script: the only one is every staff page's live urgent alerts.
    assert "<script" not in html.replace('<script src="/static/js/urgent-alerts.js" defer></script>', "")


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("第一专班") == "第一专班"


def test_queue_export_neutralises_a_formula_in_a_group_name(app: Flask) -> None:
    group = WorkingGroup(name="=cmd|'/c calc'!A1")
    db.session.add(group)
    db.session.commit()
    item = create_tip().tip.item
    item.working_group_id = group.id
    db.session.commit()
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    sign_in(client, user.username)
    [row] = _csv(client.get("/staff/queue.csv", headers=EN))
    assert row["Working group"] == "'=cmd|'/c calc'!A1"
    assert "张三" not in client.get("/staff/queue.csv").get_data(as_text=True)


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(app: Flask) -> None:
    event = audit.record("login", actor_id=None)
    db.session.commit()
    event.action = "logout"
    with pytest.raises(audit.AuditIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(audit.AuditIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(audit.AuditIsAppendOnly):
        db.session.execute(update(AuditEvent).values(action="x"))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "login"


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent / "portal"
    pattern = re.compile(r"(update|delete)\(\s*AuditEvent|AuditEvent\.__table__\.(update|delete)|(UPDATE|DELETE FROM)\s+audit_event")
    offenders = [str(p) for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_audit_log_can_be_filtered_by_action_account_and_item(app: Flask) -> None:
    officer = create_staff(Role.TRIAGE_OFFICER)
    receipt = create_tip()
    client = browser(app)
    sign_in(client, officer.username)
    client.get(f"/staff/items/{receipt.reference}")
    admin = create_staff(Role.ADMIN)
    reader = browser(app)
    sign_in(reader, admin.username)
    response, _page = get_page(reader, f"/staff/audit?action=view_item&who={officer.username}&item={receipt.reference}")
    rows = _table(response.get_data(as_text=True), "audit-table")
    assert len(rows) == 1 and rows[0][1] == officer.username and rows[0][3] == receipt.reference
    logins = _table(get_page(reader, "/staff/audit?action=login")[0].get_data(as_text=True), "audit-table")
    assert {row[1] for row in logins} == {officer.username, admin.username}


def test_retention_erases_personal_details_of_old_spam_and_keeps_the_figures(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, NOW)
    old = NOW - timedelta(days=100)
    spam = _tip(old, closed=old + timedelta(days=1), outcome="spam")
    kept = _tip(old, closed=old + timedelta(days=1), outcome="confirmed_lead")
    recent = _tip(NOW - timedelta(days=10), closed=NOW - timedelta(days=5), outcome="not_substantiated")
    for item in (spam, kept, recent):
        item.tip.contact_name, item.tip.contact_phone = "张三", "+8613800138000"
        db.session.add(ItemNote(item_id=item.id, body="举报人是张三"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["retention", "--days", "90"])
    assert result.exit_code == 0 and "1 item(s)" in result.output
    db.session.expire_all()
    erased = db.session.get(IntakeItem, spam.id)
    assert erased.tip.description == "" and erased.tip.contact_name is None and erased.tip.contact_phone is None
    assert erased.personal_data_erased_at is not None and (erased.status, erased.outcome) == ("closed", "spam")
    assert db.session.scalar(select(ItemNote.body).where(ItemNote.item_id == spam.id)) is None
    for untouched in (kept, recent):
        assert db.session.get(Tip, untouched.tip.id).contact_name == "张三"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase_personal_data"))
    assert event.item_id == spam.id and event.actor_kind == "system" and "张三" not in repr(event.changes)
    # Running again erases nothing more.
    assert "0 item(s)" in app.test_cli_runner().invoke(args=["retention", "--days", "90"]).output


def test_retention_also_erases_the_child_adults_vehicle_answers_and_photos_of_a_web_tip(app: Flask, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from portal.core.models import TipFollowUp, TipPhoto, TipQuestion

    control_clock(monkeypatch, NOW)
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], tip_photo_dir=str(tmp_path))
    old = NOW - timedelta(days=100)
    spam = _tip(old, closed=old + timedelta(days=1), outcome="not_substantiated")
    tip = spam.tip
    tip.child_clothing, tip.adults_description, tip.vehicle_plate = "红色外套", "两名男子", "苏F12345"
    question = TipQuestion(tip_id=tip.id, text="车是什么颜色？")
    db.session.add(question)
    db.session.flush()
    answer = TipFollowUp(tip_id=tip.id, question_id=question.id, text="白色，我叫张三")
    db.session.add(answer)
    db.session.flush()
    photo_files = []
    for n, (tip_id, follow_up_id) in enumerate(((tip.id, None), (None, answer.id))):
        name = f"{n:032x}.jpg"
        (tmp_path / name).write_bytes(b"\xff\xd8 not really")
        photo_files.append(tmp_path / name)
        db.session.add(TipPhoto(tip_id=tip_id, follow_up_id=follow_up_id, stored_name=name, width=1, height=1, byte_size=10))
    db.session.commit()

    assert "1 item(s)" in app.test_cli_runner().invoke(args=["retention", "--days", "90"]).output
    db.session.expire_all()
    erased = db.session.get(Tip, tip.id)
    assert (erased.child_clothing, erased.adults_description, erased.vehicle_plate) == (None, None, None)
    assert db.session.scalar(select(TipFollowUp.text).where(TipFollowUp.id == answer.id)) is None
    assert db.session.scalar(select(TipQuestion.text).where(TipQuestion.id == question.id)) == ""
    assert db.session.scalars(select(TipPhoto)).all() == [] and not any(f.exists() for f in photo_files)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase_personal_data"))
    assert {"vehicle_plate", "photos", "tipster_answers"} <= set(event.fields)


def test_admin_creates_switches_off_and_resets_accounts_but_keeps_the_last_admin(app: Flask) -> None:
    admin = create_staff(Role.ADMIN)
    client = browser(app)
    sign_in(client, admin.username)
    page = client.get("/staff/accounts")
    created = client.post("/staff/accounts", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                   "username": "zhou", "role": "triage_officer", "working_group": ""})
    assert created.status_code == 200
    password = re.search(r'<code class="new-password">([^<]+)</code>', created.get_data(as_text=True)).group(1)
    newcomer = browser(app)
    assert sign_in(newcomer, "zhou", password).status_code == 303  # enrolled at first sign-in
    zhou = db.session.scalar(select(StaffUser).where(StaffUser.username == "zhou"))
    token = csrf_token(client.get(f"/staff/accounts/{zhou.id}").get_data(as_text=True))
    reset = client.post(f"/staff/accounts/{zhou.id}/reset", data={"csrf_token": token})
    new_password = re.search(r'<code class="new-password">([^<]+)</code>', reset.get_data(as_text=True)).group(1)
    assert newcomer.get("/staff/queue").status_code == 302  # the reset ended its session
    db.session.expire_all()
    assert db.session.get(StaffUser, zhou.id).totp_enrolled_at is None
    assert sign_in(browser(app), "zhou", password).status_code == 400
    assert client.post(f"/staff/accounts/{zhou.id}/active", data={"csrf_token": token}).status_code == 303
    assert sign_in(browser(app), "zhou", new_password).status_code == 400  # switched off
    # The only admin cannot switch itself off or stop being admin.
    assert client.post(f"/staff/accounts/{admin.id}/active", data={"csrf_token": token}).status_code == 409
    demote = client.post(f"/staff/accounts/{admin.id}/role", data={"csrf_token": token, "role": "supervisor"},
                         headers={"Accept-Language": "en"})
    assert demote.status_code == 409 and "last active admin" in text_of(demote)
    db.session.expire_all()
    assert db.session.get(StaffUser, admin.id).role == "admin" and db.session.get(StaffUser, admin.id).active


def test_chart_labels_are_large_for_the_drawing_and_never_overlap_so_they_read_on_a_phone() -> None:
    import re as _re

    from portal.staff.charts import WIDTH, bar_chart, text_width

    months = [f"2026年{m}月" for m in range(1, 13)]
    svg = str(bar_chart("c", "Bookings", months, [("已预约", list(range(12))), ("已到场", list(range(12)))]))
    width = int(_re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    sizes = {int(size) for size in _re.findall(r'font-size="(\d+)"', svg)}
    # Shown about 330px wide on a 360px phone, the smallest text is still at least 12px.
    assert min(sizes) * 330 / width >= 12
    labels = [(float(x), text) for x, text in _re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle"[^>]*>([^<]+)<', svg)]
    assert labels and labels[-1][1] == "2026年12月"  # the latest is always labelled
    for (x1, t1), (x2, t2) in zip(labels, labels[1:]):
        assert x2 - x1 >= (text_width(t1) + text_width(t2)) / 2, (t1, t2)
    assert all(text_width(t) / 2 <= x <= WIDTH - text_width(t) / 2 for x, t in labels)

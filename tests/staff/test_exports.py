"""The queue and monthly-report exports: a workbook (.xlsx) that holds what the CSV holds, headers
in the staff member's language, ISO 8601 times with the site's offset, the region, category,
owner and deadline columns, formula-safe cells in both formats, audited with their format."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.csv_export import XLSX_MIMETYPE, xlsx_bytes
from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemStatus, TipCategory, WorkingGroup
from portal.core.permissions import Role
from tests.support.factories import create_staff, create_tip
from tests.support.staff import browser, control_clock, sign_in

NOW = datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc)  # Friday 20 March 2026, 12:00 in Shanghai
EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-CN"}
ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


def _csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _xlsx_rows(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def _queue(app: Flask, monkeypatch) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    """Two tips, one filed under Haimen district with a working group and an owner; a signed-in
    triage officer's client and the owner's username."""
    control_clock(monkeypatch, NOW)
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    owner = create_staff(Role.GROUP_MEMBER, username="wang", working_group_id=group.id)
    item = create_tip(category=TipCategory.ABDUCTED_OR_TRAFFICKED, contact_phone="13800138000").tip.item
    item.region_code, item.working_group_id, item.assigned_to_id = "320614", group.id, owner.id
    item.received_at = datetime(2026, 3, 12, 6, 5, tzinfo=timezone.utc)
    item.feedback_due_at = item.received_at + timedelta(days=7)  # 19 March: overdue on the 20th
    create_tip()
    db.session.commit()
    client = browser(app)
    sign_in(client, create_staff(Role.TRIAGE_OFFICER).username)
    return client, owner.username


def test_the_workbook_holds_the_same_rows_and_columns_as_the_csv_with_iso_dates(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, owner = _queue(app, monkeypatch)
    as_csv = _csv_rows(client.get("/staff/queue.csv?status=all", headers=EN))
    as_xlsx = _xlsx_rows(client.get("/staff/queue.xlsx?status=all", headers=EN))
    assert as_xlsx == as_csv and len(as_csv) == 3
    header, *rows = as_csv
    assert header == ["Reference number", "Case file number", "Kind", "What was seen", "Channel", "Status", "Outcome",
                      "Priority", "Region", "Region code", "Working group", "Officer responsible", "Time received",
                      "Feedback deadline", "Overdue", "Closed at"]
    filed = next(dict(zip(header, row)) for row in rows if row[header.index("Region code")])
    assert filed["Region"] == "江苏省南通市海门区" and filed["Region code"] == "320614"
    assert filed["What was seen"] == "A child who may have been abducted or trafficked"
    assert (filed["Working group"], filed["Officer responsible"]) == ("第一专班", owner)
    assert filed["Time received"] == "2026-03-12T14:05:00+08:00"
    assert filed["Feedback deadline"] == "2026-03-19T14:05:00+08:00" and filed["Overdue"] == "Yes"
    for row in rows:
        assert ISO_LOCAL.match(row[header.index("Time received")])
        assert row[header.index("Closed at")] == ""
    # No personal data: neither the tip's words, its place nor its contact.
    text = repr(as_csv)
    assert "成都火车站" not in text and "13800138000" not in text and "小孩" not in text


def test_export_headers_are_in_the_staff_members_language(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    for path in ("/staff/queue.csv", "/staff/queue.xlsx"):
        read = _csv_rows if path.endswith(".csv") else _xlsx_rows
        chinese = read(client.get(path, headers=ZH))[0]
        english = read(client.get(path, headers=EN))[0]
        assert chinese[:3] == ["受理编号", "档案号", "类型"] and "反馈时限" in chinese and "负责民警" in chinese
        assert english[:3] == ["Reference number", "Case file number", "Kind"]
    report_zh = _csv_rows(client.get("/staff/report.csv?month=2026-03", headers=ZH))[0]
    report_en = _xlsx_rows(client.get("/staff/report.xlsx?month=2026-03", headers=EN))[0]
    assert report_zh[0] == "单位" and report_en[:3] == ["Unit", "Kind of unit", "Received"]


def test_the_received_time_header_is_the_item_pages_term_in_both_languages(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    item = db.session.scalars(select(IntakeItem).where(IntakeItem.region_code == "320614")).one()
    for headers, term in ((ZH, "收到时间"), (EN, "Time received")):
        header = _csv_rows(client.get("/staff/queue.csv", headers=headers))[0]
        assert term in header and "受理时间" not in header and "Received at" not in header
        assert term in client.get(f"/staff/items/{item.reference}", headers=headers).get_data(as_text=True)


def test_overdue_is_yes_or_no_for_every_open_item_and_blank_for_a_closed_one(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    closed = create_tip().tip.item
    closed.status, closed.closed_at = ItemStatus.CLOSED, NOW
    db.session.commit()
    for headers, yes, no in ((ZH, "是", "否"), (EN, "Yes", "No")):
        header, *rows = _csv_rows(client.get("/staff/queue.csv?status=all", headers=headers))
        overdue = {row[0]: row[header.index(header[14])] for row in rows}
        assert header[14] in ("已超期", "Overdue")
        assert overdue.pop(closed.reference) == ""
        assert sorted(overdue.values()) == sorted([yes, no])


def test_export_file_names_carry_the_exports_local_date(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, datetime(2026, 12, 7, 17, 0, tzinfo=timezone.utc))  # 8 December, 01:00 in Shanghai
    client = browser(app)
    sign_in(client, create_staff(Role.TRIAGE_OFFICER).username)
    for extension in ("csv", "xlsx"):
        response = client.get(f"/staff/queue.{extension}", headers=ZH)
        assert response.headers["Content-Disposition"] == f'attachment; filename="queue-2026-12-08.{extension}"'


def test_a_formula_in_a_cell_is_neutralised_in_the_csv_and_in_the_workbook(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    group = db.session.scalar(select(WorkingGroup))
    group.name = '=HYPERLINK("http://evil.example","x")'
    db.session.commit()
    as_csv = _csv_rows(client.get("/staff/queue.csv", headers=EN))
    response = client.get("/staff/queue.xlsx", headers=EN)
    column = as_csv[0].index("Working group")
    assert [row[column] for row in as_csv[1:]] == ["'" + group.name, ""]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert cells[0].value == "'" + group.name and cells[0].data_type == "s"  # text, never a formula
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_the_workbook_never_writes_text_as_a_formula_and_keeps_numbers_as_numbers() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(["A", "B"], [["=1+1", 3], ["-2", "ok\x00"]], sheet_title="队列")))
    sheet = book.active
    assert sheet.title == "队列" and sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row] == [
        ("'=1+1", "s"), (3, "n"), ("'-2", "s"), ("ok", "s")]


def test_the_monthly_report_workbook_holds_the_csvs_figures_as_numbers(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    as_csv = _csv_rows(client.get("/staff/report.csv?month=2026-03", headers=EN))
    as_xlsx = _xlsx_rows(client.get("/staff/report.xlsx?month=2026-03", headers=EN))
    assert [[str(cell) for cell in row] for row in as_xlsx] == as_csv
    row = next(r for r in as_xlsx if r[0] == "第一专班")
    assert row[1] == "Working group" and row[2] == 1  # received in March, as a number


def test_each_export_is_audited_with_its_format_and_row_count(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    client.get("/staff/queue.csv")
    client.get("/staff/queue.xlsx?status=all")
    client.get("/staff/report.xlsx")
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export_%")).order_by(AuditEvent.id)))
    assert [(e.action, e.changes["file_format"][1]) for e in events] == [
        ("export_queue", "csv"), ("export_queue", "xlsx"), ("export_report", "xlsx")]
    assert events[1].changes["numbers"] == {"rows": 2}


@pytest.mark.parametrize("path", ["/staff/queue.xlsx", "/staff/report.xlsx"])
def test_roles_without_the_export_permission_get_no_workbook(app: Flask, path: str) -> None:
    create_tip()
    for role in (Role.GROUP_MEMBER, Role.SITE_STAFF):
        client = browser(app)
        sign_in(client, create_staff(role, username=f"{role.value}-x").username)
        assert client.get(path).status_code == 403
    assert browser(app).get(path).status_code == 302  # anonymous: to the sign-in page


def test_the_queue_and_report_pages_link_both_formats_with_the_filters(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, _owner = _queue(app, monkeypatch)
    html = client.get("/staff/queue?status=all", headers=EN).get_data(as_text=True)
    assert 'href="/staff/queue.xlsx?status=all"' in html and 'href="/staff/queue.csv?status=all"' in html
    report = client.get("/staff/report?month=2026-03", headers=EN).get_data(as_text=True)
    assert 'href="/staff/report.xlsx?month=2026-03"' in report and 'href="/staff/report.csv?month=2026-03"' in report


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("query", "error"), [
    ("received_from=2026-02-30", "Enter a date, like 2026-12-03"),
    ("q=" + "拐" * 101, "Search must be 100 characters or fewer"),
])
def test_a_filter_with_an_error_gives_the_queue_page_with_the_error_not_the_whole_queue(  # type: ignore[no-untyped-def]
        app: Flask, monkeypatch, file_format: str, query: str, error: str) -> None:
    """The queue page links "Download these items" with its filters, a mistyped one included: the
    export then must not leave the bad filter out and give every item as if they were "these"."""
    client, _owner = _queue(app, monkeypatch)

    response = client.get(f"/staff/queue.{file_format}?{query}", headers=EN)

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert error in response.get_data(as_text=True)
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_queue")).all()

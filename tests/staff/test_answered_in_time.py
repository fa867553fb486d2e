"""What "answered in time" means, defined once (`portal.triage.deadlines`) and used by the
dashboard and the monthly report: a tip answered in time, one answered late, a merged duplicate
that is never counted (issue 14)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from flask import Flask

from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, TipFeedback, WorkingGroup
from portal.core.permissions import Role
from portal.triage.deadlines import MET, MISSED, answer_result, deadline_rows
from tests.support.factories import create_staff, create_tip
from tests.support.staff import browser, control_clock, sign_in

RECEIVED = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 10:00 in Shanghai
DUE = RECEIVED + timedelta(days=7)
NOW = datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc)
MARCH = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))
EN = {"Accept-Language": "en"}


def _tip(group: WorkingGroup | None = None, *, feedback_at: datetime | None = None, final: bool = True,
         closed_at: datetime | None = None, outcome: str | None = None, merged_into: IntakeItem | None = None) -> IntakeItem:
    receipt = create_tip()
    item = receipt.tip.item
    item.received_at, item.feedback_due_at = RECEIVED, DUE
    item.working_group_id = group.id if group else None
    if closed_at is not None:
        item.status, item.closed_at, item.outcome = "closed", closed_at, outcome
    if merged_into is not None:
        item.merged_into_id = merged_into.id
    if feedback_at is not None:
        db.session.add(TipFeedback(tip_id=receipt.tip.id, kind="handled" if final else "still_checking", final=final,
                                   text_zh="…", text_en="…", given_at=feedback_at))
    db.session.commit()
    return item


def _results() -> dict[int, str | None]:
    return {row.item_id: row.result for row in deadline_rows(*MARCH, NOW)}


def test_a_tip_given_final_feedback_by_its_deadline_is_answered_in_time(app: Flask) -> None:
    item = _tip(feedback_at=DUE)  # at the deadline itself
    assert _results()[item.id] == MET


def test_a_tip_given_final_feedback_after_its_deadline_is_answered_late(app: Flask) -> None:
    late = _tip(feedback_at=DUE + timedelta(minutes=1))
    # Closing in time is not answering: the tipster learnt nothing.
    closed_unanswered = _tip(closed_at=RECEIVED + timedelta(days=1), outcome="child_found")
    # "Still being checked" is not an answer either.
    interim_only = _tip(feedback_at=RECEIVED + timedelta(days=1), final=False)
    results = _results()
    assert results[late.id] == results[closed_unanswered.id] == results[interim_only.id] == MISSED


def test_a_merged_duplicate_is_never_counted_even_with_feedback_in_time(app: Flask) -> None:
    lead = _tip(feedback_at=RECEIVED + timedelta(days=2))
    duplicate = _tip(feedback_at=RECEIVED + timedelta(days=1), closed_at=RECEIVED + timedelta(days=1),
                     outcome="duplicate", merged_into=lead)
    unanswered_duplicate = _tip(closed_at=RECEIVED + timedelta(days=1), outcome="duplicate", merged_into=lead)
    results = _results()
    assert results[lead.id] == MET
    assert results[duplicate.id] is None and results[unanswered_duplicate.id] is None


def test_the_rule_for_each_kind_of_item() -> None:
    before, after = DUE - timedelta(hours=1), DUE + timedelta(hours=1)
    assert answer_result(kind=ItemKind.TIP, due=DUE, now=before) is None  # not yet due
    assert answer_result(kind=ItemKind.TIP, due=DUE, now=after) == MISSED
    assert answer_result(kind=ItemKind.TIP, due=DUE, now=after, closed_at=before, outcome="spam") is None
    # An SMS kept for staff has no status page: closing it answers it.
    assert answer_result(kind=ItemKind.SMS_MESSAGE, due=DUE, now=after, closed_at=before) == MET
    assert answer_result(kind=ItemKind.SMS_MESSAGE, due=DUE, now=after, closed_at=after) == MISSED
    assert answer_result(kind=ItemKind.APPOINTMENT, due=None, now=after) is None


def test_the_monthly_report_and_the_dashboard_count_by_the_one_rule(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, NOW)
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    lead = _tip(group, feedback_at=DUE - timedelta(days=1))  # met
    _tip(group, feedback_at=DUE + timedelta(days=1))  # missed
    _tip(group, closed_at=RECEIVED + timedelta(days=1), outcome="duplicate", merged_into=lead)  # not counted
    client = browser(app)
    sign_in(client, create_staff(Role.SUPERVISOR).username)
    report = {row["Unit"]: row for row in csv.DictReader(io.StringIO(
        client.get("/staff/report.csv?month=2026-03", headers=EN).get_data(as_text=True).lstrip("\ufeff")))}
    assert (report["第一专班"]["Verified within the deadline"], report["第一专班"]["Deadline missed"]) == ("1", "1")
    html = client.get("/staff/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = html.split('id="table-deadlines"', 1)[1].split("</table>", 1)[0]
    assert "<td>1</td><td>1</td>" in table.replace("\n", "").replace(" ", "")

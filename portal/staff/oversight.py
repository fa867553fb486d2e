"""Oversight: the dashboard (SVG charts with tables), the monthly report per unit (page and
CSV), and the audit log viewer. None of these shows personal data.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, false, func, or_, select
from werkzeug.wrappers import Response

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.i18n import join_list
from portal.core.models import AuditEvent, AuditEventItem, Channel, IntakeItem, Outcome, StaffUser
from portal.core.permissions import Permission, requires
from portal.core.query_args import query_date, query_id
from portal.core.security.references import normalise_reference
from portal.staff import exports, stats
from portal.staff.blueprint import bp
from portal.staff.accounts import normalise_username
from portal.staff.charts import bar_chart
from portal.core.csv_export import table_response
from portal.staff.labels import LABELS, label
from portal.staff.queue import IS_OPEN

AUDIT_PAGE = 100


def _tz() -> str:
    return current_app.config["SETTINGS"].site_timezone


def _month_name(key: tuple[int, int]) -> str:
    year, month = key
    return _("%(year)d-%(month)02d", year=year, month=month)


@bp.get("/dashboard")
@requires(Permission.VIEW_REPORTS)
def dashboard() -> str:
    """Charts of intake, open items, deadlines and sampling, each with its table."""
    now, tz = clock.now(), _tz()
    channels = [c.value for c in Channel]
    intake = stats.intake_per_day(now, tz)
    days = [d.strftime("%m-%d") for d, _c in intake]
    open_status = stats.open_by_status()
    deadlines = stats.deadlines_per_month(now, tz)
    bookings = stats.bookings_per_month(now, tz)
    overdue = db.session.scalar(
        select(func.count()).select_from(IntakeItem).where(IS_OPEN, IntakeItem.feedback_due_at < now)
    )
    charts = {
        "intake": bar_chart("chart-intake", _("Items received per day, by channel (last 30 days)"), days,
                            [(label("channel", c), [counts[c] for _d, counts in intake]) for c in channels],
                            stacked=True, label_every=5),
        "open": bar_chart("chart-open", _("Open items by status"), [label("status", s) for s in open_status],
                          [(_("Open items"), list(open_status.values()))]),
        "deadlines": bar_chart("chart-deadlines", _("Feedback deadlines met and missed, by month of the deadline"),
                               [_month_name(k) for k, _v in deadlines],
                               [(_("Met"), [v["met"] for _k, v in deadlines]), (_("Missed"), [v["missed"] for _k, v in deadlines])],
                               label_every=3),
        "bookings": bar_chart("chart-bookings", _("Sampling bookings and attendance, by month"),
                              [_month_name(k) for k, _v in bookings],
                              [(_("Booked"), [v["booked"] for _k, v in bookings]), (_("Attended"), [v["attended"] for _k, v in bookings])]),
    }
    return render_template(
        "staff/dashboard.html", charts=charts, intake=intake, channels=channels, open_status=open_status,
        deadlines=deadlines, bookings=bookings, month_name=_month_name, overdue=overdue or 0,
    )


def _report_month() -> tuple[int, int]:
    now_key = stats.recent_months(clock.now(), _tz(), 1)[0]
    raw = request.args.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return now_key


def _report(year: int, month: int):  # type: ignore[no-untyped-def]
    outcomes = [o.value for o in Outcome]
    return outcomes, stats.monthly_report(year, month, clock.now(), _tz(), outcomes)


@bp.get("/report")
@requires(Permission.VIEW_REPORTS)
def report() -> str:
    """The monthly figures per working group and sampling site, for the month in `?month=YYYY-MM`."""
    year, month = _report_month()
    outcomes, rows = _report(year, month)
    months = stats.recent_months(clock.now(), _tz(), 12)
    return render_template("staff/report.html", rows=rows, outcomes=outcomes, year=year, month=month,
                           months=months, month_name=_month_name, unit_name=exports.unit_name)


@bp.get("/report.csv")
@requires(Permission.EXPORT)
def report_csv() -> Response:
    """The monthly report as CSV (`export_report`)."""
    return export_report("csv")


@bp.get("/report.xlsx")
@requires(Permission.EXPORT)
def report_xlsx() -> Response:
    """The monthly report as an Excel workbook, the same rows and columns as the CSV (`export_report`)."""
    return export_report("xlsx")


def export_report(file_format: str) -> Response:
    """The month's report (same figures as the page) as `file_format` ("csv" or "xlsx"), with the
    page's headings in the staff member's language (`portal.staff.exports.report_table`).
    Audited ("export_report", with the format)."""
    year, month = _report_month()
    outcomes, rows = _report(year, month)
    table = exports.report_table(rows, outcomes)
    audit.record("export_report", actor_id=current_user.id, fields=["rows"],
                 changes={"file_format": (file_format, file_format)})
    db.session.commit()
    return table_response(file_format, f"report-{year}-{month:02d}", table.header, table.rows,
                          sheet_title=_month_name((year, month)))


def _item_id(reference_text: str) -> int | None:
    """The id of the item with this reference (as typed: any case or spacing), or None."""
    reference = normalise_reference(reference_text)
    if reference is None:
        return None
    return db.session.scalar(select(IntakeItem.id).where(IntakeItem.reference == reference))


def _events_naming(item_id: int | None) -> ColumnElement[bool]:
    """A WHERE clause on AuditEvent keeping the events about item `item_id` (none for None): those
    whose `item_id` it is, and the list views that showed it (a page of the queue, a day list:
    their AuditEventItem rows). Both read an index: `ix_audit_event_item` and the primary key
    (item_id, audit_event_id) of audit_event_item."""
    if item_id is None:
        return false()
    listed = select(AuditEventItem.audit_event_id).where(AuditEventItem.item_id == item_id)
    return or_(AuditEvent.item_id == item_id, AuditEvent.id.in_(listed))


# The counts and ids an event keeps in changes["numbers"] (portal.core.audit.record: integers
# only, so nothing personal) that the audit log shows as "label: value", in this order. Not
# "items" (the list views' items: the Item column) nor "found" (per field: the Fields column).
_DETAILS = {
    "rows": _l("Rows"),
    "attachment_id": _l("Attachment id"),
    "saved_view_id": _l("Saved view id"),
    "account_id": _l("Account id"),
    "open_items_handed_over": _l("Open items handed over"),
    "redaction_id": _l("Removal record id"),
    "not_sampled": _l("People not sampled"),
}
# Hidden by "Changes only": someone opening a page or an item. Showing a masked contact detail
# in full (reveal_contact), printing, downloads and exports stay: they take something away.
_READING_PREFIX = "view_"


def event_details(event: AuditEvent) -> list[tuple[str, str]]:
    """The non-personal details `event` keeps besides its fields, as (label, value) pairs in the
    current language: the rows an export wrote, the attachment it added or downloaded and what
    was taken out of an added PDF (a count per kind), the saved view, the account, the items
    handed over, the removal record. Unknown keys are left out (they have no label yet)."""
    numbers = event.changes.get("numbers", {}) if isinstance(event.changes, dict) else {}
    details = [(str(words), f"{numbers[key]:d}") for key, words in _DETAILS.items() if isinstance(numbers.get(key), int)]
    removed = numbers.get("removed")
    if isinstance(removed, dict) and removed:
        details.append((_("Removed from the PDF"), join_list(
            [_("%(label)s: %(value)s", label=label("pdf_removed", kind), value=count) for kind, count in removed.items()])))
    return details


@bp.get("/audit")
@requires(Permission.VIEW_AUDIT)
def audit_log() -> tuple[str, int]:
    """The audit log, newest first, filtered by action, account, item (the events about it and the
    list views that showed it), local dates and "Changes only" (no `view_*` events: opening a
    page or an item); 100 a page. The actions to choose from are in the order of their codes:
    the same in both languages, and the codes' prefixes (change_, view_, appointment_,
    saved_view_...) keep an area's actions together, which no order of the Chinese words does."""
    query = select(AuditEvent, StaffUser.username, IntakeItem.reference).outerjoin(
        StaffUser, StaffUser.id == AuditEvent.actor_id).outerjoin(IntakeItem, IntakeItem.id == AuditEvent.item_id)
    action = request.args.get("action", "")
    if action in LABELS["action"]:
        query = query.where(AuditEvent.action == action)
    if request.args.get("changes"):
        query = query.where(AuditEvent.action.not_like(_READING_PREFIX + "%"))
    who = request.args.get("who", "").strip()[:80]
    if who:
        query = query.where(StaffUser.username == normalise_username(who))
    reference_text = request.args.get("item", "").strip()[:40]
    listed_item_id = None
    if reference_text:
        listed_item_id = _item_id(reference_text)
        query = query.where(_events_naming(listed_item_id))
    zone = ZoneInfo(_tz())
    start, end = query_date(request.args.get("from")), query_date(request.args.get("to"))
    # {field id: message}: a date that is not one, or a range that ends before it starts, is said,
    # not quietly left out of the filter (the events shown would not be what was asked for).
    date_errors = {}
    for name, value in (("from", start), ("to", end)):
        if request.args.get(name, "").strip() and value is None:
            date_errors[name] = _("Enter a date such as 2026-12-07")
    if start and end and start > end:
        date_errors["to"] = _("The end date is before the start date")
    if start:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(start, time(0), tzinfo=zone))
    if end:
        query = query.where(AuditEvent.occurred_at < datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone))
    before = query_id(request.args.get("before"))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE + 1)).all()
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    html = render_template("staff/audit.html", rows=rows, more=more, args=args, listed_item_id=listed_item_id,
                           date_errors=date_errors,
                           reference_text=normalise_reference(reference_text) if reference_text else None,
                           next_before=rows[-1][0].id if more and rows else None,
                           actions=sorted(LABELS["action"].items()), event_details=event_details)
    return html, 400 if date_errors else 200

"""What the staff exports hold: the queue and the monthly report as one table each, written as
CSV or as an Excel workbook (`portal.core.csv_export.table_response`) from the same rows.

- Headers are in the staff member's language (the request's, Simplified Chinese or English),
  with the words the staff pages use (`portal.staff.labels`), so a column reads as its page does.
- Dates and times are ISO 8601 text in the site's time zone (SITE_TIMEZONE) with its UTC offset,
  to the second: `2026-12-07T14:05:00+08:00`. The same text in both formats, so the two files
  hold the same cells; a spreadsheet sorts it as it sorts the times.
- Stored codes (status, kind, priority...) are shown in words (`label`), as on every page.
- "Overdue" is Yes or No (in words) for every open item with a feedback deadline, and blank where
  it does not apply: a closed item, or one without a deadline (a sampling booking).
- No personal data: no tip text, place as given, contact details or SMS text. A region is the
  administrative division the item was filed under (GB/T 2260 code and its name), never the
  words a tipster typed; an owner is an account's username, as the queue shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask_babel import gettext as _, lazy_gettext as _l

from portal.core import regions
from portal.core.models import IntakeItem, ItemStatus
from portal.staff.labels import label
from portal.staff.queue import is_overdue
from portal.staff.stats import UnitRow

FORMATS = ("csv", "xlsx")


@dataclass
class ExportTable:
    """One export: the header (words in the current language) and the rows (text or int cells)."""

    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def iso_local(instant: datetime | None, tz: str) -> str:
    """`instant` (aware) as ISO 8601 in the zone `tz` (IANA name), to the second, with the
    zone's UTC offset: 2026-12-07T14:05:00+08:00. Empty text for None."""
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def overdue_cell(item: IntakeItem, now: datetime) -> str:
    """"Yes" or "No" (current language) for an open item with a feedback deadline: has it passed
    at `now` (aware UTC)? Empty text where the question does not apply: a closed item, or one
    without a deadline."""
    if item.status == ItemStatus.CLOSED or item.feedback_due_at is None:
        return ""
    return _("Yes") if is_overdue(item, now) else _("No")


def local_date(instant: datetime, tz: str) -> str:
    """The date of `instant` (aware) in the zone `tz` (IANA name), ISO 8601: 2026-12-08."""
    return instant.astimezone(ZoneInfo(tz)).date().isoformat()


# The queue's columns, in order: header, and the cell of one item (at `now`, in zone `tz`).
_QueueCell = Callable[[IntakeItem, datetime, str], Any]
QUEUE_COLUMNS: list[tuple[Any, _QueueCell]] = [
    (_l("Reference number"), lambda i, now, tz: i.reference),
    (_l("Case file number"), lambda i, now, tz: i.case_file_number or ""),
    (_l("Kind"), lambda i, now, tz: label("kind", i.kind)),
    (_l("What was seen"), lambda i, now, tz: label("category", i.tip.category) if i.tip else ""),
    (_l("Channel"), lambda i, now, tz: label("channel", i.channel)),
    (_l("Status"), lambda i, now, tz: label("status", i.status)),
    (_l("Outcome"), lambda i, now, tz: label("outcome", i.outcome)),
    (_l("Priority"), lambda i, now, tz: label("priority", i.priority)),
    (_l("Region"), lambda i, now, tz: regions.full_name(i.region_code) or ""),
    (_l("Region code"), lambda i, now, tz: i.region_code or ""),
    (_l("Working group"), lambda i, now, tz: i.working_group.name if i.working_group else ""),
    (_l("Officer responsible"), lambda i, now, tz: i.assigned_to.username if i.assigned_to else ""),
    (_l("Time received"), lambda i, now, tz: iso_local(i.received_at, tz)),
    (_l("Feedback deadline"), lambda i, now, tz: iso_local(i.feedback_due_at, tz)),
    (_l("Overdue"), lambda i, now, tz: overdue_cell(i, now)),
    (_l("Closed at"), lambda i, now, tz: iso_local(i.closed_at, tz)),
]


def queue_table(items: list[IntakeItem], now: datetime, tz: str) -> ExportTable:
    """The export of these queue items (loaded with their tip, working group and owner), in
    their order. `now`: aware UTC, for "overdue"; `tz`: the site's IANA zone."""
    return ExportTable(header=[str(header) for header, _cell in QUEUE_COLUMNS],
                       rows=[[cell(item, now, tz) for _header, cell in QUEUE_COLUMNS] for item in items])


def unit_name(row: UnitRow) -> str:
    """A report row's unit as the report names it (the items of no working group in words)."""
    return _("No working group") if row.kind == "none" else row.unit


_UNIT_KINDS = {"group": _l("Working group"), "none": _l("No working group"), "site": _l("Sampling site")}


def report_table(rows: list[UnitRow], outcomes: list[str]) -> ExportTable:
    """The monthly report (`portal.staff.stats.monthly_report`'s rows) with the page's column
    headings; the figures as numbers, one column per outcome of `outcomes` (Outcome values)."""
    header = [_("Unit"), _("Kind of unit"), _("Received"), _("Verified within the deadline"), _("Deadline missed")]
    header += [_("Closed: %(outcome)s", outcome=label("outcome", o)) for o in outcomes]
    header += [_("Bookings"), _("Samples taken")]
    body = [[unit_name(r), str(_UNIT_KINDS[r.kind]), r.received, r.verified_in_time, r.deadlines_missed]
            + [r.closed[o] for o in outcomes] + [r.bookings, r.samples_taken] for r in rows]
    return ExportTable(header=header, rows=body)

"""Managing sampling sites (staff with the admin role): opening periods, the bookings on days to
close and removing a closure (closing days: `portal.sampling.closures`), and the CSV export that
the import reads back."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, OpeningPeriod, SamplingSite, SiteClosure, Slot, utcnow
from portal.sampling import slots
from portal.sampling.site_phones import site_phone_numbers
from portal.core.csv_export import safe_cell

EXPORT_COLUMNS = ("name", "city", "province", "weekday_hours", "phone", "fee", "notes", "source",
                  "district", "address", "contact_person", "accessibility_notes", "slot_minutes", "places_per_slot",
                  "booking_horizon_days", "minimum_notice_minutes", "timezone", "active")


def periods_text(site: SamplingSite, weekday: int) -> str:
    """The site's periods on `weekday` (0 = Monday) as typed in the form: "09:00-12:00, 14:00-17:00"."""
    return ", ".join(f"{p.opens_at:%H:%M}-{p.closes_at:%H:%M}" for p in site.opening_periods if p.weekday == weekday)


def set_opening_periods(site: SamplingSite, by_weekday: dict[int, Sequence[tuple[time, time]]]) -> None:
    """Replace the site's opening periods: {weekday 0-6: [(opens, closes), ...]} in local time."""
    site.opening_periods.clear()
    db.session.flush()
    for weekday in sorted(by_weekday):
        for opens, closes in by_weekday[weekday]:
            site.opening_periods.append(OpeningPeriod(weekday=weekday, opens_at=opens, closes_at=closes))


def booked_in_days(site: SamplingSite, first: date, last: date) -> list[Appointment]:
    """Booked appointments whose slot starts on a local day from `first` to `last` (inclusive)."""
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(first, time(0), tzinfo=zone)
    ends = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return list(db.session.scalars(
        select(Appointment)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(Slot.site_id == site.id, Slot.starts_at >= begins, Slot.starts_at < ends,
               Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Slot.starts_at)
    ))


def remove_closure(site: SamplingSite, closure: SiteClosure, *, actor_id: int, now: datetime | None = None) -> int:
    """Remove one of the site's closures (a mistake, or plans changed), in the caller's transaction,
    and open that period's days for booking again: the slots of the days still ahead and within
    the booking horizon are opened by the usual slot-opening code (`slots.open_slots`, which
    skips days another closure still covers and slots that already exist). Records an audit
    event with the dates (not personal). `now`: a UTC instant (default: now). Returns how many
    slots were opened. Raises ValueError when the closure belongs to another site.
    """
    if closure.site_id != site.id:
        raise ValueError("the closure belongs to another site")
    starts_on, ends_on = closure.starts_on, closure.ends_on
    db.session.delete(closure)
    db.session.flush()
    audit.record("closure_removed", actor_id=actor_id, changes={
        "site_id": (site.id, site.id), "closure_days": (f"{starts_on.isoformat()}/{ends_on.isoformat()}", None)})
    today = slots.local_day(site, now or utcnow())
    first = max(starts_on, today)
    last = min(ends_on, today + timedelta(days=slots.horizon_days(site)))
    if not site.active or last < first:
        return 0
    return slots.open_slots(site, first, (last - first).days + 1)


def export_sites_csv(sites: Sequence[SamplingSite]) -> str:
    """The sites as CSV text (UTF-8, header first) in the import's columns plus the fields staff
    complete; `weekday_hours` holds Monday's periods, as the published lists do. Every cell goes
    through `safe_cell`, so a site name such as `=HYPERLINK(...)` is not run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for site in sites:
        writer.writerow([safe_cell(cell) for cell in [
            site.name, site.city, site.province, periods_text(site, 0).replace(" ", ""),
            "、".join(phone.display for phone in site_phone_numbers(site)),
            site.fee or "", site.notes or "", site.source or "", site.district or "", site.address or "",
            site.contact_person or "",
            site.accessibility_notes or "", site.slot_minutes, site.places_per_slot, site.booking_horizon_days,
            site.minimum_notice_minutes, site.timezone, "yes" if site.active else "no",
        ]])
    return out.getvalue()

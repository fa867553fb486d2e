"""The words staff pages use for stored codes: one mapping, so a status reads the same everywhere.

Every staff page, report and export should show statuses, kinds, channels and priorities through
`label()`, never the stored code. Values are lazy strings, translated when shown.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.models import (
    ApplicantRole,
    AppointmentStatus,
    Channel,
    ItemKind,
    ItemStatus,
    Priority,
)
from portal.permissions import Role
from portal.tips.labels import CATEGORY_LABELS

LABELS: dict[str, dict[Any, Any]] = {
    "kind": {
        ItemKind.TIP.value: _l("Tip"),
        ItemKind.APPOINTMENT.value: _l("Sampling appointment"),
        ItemKind.SMS_MESSAGE.value: _l("SMS message"),
    },
    "channel": {
        Channel.WEB.value: _l("Website"),
        Channel.SMS.value: _l("SMS"),
        Channel.STAFF.value: _l("Entered by staff"),
    },
    "status": {
        ItemStatus.NEW.value: _l("New"),
        ItemStatus.TRIAGED.value: _l("Triaged"),
        ItemStatus.ASSIGNED.value: _l("Assigned"),
        ItemStatus.VERIFYING.value: _l("Verifying"),
        ItemStatus.CLOSED.value: _l("Closed"),
    },
    "priority": {
        Priority.URGENT.value: _l("Urgent"),
        Priority.HIGH.value: _l("High"),
        Priority.NORMAL.value: _l("Normal"),
        Priority.LOW.value: _l("Low"),
    },
    # The tipster chose from these words; staff read the same ones.
    "category": {category.value: words for category, words in CATEGORY_LABELS.items()},
    "appointment_status": {
        AppointmentStatus.BOOKED.value: _l("Booked"),
        AppointmentStatus.CANCELLED.value: _l("Cancelled"),
        AppointmentStatus.CHECKED_IN.value: _l("Checked in"),
        AppointmentStatus.NO_SHOW.value: _l("Did not come"),
    },
    "applicant_role": {
        ApplicantRole.PARENT.value: _l("Parent"),
        ApplicantRole.RELATIVE.value: _l("Relative"),
        ApplicantRole.SEEKING_BIRTH_FAMILY.value: _l("Looking for their birth family"),
        ApplicantRole.AGENCY.value: _l("Agency bringing an unidentified person"),
    },
    "role": {
        Role.ADMIN.value: _l("Administrator"),
        Role.TRIAGE_OFFICER.value: _l("Triage officer"),
        Role.GROUP_MEMBER.value: _l("Working group member"),
        Role.SITE_STAFF.value: _l("Sampling site staff"),
        Role.SUPERVISOR.value: _l("Supervisor"),
    },
    "action": {
        "view_item": _l("Opened the item"),
        "update_contact": _l("Changed the contact details"),
        "change_status": _l("Changed the status or priority"),
        "login": _l("Signed in"),
        "login_failed": _l("Failed to sign in"),
        "logout": _l("Signed out"),
    },
    "field": {
        "status": _l("Status"),
        "priority": _l("Priority"),
        "working_group_id": _l("Working group"),
        "feedback_due_at": _l("Feedback deadline"),
        "contact_name": _l("Contact name"),
        "contact_phone": _l("Contact mobile number"),
        "contact_name_masked": _l("Contact name (masked)"),
        "contact_phone_masked": _l("Contact mobile number (masked)"),
        "applicant_name": _l("Applicant name"),
        "applicant_phone": _l("Applicant mobile number"),
        "attendee_name": _l("Attendee names"),
        "attendee_phone": _l("Attendee mobile numbers"),
        "attendee_id_number_masked": _l("Identity numbers (masked)"),
        "from_phone_masked": _l("Sender (masked)"),
    },
}


def label(group: str, value: Any) -> str:
    """The words for stored `value` in `group` (a key of LABELS), in the current language.

    An unknown value is shown as stored rather than hidden, so new codes stay visible.
    """
    if value is None:
        return ""
    text = LABELS.get(group, {}).get(value)
    return str(text) if text is not None else str(value)


def choices(group: str) -> list[tuple[Any, str]]:
    """(value, words) pairs for a select field, in the table's order."""
    return [(value, str(text)) for value, text in LABELS[group].items()]

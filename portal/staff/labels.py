"""The words staff pages use for stored codes: one mapping, so a status reads the same everywhere.

Every staff page, report and export should show statuses, kinds, channels and priorities through
`label()`, never the stored code. Values are lazy strings, translated when shown.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core.models import ApplicantRole, AppointmentStatus, Channel, ItemKind, ItemStatus, Outcome, Priority, RegionSource
from portal.core.permissions import Role
from portal.tips.labels import CATEGORY_LABELS

LABELS: dict[str, dict[Any, Any]] = {
    "kind": {
        ItemKind.TIP: _l("Tip"),
        ItemKind.APPOINTMENT: _l("Sampling appointment"),
        ItemKind.SMS_MESSAGE: _l("SMS message"),
    },
    "channel": {
        Channel.WEB: _l("Website"),
        Channel.SMS: _l("SMS"),
        Channel.STAFF: _l("Entered by staff"),
    },
    "status": {
        ItemStatus.NEW: _l("New"),
        ItemStatus.TRIAGED: _l("Triaged"),
        ItemStatus.ASSIGNED: _l("Assigned"),
        ItemStatus.VERIFYING: _l("Verifying"),
        ItemStatus.CLOSED: _l("Closed"),
    },
    # A sampling appointment's own status (AppointmentStatus), as its audit history shows it.
    "outcome": {
        Outcome.CONFIRMED_LEAD: _l("Forwarded as a confirmed lead"),
        Outcome.CHILD_FOUND: _l("Child found"),
        Outcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
        Outcome.DUPLICATE: _l("Duplicate"),
        Outcome.SPAM: _l("Spam"),
    },
    "priority": {
        Priority.URGENT: _l("Urgent"),
        Priority.HIGH: _l("High"),
        Priority.NORMAL: _l("Normal"),
        Priority.LOW: _l("Low"),
    },
    # The tipster chose from these words; staff read the same ones.
    "category": {category: words for category, words in CATEGORY_LABELS.items()},
    "appointment_status": {
        AppointmentStatus.BOOKED: _l("Booked"),
        AppointmentStatus.CANCELLED: _l("Cancelled"),
        AppointmentStatus.CHECKED_IN: _l("Checked in"),
        AppointmentStatus.NO_SHOW: _l("Did not come"),
    },
    "applicant_role": {
        ApplicantRole.PARENT: _l("Parent"),
        ApplicantRole.RELATIVE: _l("Relative"),
        ApplicantRole.SEEKING_BIRTH_FAMILY: _l("Looking for their birth family"),
        ApplicantRole.AGENCY: _l("Agency bringing an unidentified person"),
    },
    "role": {
        Role.ADMIN: _l("Administrator"),
        Role.TRIAGE_OFFICER: _l("Triage officer"),
        Role.GROUP_MEMBER: _l("Working group member"),
        Role.SITE_STAFF: _l("Sampling site staff"),
        Role.SUPERVISOR: _l("Supervisor"),
    },
    "overdue": {True: _l("Overdue"), False: ""},
    # Why a passage was removed (portal.triage.redaction.RemovalReason), as the form offers it.
    "removal_reason": {
        "identifies_tipster": _l("It identifies the tipster"),
        "third_party": _l("Personal details of someone the lead is not about"),
        "not_needed": _l("Personal details the lead does not need"),
        "wrong_item": _l("Written on this item by mistake"),
        "harmful": _l("Abusive or harmful words"),
        "other": _l("Another reason"),
    },
    "duplicate_reason": {
        "phone": _l("same phone number"),
        "plate": _l("same vehicle plate"),
        "text": _l("similar words"),
        "place": _l("same area"),
        "time": _l("close in time"),
        "child": _l("child described alike"),
        "age": _l("child's age alike"),
    },
    "direction": {"in": _l("Received"), "in_burst": _l("Received in a burst: not answered"), "out": _l("Sent")},
    # What became of a message the portal sends (OutboundStatus), as shown in an item's SMS thread.
    "sms_status": {
        "queued": _l("To be sent"),
        "sending": _l("Sending"),
        "sent": _l("Sent"),
        "failed": _l("Could not be sent"),
        # The request may have reached the provider (a timeout): never resent automatically.
        "unknown": _l("Outcome unknown: check before resending"),
        "replied": _l("Sent as a reply"),
        "withdrawn": _l("Not sent: no longer needed"),
        "opted_out": _l("Not sent: the number opted out (STOP)"),
    },
    # What the provider's delivery report last said (DeliveryStatus), for messages it accepted.
    "delivery_status": {
        "queued": _l("Waiting at the SMS provider"),
        "sending": _l("Being sent by the SMS provider"),
        "sent": _l("Passed to the phone network"),
        "delivered": _l("Delivered to the phone"),
        "undelivered": _l("Not delivered"),
        "failed": _l("Failed at the SMS provider"),
        "canceled": _l("Cancelled at the SMS provider"),
    },
    # Who set an item's region (IntakeItem.region_source).
    "region_source": {
        RegionSource.TIPSTER: _l("chosen by the tipster"),
        RegionSource.RECOGNISED: _l("recognised in the tip's words; check it"),
        RegionSource.STAFF: _l("set by staff"),
    },
    "action": {
        "view_item": _l("Opened the item"),
        "view_queue": _l("Opened a page of the queue (with a snippet of each item)"),
        "view_suggestion": _l("Shown as a possible duplicate of another item"),
        # Sampling (portal/sampling): bookings, the desk and site administration.
        "appointment_cancelled": _l("Cancelled the booking"),
        "appointment_checked_in": _l("Checked the family in"),
        "appointment_checked_in_after_no_show": _l("Checked the family in after they were marked as not come"),
        "appointment_moved": _l("Moved the booking"),
        "appointment_no_show": _l("Marked as not come"),
        "booked_for_family": _l("Booked for the family"),
        "closure_notice_queued": _l("Told the family of a closure"),
        "closure_removed": _l("Removed a closure of a sampling site"),
        "closure_added": _l("Closed a sampling site for some days"),
        "closure_proposed": _l("Proposed closing a sampling site"),
        "closure_confirmed": _l("Confirmed a proposed closure"),
        "closure_rejected": _l("Rejected a proposed closure"),
        "view_closure_preview": _l("Opened the families affected by a closure"),
        "samples_recorded": _l("Recorded samples taken"),
        "tube_number_corrected": _l("Corrected a tube number"),
        "sample_recorded_after_close": _l("Recorded a sample after the visit was closed"),
        "visit_closed": _l("Closed the visit with someone not sampled"),
        "site_saved": _l("Saved a sampling site"),
        "sites_exported": _l("Exported the sampling sites"),
        "sites_imported": _l("Imported sampling sites"),
        "view_appointment": _l("Opened the booking"),
        "view_day_list": _l("Opened the day list"),
        "walk_in_registered": _l("Registered a walk-in"),
        "update_contact": _l("Changed the contact details"),
        "reveal_contact": _l("Showed the masked contact details, giving a reason"),
        "change_status": _l("Changed the status"),
        "change_priority": _l("Changed the priority"),
        "change_group": _l("Changed the working group"),
        "change_region": _l("Changed the region"),
        "change_category": _l("Changed what was seen"),
        "take_item": _l("Took the item"),
        "add_note": _l("Added a note"),
        "link_item": _l("Linked with another item"),
        "merge_item": _l("Merged a duplicate into this item"),
        "redact": _l("Removed a contact detail"),
        "redact_passage": _l("Removed a passage"),
        "erase_personal_data": _l("Erased personal details (retention)"),
        "acknowledge_alert": _l("Acknowledged the urgent alert"),
        "export_queue": _l("Exported the queue"),
        "saved_view_created": _l("Saved a view of the queue"),
        "saved_view_deleted": _l("Deleted a saved view of the queue"),
        "export_report": _l("Exported the monthly report"),
        "view_audit": _l("Opened the audit log"),
        "totp_enrolled": _l("Set up two-step sign-in"),
        "sign_out_everywhere": _l("Signed out everywhere else"),
        "create_account": _l("Created an account"),
        "change_account": _l("Changed an account"),
        "reset_account": _l("Reset an account"),
        "login": _l("Signed in"),
        "login_failed": _l("Failed to sign in"),
        "logout": _l("Signed out"),
    },
    "field": {
        "removal_reason": _l("Why removed"),
        "site_id": _l("Sampling site"),
        "site_ids": _l("Sampling sites (record numbers)"),
        "closure_days": _l("Closure"),
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
        "outcome": _l("Outcome"),
        "case_file_number": _l("Case file number"),
        "assigned_to_id": _l("Officer responsible"),
        "merged_into_id": _l("Merged into"),
        "note": _l("Internal note"),
        "notes": _l("Internal notes"),
        "linked_item": _l("Linked item"),
        "merged_item": _l("Merged item"),
        "password": _l("Password"),
        "second_factor": _l("Sign-in code"),
        "description": _l("Description"),
        "place": _l("Place"),
        "seen_when": _l("When"),
        "sms_body": _l("SMS message text"),
        "sms_sent": _l("SMS messages sent"),
        "sms_conversation": _l("SMS conversation under way"),
        "tip_draft": _l("Web form answers kept for the confirmation page"),
        "redaction_reasons": _l("Reasons given for earlier removals"),
        "slot": _l("Time"),
        "sample_tube_number": _l("Sample tube number"),
        "attendee_id": _l("Attendee (record number)"),
        "case_details": _l("The person looked for (case details)"),
        "not_sampled_reason": _l("Why no sample was taken"),
        "not_sampled_note": _l("Note on why no sample was taken"),
        "child_age": _l("Child's approximate age"),
        "child_sex": _l("Child's sex"),
        "child_height": _l("Child's height"),
        "child_clothing": _l("Child's clothing"),
        "child_marks": _l("Child's distinguishing marks"),
        "child_language": _l("Child's language or dialect"),
        "adults_description": _l("Adults with the child"),
        "vehicle_description": _l("Vehicle"),
        "vehicle_plate": _l("Plate number"),
        "photos": _l("Photos"),
        "tipster_answers": _l("Tipster's answers"),
        "questions_to_tipster": _l("Questions to the tipster"),
        "region_text": _l("Place as given"),
        "region_code": _l("Region"),
        "category": _l("What was seen"),
        "role": _l("Role"),
        "active": _l("Account switched on"),
        "filters": _l("Filters"),
        "rows": _l("Rows"),
        "file_format": _l("File format"),
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

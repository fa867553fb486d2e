"""All tables. Import models from here: `from portal.models import Tip`."""

from portal.models.base import as_utc, utcnow
from portal.models.intake import Channel, IntakeItem, ItemKind, ItemStatus, Outcome, Priority, Tip, TipCategory
from portal.models.messaging import (
    InboundMessage,
    OutboundMessage,
    OutboundStatus,
    SmsConversation,
    SmsMedia,
    SmsOptOut,
)
from portal.models.sampling import (
    ApplicantRole,
    Appointment,
    AppointmentStatus,
    Attendee,
    DocumentType,
    OpeningPeriod,
    SamplingDraft,
    SamplingSite,
    SiteClosure,
    Slot,
)
from portal.models.staff import (
    AuditEvent,
    CaseFileCounter,
    ItemLink,
    ItemNote,
    LoginThrottle,
    Redaction,
    StaffSession,
    StaffUser,
    UrgentAlert,
    WorkingGroup,
    staff_site,
)
from portal.models.tips import FollowUpGuard, TipDraft, TipFollowUp, TipPhoto, TipQuestion

__all__ = [
    "ApplicantRole", "Appointment", "AppointmentStatus", "Attendee", "AuditEvent", "Channel", "DocumentType",
    "InboundMessage", "IntakeItem", "ItemKind", "ItemStatus", "OpeningPeriod", "OutboundMessage",
    "OutboundStatus", "Priority", "SmsConversation", "SmsMedia", "SmsOptOut", "SamplingDraft", "SamplingSite", "SiteClosure", "Slot", "StaffUser", "Tip",
    "TipCategory", "WorkingGroup", "as_utc", "staff_site", "utcnow",
    "FollowUpGuard", "TipDraft", "TipFollowUp", "TipPhoto", "TipQuestion",
    "CaseFileCounter", "ItemLink", "ItemNote", "LoginThrottle", "Outcome", "Redaction", "StaffSession", "UrgentAlert",
]

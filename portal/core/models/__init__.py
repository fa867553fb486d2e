"""All tables. Import models from here: `from portal.core.models import Tip`."""

from portal.core.models.attachments import CaseAttachment
from portal.core.models.base import as_utc, utcnow
from portal.core.models.intake import Channel, IntakeItem, ItemKind, ItemStatus, Outcome, Priority, RegionSource, Tip, TipCategory
from portal.core.models.messaging import InboundMessage, OutboundMessage, OutboundStatus, SmsConversation, SmsMedia, SmsOptOut
from portal.core.models.sampling import ApplicantRole, Appointment, AppointmentStatus, Attendee, ClosureStatus, DocumentType, OpeningPeriod, PhoneKind, RetiredTubeNumber, SamplingDraft, SamplingSite, SiteClosure, SiteDayOverride, SitePhoneNumber, Slot
from portal.core.models.saved_views import SavedView
from portal.core.models.staff import AuditEvent, AuditEventItem, CaseFileCounter, ItemLink, ItemNote, LoginThrottle, Redaction, StaffSession, StaffUser, UrgentAlert, WorkingGroup, staff_site
from portal.core.models.tips import FeedbackTemplate, FollowUpGuard, TipDraft, TipFeedback, TipFollowUp, TipPhoto, TipQuestion

__all__ = [
    "ApplicantRole", "ClosureStatus", "Appointment", "AppointmentStatus", "Attendee", "AuditEvent", "AuditEventItem", "CaseAttachment", "Channel", "DocumentType",
    "InboundMessage", "IntakeItem", "ItemKind", "ItemStatus", "OpeningPeriod", "OutboundMessage",
    "OutboundStatus", "Priority", "RegionSource", "RetiredTubeNumber", "SmsConversation", "SmsMedia", "SmsOptOut", "PhoneKind", "SamplingDraft", "SamplingSite", "SiteClosure", "SiteDayOverride", "SitePhoneNumber", "Slot", "StaffUser", "Tip",
    "TipCategory", "WorkingGroup", "as_utc", "staff_site", "utcnow",
    "FeedbackTemplate", "FollowUpGuard", "TipDraft", "TipFeedback", "TipFollowUp", "TipPhoto", "TipQuestion",
    "CaseFileCounter", "ItemLink", "ItemNote", "LoginThrottle", "Outcome", "Redaction", "SavedView", "StaffSession", "UrgentAlert",
]

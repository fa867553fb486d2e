"""Form base class and the fields shared by the web forms and the SMS flows."""

from portal.forms.base import PortalForm
from portal.forms.fields import (
    InvalidMobileNumber,
    InvalidResidentId,
    MobileNumber,
    ResidentIdNumber,
    TypedStringField,
    display_mobile,
    normalise_mobile,
    normalise_resident_id,
)

__all__ = [
    "InvalidMobileNumber", "InvalidResidentId", "MobileNumber", "PortalForm", "ResidentIdNumber", "TypedStringField",
    "display_mobile", "normalise_mobile", "normalise_resident_id",
]

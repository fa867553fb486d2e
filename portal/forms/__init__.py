"""The web forms' base class and the fields they share (mobile number, resident identity number,
a date as far as the person knows it), the length limit of free text, a form that is only a button,
and a form's errors for the error summary.

Parsing and normalising the numbers themselves is `portal.core.identity`, which the SMS hotline
uses too; reading dates is `portal.core.partial_dates`."""

from portal.forms.base import ConfirmForm, PortalForm, flat_errors, one_line_break
from portal.forms.fields import MobileNumber, PartialDateField, PartialDateText, ResidentIdNumber, TypedStringField
from portal.forms.length import MaxLength

__all__ = [
    "ConfirmForm", "MaxLength", "MobileNumber", "PartialDateField", "PartialDateText", "PortalForm",
    "ResidentIdNumber", "TypedStringField", "flat_errors", "one_line_break",
]

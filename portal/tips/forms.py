"""The tip form and the progress-check form."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms import MobileNumber, PortalForm, TypedStringField
from portal.tips.labels import CATEGORY_LABELS

DESCRIPTION_MAX = 5000
_SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_id() -> str:
    """A random key for one filling-in of the form, so a second click of "Send" is recognised."""
    return secrets.token_urlsafe(18)


def _required_choice(message: Any) -> dict[str, Any]:
    # Same words for "nothing chosen" and "a value that is not one of the choices".
    return {"validators": [DataRequired(message=message)], "invalid_choice_message": message}


class TipForm(PortalForm):
    """One page: danger first (so the 110 advice comes before anything else), then what, where, when, who."""

    submission_id = HiddenField()
    child_in_danger = RadioField(
        _l("Is a child in danger right now?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        **_required_choice(_l("Select whether a child is in danger right now")),
    )
    category = RadioField(
        _l("What is your report about?"),
        choices=[SelectChoice(category.value, label) for category, label in CATEGORY_LABELS.items()],
        **_required_choice(_l("Select what your report is about")),
    )
    description = TextAreaField(
        _l("What did you see?"),
        validators=[
            DataRequired(message=_l("Enter what you saw")),
            Length(max=DESCRIPTION_MAX, message=_l("What you saw must be 5,000 characters or fewer")),
        ],
    )
    place = StringField(
        _l("Where did you see it?"),
        validators=[Length(max=500, message=_l("Where you saw it must be 500 characters or fewer"))],
    )
    seen_when = StringField(
        _l("When did you see it?"),
        validators=[Length(max=200, message=_l("When you saw it must be 200 characters or fewer"))],
    )
    contact_name = StringField(
        _l("Your name"),
        validators=[Length(max=100, message=_l("Your name must be 100 characters or fewer"))],
    )
    contact_phone = TypedStringField(
        _l("Your mobile number"),
        validators=[Length(max=40, message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber()],
    )
    may_contact_by_sms = BooleanField(_l("The police may send me text messages about this report"))

    def validate_contact_phone(self, field: Any) -> None:
        """A mobile number is needed when the tipster agrees to be contacted by SMS."""
        if self.may_contact_by_sms.data and not field.data:
            raise ValidationError(_l("Enter a mobile number if the police may send you text messages"))

    def ensure_submission_id(self) -> str:
        """Keep a well-formed submission id from the page, or make a new one; return it."""
        value = self.submission_id.data or ""
        if not _SUBMISSION_ID.fullmatch(value):
            value = new_submission_id()
            self.submission_id.data = value
        return value


class FollowUpForm(PortalForm):
    """Reference number and follow-up code: both are needed, so one alone tells nothing."""

    reference = StringField(
        _l("Reference number"),
        validators=[
            DataRequired(message=_l("Enter the reference number")),
            Length(max=40, message=_l("Enter the reference number as it was shown, like TY-7K3M-9Q2P")),
        ],
    )
    follow_up_code = StringField(
        _l("Follow-up code"),
        validators=[
            DataRequired(message=_l("Enter the follow-up code")),
            Length(max=60, message=_l("Enter the follow-up code as it was shown")),
        ],
    )

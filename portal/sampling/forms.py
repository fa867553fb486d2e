"""The sampling booking form."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms import MobileNumber, PortalForm, ResidentIdNumber, TypedStringField
from portal.models import ApplicantRole

# The web form books for the applicant themself, who gives the sample. An agency bringing a
# person whose identity is unknown needs that person described instead, which the form does not
# ask yet, so it is not offered here (the booking domain already supports it).
ROLE_LABELS = {
    ApplicantRole.PARENT: _l("I am a parent of a missing child"),
    ApplicantRole.RELATIVE: _l("I am another relative of the person I am looking for"),
    ApplicantRole.SEEKING_BIRTH_FAMILY: _l("I am looking for my birth family"),
}


class BookingForm(PortalForm):
    """Time, applicant (who is also the one attendee for now), relationship and consent.

    The time choices are set by the view from the day's bookable slots; whether the chosen slot
    can still be booked is decided by the booking domain, not here.
    """

    slot = RadioField(_l("Choose a time"), choices=[], validate_choice=False,
                      validators=[DataRequired(message=_l("Choose a time"))])
    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter your full name")),
        Length(max=100, message=_l("Full name must be 100 characters or fewer")),
    ])
    phone = TypedStringField(_l("Mobile number"), validators=[
        DataRequired(message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber(),
    ])
    id_number = TypedStringField(_l("Resident identity number"), validators=[
        DataRequired(message=_l("Enter your resident identity number")), ResidentIdNumber(),
    ])
    role = RadioField(
        _l("How are you related to the person you are looking for?"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose how you are related to the person you are looking for"))],
    )
    consent = BooleanField(
        _l("I agree that my blood sample is used only to identify missing people"),
        validators=[DataRequired(message=_l("Tick the box to agree, so that we can take your blood sample"))],
    )

    def validate_slot(self, field: Any) -> None:
        # Slot ids are database integers; anything else (or too long for one) was never offered.
        # ASCII digits only: str.isdigit() accepts "²" and "١٢", which int() then refuses.
        """Accept only an ASCII integer of at most 9 digits (a slot id the page could have offered)."""
        if not re.fullmatch(r"[0-9]{1,9}", str(field.data or "")):
            raise ValidationError(str(_l("Choose one of the times shown")))

    def validate_role(self, field: Any) -> None:
        """Accept only the relationships the form offers."""
        if field.data not in {role.value for role in ROLE_LABELS}:
            raise ValidationError(str(_l("Choose how you are related to the person you are looking for")))

"""The forms of the sampling journey, one per page, and of the manage page. The attendees page's
form, which the staff desk uses too, is portal.forms.sampling's.

Each form only checks what was typed; whether a time can still be booked is decided by the
booking domain (portal.sampling.booking), never here.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.forms import MaxLength, MobileNumber, PortalForm, TypedStringField
from portal.forms.sampling import (
    born_field,
    label_choices,
    last_seen_on_field,
    last_seen_place_field,
    missing_name_field,
    missing_sex_field,
    one_of,
    police_report_field,
    remembered_field,
    sampled_before_field,
)
from portal.sampling.case_details import SAMPLED_BEFORE_LABELS, SEX_LABELS  # noqa: F401  (re-exported)
from portal.core.models import ApplicantRole
from portal.sampling.booking import FULL_NAME_MAX, MAX_PARTY_SIZE

ROLE_LABELS = {
    ApplicantRole.PARENT: _l("I am a parent of a missing child"),
    ApplicantRole.RELATIVE: _l("I am another relative of the person I am looking for"),
    ApplicantRole.SEEKING_BIRTH_FAMILY: _l("I am looking for my birth family"),
    ApplicantRole.AGENCY: _l("I work for an agency bringing a person whose identity is unknown"),
}


class WhoForm(PortalForm):
    """Page 1: who is booking, and how many people will give a sample."""

    role = RadioField(_l("Who is booking?"),
                      choices=label_choices({r.value: label for r, label in ROLE_LABELS.items()}),
                      validate_choice=False,
                      validators=[one_of({r.value: 1 for r in ROLE_LABELS}, _l("Choose who is booking"))])
    party_size = RadioField(
        _l("How many people will give a sample?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, MAX_PARTY_SIZE + 1)], validate_choice=False,
    )

    def validate_party_size(self, field: Any) -> None:
        """1 to 4 people; an agency brings one person, so the question does not apply to it."""
        if self.role.data == ApplicantRole.AGENCY:
            field.data = "1"
            return
        if field.data not in {str(n) for n in range(1, MAX_PARTY_SIZE + 1)}:
            raise ValidationError(str(_l("Choose how many people will give a sample, from 1 to 4")))


class MissingPersonForm(PortalForm):
    """Page 2 for families: about the person they are looking for. Only the name, the date of
    birth and whether they gave a sample before are required: a family gives what it knows."""

    missing_name = missing_name_field()
    missing_sex = missing_sex_field()
    missing_born = born_field(_l("Date of birth, as far as you know"))
    last_seen_on = last_seen_on_field()
    last_seen_place = last_seen_place_field(_l("Where were they last seen?"))
    police_report = police_report_field()
    sampled_before = sampled_before_field(_l("Has anyone in your family given a blood sample for this search before?"))


class MemoriesForm(PortalForm):
    """Page 2 for a person looking for their birth family: what they remember."""

    remembered = remembered_field(_l("What do you remember about your birth family and where you lived?"))
    missing_born = born_field(_l("Your date of birth, as far as you know"))
    last_seen_place = last_seen_place_field(_l("Where do you think you were born or lived as a child?"))
    police_report = police_report_field()
    sampled_before = sampled_before_field(_l("Have you given a blood sample for this search before?"))


class AgencyForm(PortalForm):
    """Page 3 for an agency: who brings the person, and a description of the person."""

    agency_name = StringField(_l("Name of your agency"), validators=[
        DataRequired(message=_l("Enter the name of your agency")),
        MaxLength(200, _l("The name must be 200 characters or fewer")),
    ])
    contact_name = StringField(_l("Your full name"), validators=[
        DataRequired(message=_l("Enter your full name")),
        MaxLength(FULL_NAME_MAX, _l("Full name must be 100 characters or fewer")),
    ])
    phone = TypedStringField(_l("Your mobile number"), validators=[
        DataRequired(message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber(),
    ])
    person_age = IntegerField(_l("Approximate age of the person, in years"), validators=[
        InputRequired(message=_l("Enter the approximate age in years, like 35")),
        NumberRange(min=0, max=120, message=_l("Enter the approximate age in years, like 35")),
    ])
    person_sex = RadioField(_l("Sex of the person"), choices=label_choices(SEX_LABELS), validate_choice=False,
                            validators=[one_of(SEX_LABELS, _l("Choose the sex of the person, or Not sure"))])
    cared_for_at = StringField(_l("Where is the person cared for?"), validators=[
        DataRequired(message=_l("Enter where the person is cared for, like the name of a care home")),
        MaxLength(200, _l("The place must be 200 characters or fewer")),
    ])


class TimeForm(PortalForm):
    """Choosing one of the times shown (the view sets the choices)."""

    slot = RadioField(_l("Choose a time"), choices=[], validate_choice=False,
                      validators=[DataRequired(message=_l("Choose a time"))])

    def validate_slot(self, field: Any) -> None:
        """Accept only an ASCII integer of at most 9 digits (a slot id the page could have offered)."""
        if not re.fullmatch(r"[0-9]{1,9}", str(field.data or "")):
            raise ValidationError(str(_l("Choose one of the times shown")))


class ConsentForm(PortalForm):
    """Consent, on a page of its own. The guardian's consent is asked for only when someone in
    the party is under 14; the view then makes it required."""

    consent = BooleanField(
        _l("I agree that the blood samples are used only to identify missing people"),
        validators=[DataRequired(message=_l("Tick the box to agree, so that we can take the blood samples"))],
    )
    guardian_consent = BooleanField(
        _l("I am the parent or guardian of each person under 14, and I agree to their sample being taken"),
    )


class ManageForm(PortalForm):
    """Finding a booking: its reference and the mobile number used to book it."""

    reference = StringField(_l("Booking reference number"), validators=[
        DataRequired(message=_l("Enter the reference number, like TY-7K3M-9Q2P")),
        Length(max=40, message=_l("Enter the reference number, like TY-7K3M-9Q2P")),
    ])
    phone = TypedStringField(_l("Mobile number used to book"), validators=[
        DataRequired(message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber(),
    ])


class SiteFilterForm(Form):
    """Filtering sites by city and district (a GET form: no CSRF token needed)."""

    city = SelectField(_l("City"), choices=[], validate_choice=False)
    district = SelectField(_l("District"), choices=[], validate_choice=False)

"""The forms of the sampling journey, one per page, and of the manage page.

Each form only checks what was typed; whether a time can still be booked is decided by the
booking domain (portal.sampling.booking), never here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal import clock
from portal.forms import MobileNumber, PortalForm, TypedStringField
from portal.forms.base import PortalForm as _Base
from portal.forms.fields import InvalidResidentId, ResidentIdCheckFailed
from portal.models import ApplicantRole, DocumentType
from portal.sampling.booking import MAX_PARTY_SIZE
from portal.sampling.identity import InvalidDocumentNumber, normalise_document_number

ROLE_LABELS = {
    ApplicantRole.PARENT: _l("I am a parent of a missing child"),
    ApplicantRole.RELATIVE: _l("I am another relative of the person I am looking for"),
    ApplicantRole.SEEKING_BIRTH_FAMILY: _l("I am looking for my birth family"),
    ApplicantRole.AGENCY: _l("I work for an agency bringing a person whose identity is unknown"),
}
RELATIONSHIP_LABELS = {
    ApplicantRole.PARENT.value: _l("Parent of the person looked for"),
    ApplicantRole.RELATIVE.value: _l("Other relative"),
    ApplicantRole.SEEKING_BIRTH_FAMILY.value: _l("The person looking for their birth family"),
}
DOCUMENT_LABELS = {
    DocumentType.RESIDENT_ID.value: _l("Resident identity card"),
    DocumentType.PASSPORT.value: _l("Passport"),
    DocumentType.HK_MACAO_PERMIT.value: _l("Mainland travel permit for Hong Kong and Macao residents"),
    DocumentType.TAIWAN_PERMIT.value: _l("Mainland travel permit for Taiwan residents"),
    DocumentType.FOREIGN_PERMANENT_RESIDENCE.value: _l("Foreigner's permanent residence ID card"),
}
# A person's full name, on these forms and in the SMS booking's name question.
FULL_NAME_MAX = 100
SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "unknown": _l("Not sure")}
SAMPLED_BEFORE_LABELS = {"no": _l("No"), "yes": _l("Yes"), "unknown": _l("Not sure")}
_DATE_OR_YEAR = re.compile(r"(\d{4})(?:-(\d{1,2})-(\d{1,2}))?")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９－", "0123456789-")


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _one_of(labels: dict[str, Any], message: Any):  # type: ignore[no-untyped-def]
    def check(form: Any, field: Any) -> None:
        if field.data not in labels:
            raise ValidationError(str(message))

    return check


class DateOrYear:
    """WTForms validator: a year (2003) or a date (2003-05-17), not in the future and not before
    1900; keeps the text as typed (full-width digits folded)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        text = str(field.data).translate(_FULL_WIDTH_DIGITS).replace("/", "-").replace(".", "-")
        match = _DATE_OR_YEAR.fullmatch(text)
        if not match:
            raise ValidationError(str(self.message))
        year, month, day = match.groups()
        try:
            when = date(int(year), int(month or 1), int(day or 1))
        except ValueError as exc:
            raise ValidationError(str(self.message)) from exc
        if not date(1900, 1, 1) <= when <= clock.local_today():
            raise ValidationError(str(self.message))
        field.data = text


class WhoForm(PortalForm):
    """Page 1: who is booking, and how many people will give a sample."""

    role = RadioField(_l("Who is booking?"), choices=_choices({r.value: label for r, label in ROLE_LABELS.items()}),
                      validate_choice=False,
                      validators=[_one_of({r.value: 1 for r in ROLE_LABELS}, _l("Choose who is booking"))])
    party_size = RadioField(
        _l("How many people will give a sample?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, MAX_PARTY_SIZE + 1)], validate_choice=False,
    )

    def validate_party_size(self, field: Any) -> None:
        """1 to 4 people; an agency brings one person, so the question does not apply to it."""
        if self.role.data == ApplicantRole.AGENCY.value:
            field.data = "1"
            return
        if field.data not in {str(n) for n in range(1, MAX_PARTY_SIZE + 1)}:
            raise ValidationError(str(_l("Choose how many people will give a sample, from 1 to 4")))


class MissingPersonForm(PortalForm):
    """Page 2 for families: about the person they are looking for."""

    missing_name = StringField(_l("Name of the person you are looking for"), validators=[
        DataRequired(message=_l("Enter the name of the person you are looking for")),
        Length(max=100, message=_l("The name must be 100 characters or fewer")),
    ])
    missing_sex = RadioField(_l("Sex"), choices=_choices(SEX_LABELS), validate_choice=False,
                             validators=[_one_of(SEX_LABELS, _l("Choose the sex of the person, or Not sure"))])
    missing_born = StringField(_l("Date or year of birth"), validators=[
        DataRequired(message=_l("Enter the date or year of birth, like 2003 or 2003-05-17")),
        DateOrYear(_l("Enter the date or year of birth, like 2003 or 2003-05-17")),
    ])
    last_seen_on = StringField(_l("When were they last seen?"), validators=[
        DataRequired(message=_l("Enter when they were last seen, like 2008 or 2008-06-01")),
        DateOrYear(_l("Enter when they were last seen, like 2008 or 2008-06-01")),
    ])
    last_seen_place = StringField(_l("Where were they last seen?"), validators=[
        DataRequired(message=_l("Enter where they were last seen, like a town or a street")),
        Length(max=200, message=_l("The place must be 200 characters or fewer")),
    ])
    police_report = StringField(_l("Police report number"), validators=[
        Optional(), Length(max=60, message=_l("The police report number must be 60 characters or fewer")),
    ])
    sampled_before = RadioField(
        _l("Has anyone in your family given a blood sample for this search before?"),
        choices=_choices(SAMPLED_BEFORE_LABELS), validate_choice=False,
        validators=[_one_of(SAMPLED_BEFORE_LABELS, _l("Choose Yes, No or Not sure"))],
    )


class MemoriesForm(PortalForm):
    """Page 2 for a person looking for their birth family: what they remember."""

    remembered = TextAreaField(_l("What do you remember about your birth family and where you lived?"), validators=[
        DataRequired(message=_l("Tell us what you remember, even if it is very little")),
        Length(max=2000, message=_l("Keep it to 2,000 characters or fewer")),
    ])
    missing_born = StringField(_l("Your date or year of birth, as far as you know"), validators=[
        DataRequired(message=_l("Enter the date or year of birth, like 2003 or 2003-05-17")),
        DateOrYear(_l("Enter the date or year of birth, like 2003 or 2003-05-17")),
    ])
    last_seen_place = StringField(_l("Where do you think you were born or lived as a child?"), validators=[
        Optional(), Length(max=200, message=_l("The place must be 200 characters or fewer")),
    ])
    police_report = StringField(_l("Police report number"), validators=[
        Optional(), Length(max=60, message=_l("The police report number must be 60 characters or fewer")),
    ])
    sampled_before = RadioField(
        _l("Have you given a blood sample for this search before?"),
        choices=_choices(SAMPLED_BEFORE_LABELS), validate_choice=False,
        validators=[_one_of(SAMPLED_BEFORE_LABELS, _l("Choose Yes, No or Not sure"))],
    )


class AttendeeForm(Form):
    """One person who will give a sample (a sub-form of AttendeesForm, without its own CSRF)."""

    class Meta(_Base.Meta):
        csrf = False

    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name of each person")),
        Length(max=FULL_NAME_MAX, message=_l("Full name must be 100 characters or fewer")),
    ])
    relationship = SelectField(_l("Relationship to the person looked for"),
                               choices=_choices(RELATIONSHIP_LABELS), validate_choice=False,
                               validators=[_one_of(RELATIONSHIP_LABELS,
                                                   _l("Choose how each person is related to the person looked for"))])
    document_type = SelectField(_l("Identity document"), choices=_choices(DOCUMENT_LABELS), validate_choice=False,
                                validators=[_one_of(DOCUMENT_LABELS, _l("Choose the identity document"))])
    document_number = TypedStringField(_l("Document number"), validators=[
        DataRequired(message=_l("Enter the number of the identity document")),
    ])
    phone = TypedStringField(_l("Mobile number"), validators=[Optional(), MobileNumber()])

    def validate_document_number(self, field: Any) -> None:
        """The number must fit the chosen document (resident identity cards: full check, GB 11643-1999)."""
        if not field.data or self.document_type.data not in DOCUMENT_LABELS:
            return
        try:
            field.data = normalise_document_number(self.document_type.data, field.data)
        except ResidentIdCheckFailed as exc:
            raise ValidationError(str(_l(
                "Check the resident identity number: one of its characters does not match the card"))) from exc
        except InvalidResidentId as exc:
            raise ValidationError(str(_l(
                "Enter the 18-character resident identity number exactly as it is on the identity card"))) from exc
        except InvalidDocumentNumber as exc:
            raise ValidationError(str(_l("Enter the document number exactly as it is on the document"))) from exc


class AttendeesForm(PortalForm):
    """Page 3 for families: the one to four people who will give a sample. The first person's
    mobile number receives the booking's text messages."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            """Strip text like every portal form, except the list itself (its sub-form strips)."""
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            return _Base.Meta.bind_field(self, form, unbound_field, options)

    attendees = FieldList(FormField(AttendeeForm), min_entries=1, max_entries=MAX_PARTY_SIZE)

    def validate_attendees(self, field: Any) -> None:
        """The first person needs a mobile number; no document number twice."""
        first = field.entries[0].form
        if not first.phone.data and not first.phone.errors:
            first.phone.errors = [str(_l("Enter a mobile number, like 138 0013 8000"))]
            raise ValidationError("")
        seen: set[tuple[str, str]] = set()
        for entry in field.entries:
            key = (entry.form.document_type.data, entry.form.document_number.data)
            if entry.form.document_number.data and not entry.form.document_number.errors:
                if key in seen:
                    entry.form.document_number.errors = [str(_l(
                        "Each person needs their own identity document. Check the numbers you entered."))]
                    raise ValidationError("")
                seen.add(key)


class AgencyForm(PortalForm):
    """Page 3 for an agency: who brings the person, and a description of the person."""

    agency_name = StringField(_l("Name of your agency"), validators=[
        DataRequired(message=_l("Enter the name of your agency")),
        Length(max=200, message=_l("The name must be 200 characters or fewer")),
    ])
    contact_name = StringField(_l("Your full name"), validators=[
        DataRequired(message=_l("Enter your full name")),
        Length(max=FULL_NAME_MAX, message=_l("Full name must be 100 characters or fewer")),
    ])
    phone = TypedStringField(_l("Your mobile number"), validators=[
        DataRequired(message=_l("Enter a mobile number, like 138 0013 8000")), MobileNumber(),
    ])
    person_age = IntegerField(_l("Approximate age of the person, in years"), validators=[
        InputRequired(message=_l("Enter the approximate age in years, like 35")),
        NumberRange(min=0, max=120, message=_l("Enter the approximate age in years, like 35")),
    ])
    person_sex = RadioField(_l("Sex of the person"), choices=_choices(SEX_LABELS), validate_choice=False,
                            validators=[_one_of(SEX_LABELS, _l("Choose the sex of the person, or Not sure"))])
    cared_for_at = StringField(_l("Where is the person cared for?"), validators=[
        DataRequired(message=_l("Enter where the person is cared for, like the name of a care home")),
        Length(max=200, message=_l("The place must be 200 characters or fewer")),
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


class ConfirmForm(PortalForm):
    """A button with a CSRF token (book, cancel)."""


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


def flat_errors(form: Any) -> list[tuple[str, str]]:
    """(field id, first message) for every field with an error, sub-forms included, in page order."""
    found: list[tuple[str, str]] = []
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField"):
            continue
        if field.type == "FieldList":
            for entry in field.entries:
                found.extend(flat_errors(entry.form))
        elif field.errors and isinstance(field.errors, list) and field.errors[0]:
            suffix = "-0" if field.type == "RadioField" else ""
            found.append((field.id + suffix, str(field.errors[0])))
    return found

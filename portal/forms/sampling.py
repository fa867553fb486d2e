"""The sampling forms that the public booking pages and the staff sampling desk share: the people
who will give a sample, each with an identity document; the questions about the person looked for
(the case behind a sample: the journey asks them, the desk asks them of a walk-in, optional there),
as field factories; and the labels and choice helpers the other booking forms use too. Each form only checks what was typed; whether a booking can be made
is the booking domain's decision (portal.sampling.booking)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.core.identity import InvalidResidentId, ResidentIdCheckFailed
from portal.core.models import ApplicantRole, DocumentType
from portal.core.partial_dates import from_edtf
from portal.forms.base import PortalForm
from portal.forms.fields import MobileNumber, PartialDateField, PartialDateText, TypedStringField
from portal.forms.length import MaxLength
from portal.sampling.booking import FULL_NAME_MAX, MAX_PARTY_SIZE
from portal.sampling.case_details import SAMPLED_BEFORE_LABELS, SEX_LABELS
from portal.sampling.identity import InvalidDocumentNumber, normalise_document_number

RELATIONSHIP_LABELS: dict[str, Any] = {
    ApplicantRole.PARENT: _l("Parent of the person looked for"),
    ApplicantRole.RELATIVE: _l("Other relative"),
    ApplicantRole.SEEKING_BIRTH_FAMILY: _l("The person looking for their birth family"),
}
DOCUMENT_LABELS: dict[str, Any] = {
    DocumentType.RESIDENT_ID: _l("Resident identity card"),
    DocumentType.PASSPORT: _l("Passport"),
    DocumentType.HK_MACAO_PERMIT: _l("Mainland travel permit for Hong Kong and Macao residents"),
    DocumentType.TAIWAN_PERMIT: _l("Mainland travel permit for Taiwan residents"),
    DocumentType.FOREIGN_PERMANENT_RESIDENCE: _l("Foreigner's permanent residence ID card"),
}


def label_choices(labels: dict[str, Any]) -> list[SelectChoice]:
    """The choices of a radio or select field, in the order of `labels` ({value: label})."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def one_of(labels: dict[str, Any], message: Any):  # type: ignore[no-untyped-def]
    """A validator: the answer must be one of the keys of `labels`, else `message`."""
    def check(form: Any, field: Any) -> None:
        if field.data not in labels:
            raise ValidationError(str(message))

    return check


# ---- the case behind a sample (stored by portal.sampling.case_details) ------------------------

BIRTH_DATE_MESSAGE = _l("Enter the date of birth as far as you know, like 1990, May 1990 or 17 May 1990")
LAST_SEEN_MESSAGE = _l("Enter when they were last seen as far as you know, like 2008, June 2008 or 1 June 2008")
PLACE_TOO_LONG = _l("The place must be 200 characters or fewer")


def _required(required: bool, message: Any) -> list[Any]:
    return [DataRequired(message=message)] if required else [Optional()]


def last_seen_after_birth(form: Any, field: Any) -> None:
    """WTForms validator of `last_seen_on`: not before the form's `missing_born`, when both are
    given exactly enough to tell (an "about" date is a guess, and is not held against the other).
    Put after PartialDateText, which makes both EDTF."""
    born, seen = from_edtf(form.missing_born.data), from_edtf(field.data)
    if born is None or seen is None or born.approximate or seen.approximate:
        return
    if seen.latest() < born.earliest():
        raise ValidationError(str(_l("They cannot have been last seen before they were born: check both dates")))


def missing_name_field(label: Any = None, *, required: bool = True) -> Any:
    """The name of the person looked for (at most 100 characters). `label`: the question's
    words (default: the journey's, "Name of the person you are looking for")."""
    return StringField(label or _l("Name of the person you are looking for"), validators=[
        *_required(required, _l("Enter the name of the person you are looking for")),
        MaxLength(100, _l("The name must be 100 characters or fewer")),
    ])


def missing_sex_field(label: Any = None) -> Any:
    """Their sex, optional: a key of SEX_LABELS ("Not sure" among them)."""
    return RadioField(label or _l("Sex"), choices=label_choices(SEX_LABELS), validate_choice=False,
                      validators=[Optional(), one_of(SEX_LABELS, _l("Choose the sex of the person, or Not sure"))])


def born_field(label: Any, *, required: bool = True) -> Any:
    """A date of birth as far as it is known, stored as EDTF (portal.core.partial_dates)."""
    return PartialDateField(label, validators=[
        *_required(required, BIRTH_DATE_MESSAGE), PartialDateText(BIRTH_DATE_MESSAGE),
    ])


def last_seen_on_field(label: Any = None) -> Any:
    """When they were last seen, as far as it is known (EDTF), optional, not before their birth
    (the form needs a `missing_born` field declared before it)."""
    return PartialDateField(label or _l("When were they last seen?"), validators=[
        Optional(), PartialDateText(LAST_SEEN_MESSAGE), last_seen_after_birth,
    ])


def last_seen_place_field(label: Any) -> Any:
    """Where they were last seen (or, for someone looking for their birth family, where they
    think they lived), optional, at most 200 characters."""
    return StringField(label, validators=[Optional(), MaxLength(200, PLACE_TOO_LONG)])


def police_report_field() -> Any:
    """A police report number, optional, at most 60 characters."""
    return StringField(_l("Police report number"), validators=[
        Optional(), Length(max=60, message=_l("The police report number must be 60 characters or fewer")),
    ])


def remembered_field(label: Any, *, required: bool = True) -> Any:
    """What a person looking for their birth family remembers, at most 2,000 characters."""
    return TextAreaField(label, validators=[
        *_required(required, _l("Tell us what you remember, even if it is very little")),
        MaxLength(2000, _l("Keep it to 2,000 characters or fewer")),
    ])


def sampled_before_field(label: Any, *, required: bool = True) -> Any:
    """Whether the family gave a sample for this search before: a key of SAMPLED_BEFORE_LABELS."""
    return RadioField(label, choices=label_choices(SAMPLED_BEFORE_LABELS), validate_choice=False,
                      validators=[*([] if required else [Optional()]),
                                  one_of(SAMPLED_BEFORE_LABELS, _l("Choose Yes, No or Not sure"))])


class AttendeeForm(Form):
    """One person who will give a sample (a sub-form of AttendeesForm, without its own CSRF)."""

    class Meta(PortalForm.Meta):
        csrf = False

    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter the full name of each person")),
        MaxLength(FULL_NAME_MAX, _l("Full name must be 100 characters or fewer")),
    ])
    relationship = SelectField(_l("Relationship to the person looked for"),
                               choices=label_choices(RELATIONSHIP_LABELS), validate_choice=False,
                               validators=[one_of(RELATIONSHIP_LABELS,
                                                  _l("Choose how each person is related to the person looked for"))])
    document_type = SelectField(_l("Identity document"), choices=label_choices(DOCUMENT_LABELS), validate_choice=False,
                                validators=[one_of(DOCUMENT_LABELS, _l("Choose the identity document"))])
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
            return PortalForm.Meta.bind_field(self, form, unbound_field, options)  # type: ignore[arg-type]  # WTForms gives Meta its bases at run time

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

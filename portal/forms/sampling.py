"""The sampling forms that the public booking pages and the staff sampling desk share: the people
who will give a sample, each with an identity document, and the labels and choice helpers the
other booking forms use too. Each form only checks what was typed; whether a booking can be made
is the booking domain's decision (portal.sampling.booking)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from portal.core.identity import InvalidResidentId, ResidentIdCheckFailed
from portal.core.models import ApplicantRole, DocumentType
from portal.forms.base import PortalForm
from portal.forms.fields import MobileNumber, TypedStringField
from portal.forms.length import MaxLength
from portal.sampling.booking import FULL_NAME_MAX, MAX_PARTY_SIZE
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

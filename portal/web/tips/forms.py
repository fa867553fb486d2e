"""The forms of the tip journey (one per page), of the progress check, and of the tipster's answer."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import MaxLength, MobileNumber, PartialDateField, PartialDateText, PortalForm, TypedStringField
from portal.tips.labels import CATEGORY_LABELS, SEX_LABELS, TIME_OF_DAY_LABELS

DESCRIPTION_MAX = 5000
FOLLOW_UP_TEXT_MAX = 5000


def _required_choice(message: Any) -> dict[str, Any]:
    # Same words for "nothing chosen" and "a value that is not one of the choices".
    return {"validators": [DataRequired(message=message)], "invalid_choice_message": message}


def _max(length: int, message: Any) -> list[Any]:
    return [Length(max=length, message=message)]


def _at_most(length: int, message: Any) -> list[Any]:
    # Free text: the error also says how many characters to remove.
    return [MaxLength(length, message)]


class StepForm(PortalForm):
    """A page of the journey. `homepage` is the honeypot: hidden from people, filled by bots."""

    homepage = StringField(_l("Leave this empty"))

    def honeypot_filled(self) -> bool:
        """True when the hidden field was filled in (a bot)."""
        return bool(self.homepage.data)


class DangerForm(StepForm):
    child_in_danger = RadioField(
        _l("Is a child in danger right now?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        **_required_choice(_l("Select whether a child is in danger right now")),
    )


class WhatForm(StepForm):
    category = RadioField(
        _l("What is your report about?"),
        choices=[SelectChoice(category.value, label) for category, label in CATEGORY_LABELS.items()],
        **_required_choice(_l("Select what your report is about")),
    )
    description = TextAreaField(
        _l("What did you see?"),
        validators=[
            DataRequired(message=_l("Enter what you saw")),
            MaxLength(DESCRIPTION_MAX, _l("What you saw must be 5,000 characters or fewer")),
        ],
    )


class RegionForm(StepForm):
    """One level of the place: province, city or district, or "I do not know". Choices are set by the view."""

    division = SelectField(
        _l("Province"), choices=[], validate_choice=True, **_required_choice(_l("Select a province, or I do not know"))
    )


class RegionSearchForm(PortalForm):
    """The search box beside the province list: type a city or district name, like 海门."""

    q = StringField(_l("Or search for a city or district"), validators=_max(50, _l("Enter 50 characters or fewer")))


class PlaceForm(StepForm):
    place = TextAreaField(
        _l("Where exactly?"),
        validators=_at_most(500, _l("Where exactly must be 500 characters or fewer")),
    )


class WhenForm(StepForm):
    """The date as far as the tipster knows it (a day, a month, a year: optional), stored as
    EDTF, and a rough time of day."""

    seen_date = PartialDateField(_l("Date, as far as you know"), validators=[
        Optional(),
        PartialDateText(_l("Enter the date as far as you know, like 2026, November 2026 or 3 November 2026")),
    ])
    seen_time = RadioField(
        _l("About what time?"),
        choices=[SelectChoice(value, words) for value, words in TIME_OF_DAY_LABELS.items()],
        validators=[],
        validate_choice=False,
    )

    def validate_seen_time(self, field: Any) -> None:
        """Only one of the offered times, or nothing."""
        if field.data and field.data not in TIME_OF_DAY_LABELS:
            raise ValidationError(_l("Select about what time, or Not sure"))


class WhoForm(StepForm):
    child_age = StringField(_l("About how old is the child?"), validators=_at_most(100, _l("Enter 100 characters or fewer")))
    child_sex = RadioField(
        _l("Is the child a girl or a boy?"),
        choices=[SelectChoice(value, words) for value, words in SEX_LABELS.items()],
        validators=[],
        validate_choice=False,
    )
    child_height = StringField(_l("About how tall?"), validators=_at_most(100, _l("Enter 100 characters or fewer")))
    child_clothing = TextAreaField(_l("What were they wearing?"), validators=_at_most(1000, _l("Enter 1,000 characters or fewer")))
    child_marks = TextAreaField(
        _l("Anything that would help recognise them"), validators=_at_most(1000, _l("Enter 1,000 characters or fewer"))
    )
    child_language = StringField(
        _l("What language or dialect did they speak?"), validators=_at_most(200, _l("Enter 200 characters or fewer"))
    )
    adults_description = TextAreaField(
        _l("The adults with the child"), validators=_at_most(2000, _l("Enter 2,000 characters or fewer"))
    )
    vehicle_description = StringField(_l("Vehicle"), validators=_at_most(500, _l("Enter 500 characters or fewer")))
    vehicle_plate = StringField(_l("Number plate"), validators=_max(20, _l("Enter 20 characters or fewer")))

    def validate_child_sex(self, field: Any) -> None:
        """Only one of the offered answers, or nothing."""
        if field.data and field.data not in SEX_LABELS:
            raise ValidationError(_l("Select girl, boy or not sure"))


class PhotosForm(StepForm):
    photos = MultipleFileField(_l("Add photos"))
    keep_location = BooleanField(_l("Keep the place where the photos were taken"))


class ContactForm(StepForm):
    contact_name = StringField(
        _l("Your name"),
        validators=[MaxLength(100, _l("Your name must be 100 characters or fewer"))],
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


class SendForm(StepForm):
    """The check page's "Send report" button."""


class SavedCodeForm(PortalForm):
    """"I have saved my code" on the confirmation page."""


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


class AnswerForm(PortalForm):
    """The tipster's answer to a staff question, or anything they want to add, with photos."""

    question_id = HiddenField()
    text = TextAreaField(
        _l("Your answer or new information"),
        validators=_at_most(FOLLOW_UP_TEXT_MAX, _l("What you write must be 5,000 characters or fewer")),
    )
    photos = MultipleFileField(_l("Add photos"))
    keep_location = BooleanField(_l("Keep the place where the photos were taken"))

"""Forms of the staff sampling pages: site settings (with the tube label format), closures,
import, check-in, samples and their corrections, closing a visit, a walk-in's case details, moves."""

from __future__ import annotations

from typing import Any, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import PortalForm
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
from portal.sampling.visits import MAX_NOTE_LENGTH, NOT_SAMPLED_REASONS
from portal.sampling.importer import parse_weekday_hours
from portal.core.tube_numbers import MAX_FORMAT_LENGTH, LabelFormatError, parse_label_format

WEEKDAY_FIELDS = ("hours_mon", "hours_tue", "hours_wed", "hours_thu", "hours_fri", "hours_sat", "hours_sun")


class PeriodsText:
    """WTForms validator: opening periods like "09:00-12:00, 14:00-17:00" (or empty: closed)."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            parse_weekday_hours(field.data)
        except ValueError as exc:
            raise ValidationError(str(_l("Enter opening periods like 09:00-12:00, 14:00-17:00"))) from exc


def _hours(label: Any) -> StringField:
    return StringField(label, validators=[Optional(), PeriodsText()])


# What the site form says for each reason a label format cannot be used (LabelFormatError.code).
LABEL_FORMAT_ERRORS = {
    "unclosed_brace": _l("Close every part in braces, like NT{YYYYMMDD}-{NNN}"),
    "unknown_part": _l("In braces use only {YYYY}, {YY}, {MM}, {DD}, {YYYYMMDD}, {YYMMDD}, or one N for each "
                       "running digit, like {NNN}"),
    "bad_character": _l("Use only letters, digits, spaces, hyphens and parts in braces, like NT{YYYYMMDD}-{NNN}"),
    "repeated_date_part": _l("Use the year, the month and the day once each"),
    "no_running_digits": _l("Add running digits in braces, like {NNN}"),
    "too_long": _l("Labels in this format would have more than 40 letters and digits. Make the format shorter"),
    "check_needs_digits": _l("ISO/IEC 7064 MOD 11-2 works on digits only. Take the letters out of the format, "
                             "or choose MOD 37,36"),
    "check_needs_format": _l("Enter a label format to use a check character"),
    "unknown_check": _l("Choose a check character from the list"),
}

# Far longer than any label, so never a label cut short; check_tube_number refuses over 40.
TUBE_TOO_LONG = _l("A tube number has at most 40 letters and digits. Check the label and type it again.")

CHECK_CHOICES = [
    SelectChoice("", _l("None")),
    SelectChoice("mod_37_36", _l("MOD 37,36: one letter or digit")),
    SelectChoice("mod_97_10", _l("MOD 97-10: two digits")),
    SelectChoice("mod_11_2", _l("MOD 11-2: one digit or X")),
]


class SiteForm(PortalForm):
    """A sampling site's details and booking rules. Hours are in the site's local time."""

    name = StringField(_l("Site name"), validators=[DataRequired(message=_l("Enter the site's name")), Length(
        max=200, message=_l("Site name must be 200 characters or fewer"))])
    province = StringField(_l("Province"), validators=[DataRequired(message=_l("Enter the province")), Length(
        max=50, message=_l("Province must be 50 characters or fewer"))])
    city = StringField(_l("City"), validators=[DataRequired(message=_l("Enter the city")), Length(
        max=100, message=_l("City must be 100 characters or fewer"))])
    district = StringField(_l("District"), validators=[Optional(), Length(
        max=100, message=_l("District must be 100 characters or fewer"))])
    address = StringField(_l("Address"), validators=[Optional(), Length(
        max=300, message=_l("Address must be 300 characters or fewer"))])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(
        max=100, message=_l("Contact person must be 100 characters or fewer"))])
    # One phone a line; read in the view with the city typed (an area code may be added).
    phones = TextAreaField(_l("Phones"), validators=[Optional(), Length(
        max=1000, message=_l("Phones must be 1,000 characters or fewer"))])
    accessibility_notes = TextAreaField(_l("Accessibility notes"), validators=[Optional(), Length(
        max=1000, message=_l("Accessibility notes must be 1,000 characters or fewer"))])
    timezone = StringField(_l("Time zone"), default="Asia/Shanghai",
                           validators=[DataRequired(message=_l("Enter a time zone, like Asia/Shanghai"))])
    hours_mon = _hours(_l("Monday"))
    hours_tue = _hours(_l("Tuesday"))
    hours_wed = _hours(_l("Wednesday"))
    hours_thu = _hours(_l("Thursday"))
    hours_fri = _hours(_l("Friday"))
    hours_sat = _hours(_l("Saturday"))
    hours_sun = _hours(_l("Sunday"))
    slot_minutes = IntegerField(_l("Slot length in minutes"), default=20, validators=[
        InputRequired(message=_l("Enter the slot length in minutes, from 5 to 240")),
        NumberRange(min=5, max=240, message=_l("Enter the slot length in minutes, from 5 to 240"))])
    places_per_slot = IntegerField(_l("Places per slot"), default=3, validators=[
        InputRequired(message=_l("Enter the places per slot, from 1 to 50")),
        NumberRange(min=1, max=50, message=_l("Enter the places per slot, from 1 to 50"))])
    booking_horizon_days = IntegerField(_l("How many days ahead people may book"), default=60, validators=[
        InputRequired(message=_l("Enter a number of days from 1 to 366")),
        NumberRange(min=1, max=366, message=_l("Enter a number of days from 1 to 366"))])
    minimum_notice_minutes = IntegerField(_l("Minimum notice in minutes"), default=60, validators=[
        InputRequired(message=_l("Enter the minimum notice in minutes, from 0 to 10080")),
        NumberRange(min=0, max=10080, message=_l("Enter the minimum notice in minutes, from 0 to 10080"))])
    active = BooleanField(_l("Taking bookings"), default=True)
    tube_label_format = StringField(_l("Tube label format"), validators=[
        Optional(), Length(max=MAX_FORMAT_LENGTH, message=_l("Make the format shorter: at most 60 characters"))])
    tube_check_algorithm = SelectField(_l("Check character (ISO/IEC 7064)"), choices=CHECK_CHOICES, default="",
                                       validate_choice=False)

    def validate_tube_label_format(self, field: Any) -> None:
        """A format `portal.core.tube_numbers.parse_label_format` reads, with the check chosen."""
        try:
            parse_label_format(field.data, self.tube_check_algorithm.data or None)
        except LabelFormatError as exc:
            raise ValidationError(str(LABEL_FORMAT_ERRORS[exc.code])) from exc

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then: a check character needs a label format (Optional stops
        the format's own check when it is empty)."""
        valid = super().validate(extra_validators)
        if self.tube_check_algorithm.data and not (self.tube_label_format.data or "").strip():
            self.tube_label_format.errors = [*self.tube_label_format.errors,
                                             str(LABEL_FORMAT_ERRORS["check_needs_format"])]
            return False
        return valid

    def validate_timezone(self, field: Any) -> None:
        """An IANA time zone name the server knows."""
        try:
            ZoneInfo(field.data)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(str(_l("Enter a time zone, like Asia/Shanghai"))) from exc


class RemoveClosureForm(PortalForm):
    """Removing a closure: only the CSRF token (the closure is named in the URL)."""


class ClosureForm(PortalForm):
    """A closure: one day, or a range of days (inclusive), in the site's local calendar."""

    starts_on = DateField(_l("First day closed"), validators=[
        InputRequired(message=_l("Enter the first day closed, like 2026-10-01"))])
    ends_on = DateField(_l("Last day closed"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(
        max=200, message=_l("Reason must be 200 characters or fewer"))])

    def validate_ends_on(self, field: Any) -> None:
        """The last day is on or after the first (empty: the same day)."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(str(_l("The last day closed must be on or after the first day")))


class ImportForm(PortalForm):
    """A published list of sites (.xlsx or .csv)."""

    file = FileField(_l("List of sites (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose the list of sites, an .xlsx or .csv file"))])
    # For rows without a province or city (a list that gives its city only in its title).
    province = StringField(_l("Province of sites the list gives none for"), validators=[
        Optional(), Length(max=50, message=_l("Province must be 50 characters or fewer"))])
    city = StringField(_l("City of sites the list gives none for"), validators=[
        Optional(), Length(max=100, message=_l("City must be 100 characters or fewer"))])


class CheckInForm(PortalForm):
    """A booking reference, typed or scanned from the family's QR code."""

    # Long enough for a QR code's whole content, such as a link with the reference in it.
    reference = StringField(_l("Reference number or QR code"), validators=[
        DataRequired(message=_l("Enter or scan the reference number")),
        Length(max=500, message=_l("Reference number or QR code must be 500 characters or fewer"))])


def samples_form(people: Sequence[tuple[int, str]], hint: str | None = None, formdata: Any = None) -> PortalForm:
    """The desk's tube number boxes: one per (attendee id, label) in `people` (those with no
    number saved yet), each named `tube-<attendee id>`. `formdata`: the posted form, or None to
    show empty boxes. `hint` is shown under every box (the site's example label)."""

    class SamplesForm(PortalForm):
        pass

    for attendee_id, label in people:
        setattr(SamplesForm, f"tube-{attendee_id}", StringField(
            label, description=hint or "", validators=[Optional(), Length(max=200, message=TUBE_TOO_LONG)]))
    return SamplesForm(formdata=formdata)


class TubeCorrectionForm(PortalForm):
    """Correcting a saved tube number afterwards: whose, the right number (empty: remove it), why.
    The view sets the person choices (attendee ids)."""

    # The view's choices start with an empty "Choose the person", so nobody is preselected;
    # validate_attendee refuses it and any unknown choice.
    attendee = SelectField(_l("Person"), choices=[], validate_choice=False)
    tube_number = StringField(_l("Right tube number"), validators=[Optional(), Length(max=200, message=TUBE_TOO_LONG)])
    reason = TextAreaField(_l("Reason for the correction"), validators=[
        DataRequired(message=_l("Enter why you are correcting the tube number")),
        Length(max=500, message=_l("Write the reason in 500 characters or fewer"))])

    def validate_attendee(self, field: Any) -> None:
        """One of the people offered (someone of this booking with a saved tube number)."""
        if not field.data or field.data not in {choice.value for choice in self.attendee.choices}:
            raise ValidationError(str(_l("Choose the person")))


class StaffSlotForm(PortalForm):
    """Choosing a slot for a family (the view sets the choices)."""

    slot = SelectField(_l("Time"), choices=[], validate_choice=False,
                       validators=[DataRequired(message=_l("Choose a time"))])

    def validate_slot(self, field: Any) -> None:
        """An ASCII integer id."""
        if not str(field.data or "").isascii() or not str(field.data or "").isdigit() or len(field.data) > 9:
            raise ValidationError(str(_l("Choose one of the times shown")))


class WalkInCaseForm(PortalForm):
    """The case behind a walk-in's sample or a booking made for a family, every question optional:
    the public journey's questions (portal.forms.sampling's field factories, the same checks and
    stored forms), worded for staff who type what the family says. Posted with the walk-in's or
    the booking's people form, whose CSRF token covers the one POST."""

    class Meta:
        csrf = False

    missing_name = missing_name_field(_l("Name of the person looked for"), required=False)
    missing_sex = missing_sex_field(_l("Sex of the person looked for"))
    missing_born = born_field(_l("Their date of birth, as far as known"), required=False)
    last_seen_on = last_seen_on_field()
    last_seen_place = last_seen_place_field(_l("Where were they last seen?"))
    police_report = police_report_field()
    remembered = remembered_field(_l("What a person looking for their birth family remembers"), required=False)
    sampled_before = sampled_before_field(_l("Has the family given a blood sample for this search before?"),
                                          required=False)


class FamilyConsentForm(PortalForm):
    """The family's consent, asked by the desk before a walk-in is registered or a booking is made
    for them: to the use of their DNA samples only to identify missing people (required), and a
    parent's or guardian's for each person under MINIMUM_AGE_WITHOUT_GUARDIAN (checked against the
    people's ages by the caller). Posted with the people form, whose CSRF token covers the POST."""

    class Meta:
        csrf = False

    consent = BooleanField(_l("The family agrees that the samples are used only to identify missing people"),
                           validators=[DataRequired(message=_l("Ask the family for their consent, then tick the box."))])
    guardian_consent = BooleanField(_l("A parent or guardian agrees for each person under 14"))


# The languages a family's text messages can be in (portal.core.i18n.LANGUAGES), Chinese first:
# the desk asks, rather than taking the staff member's screen language.
SMS_LANGUAGE_LABELS = {"zh": _l("Chinese"), "en": _l("English")}


class SmsLanguageForm(PortalForm):
    """The language of the family's text messages, asked by the desk for a walk-in or a booking
    made for the family: Chinese unless the family asks for English (stored as
    `appointment.language`). Posted with the people form, whose CSRF token covers the POST."""

    class Meta:
        csrf = False

    sms_language = RadioField(_l("Language of the family's text messages"), choices=label_choices(SMS_LANGUAGE_LABELS),
                              default="zh", validate_choice=False, validators=[
                                  one_of(SMS_LANGUAGE_LABELS, _l("Choose the language of the family's text messages"))])


def close_visit_form(people: Sequence[tuple[int, str]], formdata: Any = None) -> PortalForm:
    """Closing a visit with someone not sampled: for each (attendee id, name) in `people` (those
    with no sample recorded), a reason `reason-<id>` (a key of NOT_SAMPLED_REASONS, none chosen at
    first) and an optional note `note-<id>`. `formdata`: the posted form, or None."""

    class CloseVisitForm(PortalForm):
        pass

    choices = [SelectChoice("", _l("Choose why")), *label_choices(NOT_SAMPLED_REASONS)]
    for attendee_id, name in people:
        setattr(CloseVisitForm, f"reason-{attendee_id}", SelectField(
            _l("Why was no sample taken from %(name)s?", name=name), choices=choices, validate_choice=False,
            validators=[_one_reason(_l("Choose why no sample was taken from %(name)s", name=name))]))
        setattr(CloseVisitForm, f"note-{attendee_id}", StringField(
            _l("Note about %(name)s", name=name), validators=[
                _note_for_other(f"reason-{attendee_id}", _l("Say in the note why no sample was taken from %(name)s",
                                                            name=name)),
                # No Optional(): it would clear the error above when the note is empty.
                Length(max=MAX_NOTE_LENGTH, message=_l("Write the note in 500 characters or fewer"))]))
    return CloseVisitForm(formdata=formdata)


def _one_reason(message: Any):  # type: ignore[no-untyped-def]
    def check(form: Any, field: Any) -> None:
        if field.data not in NOT_SAMPLED_REASONS:
            raise ValidationError(str(message))

    return check


def _note_for_other(reason_field: str, message: Any):  # type: ignore[no-untyped-def]
    """A note is needed when the reason chosen is "other"."""
    def check(form: Any, field: Any) -> None:
        if form[reason_field].data == "other" and not field.data:
            raise ValidationError(str(message))

    return check

"""Forms of the staff sampling pages: site settings, closures, import, check-in, samples, moves."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import PortalForm
from portal.sampling.importer import parse_weekday_hours

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


class SiteForm(PortalForm):
    """A sampling site's details and booking rules. Hours are in the site's local time."""

    name = StringField(_l("Site name"), validators=[DataRequired(message=_l("Enter the site's name")), Length(max=200)])
    province = StringField(_l("Province"), validators=[DataRequired(message=_l("Enter the province")), Length(max=50)])
    city = StringField(_l("City"), validators=[DataRequired(message=_l("Enter the city")), Length(max=100)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    accessibility_notes = TextAreaField(_l("Accessibility notes"), validators=[Optional(), Length(max=1000)])
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
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])

    def validate_ends_on(self, field: Any) -> None:
        """The last day is on or after the first (empty: the same day)."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(str(_l("The last day closed must be on or after the first day")))


class ImportForm(PortalForm):
    """A published list of sites (CSV)."""

    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file"))])


class CheckInForm(PortalForm):
    """A booking reference, typed or scanned from the family's QR code."""

    reference = StringField(_l("Reference number or QR code"), validators=[
        DataRequired(message=_l("Enter or scan the reference number")), Length(max=60)])


class StaffSlotForm(PortalForm):
    """Choosing a slot for a family (the view sets the choices)."""

    slot = SelectField(_l("Time"), choices=[], validate_choice=False,
                       validators=[DataRequired(message=_l("Choose a time"))])

    def validate_slot(self, field: Any) -> None:
        """An ASCII integer id."""
        if not str(field.data or "").isascii() or not str(field.data or "").isdigit() or len(field.data) > 9:
            raise ValidationError(str(_l("Choose one of the times shown")))

"""Staff console forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import MobileNumber, PortalForm, TypedStringField
from portal.models import ItemStatus, Priority
from portal.staff.labels import choices


class LoginForm(PortalForm):
    """Username and password. The password is kept exactly as typed (no whitespace stripping)."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            """Keep passwords exactly as typed; strip every other field as PortalForm does."""
            if unbound_field.field_class is PasswordField:
                return unbound_field.bind(form=form, **options)
            return super().bind_field(form, unbound_field, options)

    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Enter your username")), Length(max=80)]
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class CodeForm(PortalForm):
    """The 6-digit one-time code from an authenticator app (spaces allowed: "123 456")."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Enter the 6-digit code your authenticator app shows now")), Length(max=20)],
    )


class ContactForm(PortalForm):
    """A correction of a tip's contact details. An empty box removes that detail."""

    contact_name = StringField(
        _l("Contact name"),
        validators=[Optional(), Length(max=100, message=_l("Contact name must be 100 characters or fewer"))],
    )
    contact_phone = TypedStringField(_l("Contact mobile number"), validators=[Optional(), MobileNumber()])


class StatusForm(PortalForm):
    """An item's status and priority."""

    status = SelectField(_l("Status"), validators=[DataRequired(_l("Select a status"))])
    # InputRequired, not DataRequired: priority 0 (urgent) is a real answer.
    priority = SelectField(_l("Priority"), coerce=int, validators=[InputRequired(_l("Select a priority"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices("status")
        self.priority.choices = choices("priority")

    def chosen(self) -> tuple[ItemStatus, Priority]:
        """The chosen status and priority (call after validate: the choices are checked there)."""
        return ItemStatus(self.status.data), Priority(self.priority.data)

"""Staff console forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.forms import MaxLength, MobileNumber, PortalForm, TypedStringField
from portal.core.models import ItemStatus
from portal.core.permissions import Role
from portal.core.query_args import in_day_range
from portal.staff.labels import choices, label
from portal.staff.queue import ALL, ATTENTION, NOBODY, OPEN, PRIORITY, QueueFilters


# Selects whose validator makes WTForms print `required`: the forms are `novalidate` (server-side
# validation only), and a required select would need an empty first option to be valid HTML.
NOT_REQUIRED = {"required": False}


class DayInRange:
    """A date field's day must lie in the years the portal can compute with (1900-2999)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is not None and not in_day_range(field.data):
            raise ValidationError(_l("Enter a date between 1900 and 2999, like 2026-03-01"))


def int_or_none(value: Any) -> int | None:
    """A select's value as an id: an int, or None for no choice ("", "None", None) and for anything
    that is not a whole number (a tampered form), which the form's validation then refuses."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class LoginForm(PortalForm):
    """Username and password. The password is kept exactly as typed (no whitespace stripping)."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            """Keep passwords exactly as typed; strip every other field as PortalForm does."""
            if unbound_field.field_class is PasswordField:
                return unbound_field.bind(form=form, **options)
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]  # WTForms gives Meta its bases at run time

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


class CategoryForm(PortalForm):
    """What was seen (a tip's category), set or corrected by staff."""

    category = SelectField(_l("What was seen"), render_kw=NOT_REQUIRED,
                           validators=[DataRequired(_l("Choose what was seen"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = choices("category")


class RegionChoiceForm(PortalForm):
    """The region chosen on the item's region page: a six-digit division code, or "unknown".
    The view checks the code names a division (`portal.core.regions`)."""

    region = StringField(_l("Region"), validators=[DataRequired(_l("Choose the region, or Not known"))])


class MoveForm(PortalForm):
    """Move an item along the workflow. `expected` is the status the officer saw on the page."""

    expected = HiddenField()
    target = SelectField(_l("New status"), render_kw=NOT_REQUIRED, validators=[DataRequired(_l("Select the new status"))])
    outcome = SelectField(_l("Outcome (when closing)"), validators=[Optional()])
    working_group = SelectField(_l("Working group (when accepting)"), coerce=int_or_none, validators=[Optional()])

    def __init__(self, *args: Any, targets: list[ItemStatus] | None = None, groups: list[tuple[int, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target.choices = [(s.value, label("status", s.value)) for s in (targets or list(ItemStatus))]
        self.outcome.choices = [("", _l("Choose an outcome"))] + choices("outcome")
        self.working_group.choices = [("", _l("Choose a working group"))] + [(gid, name) for gid, name in (groups or [])]

    def validate(self, extra_validators: Any = None) -> bool:
        """Also require an outcome when closing and a working group when accepting, and refuse an
        `expected` status that is not one (a tampered or damaged page)."""
        ok = super().validate(extra_validators)
        if self.expected.data not in {s.value for s in ItemStatus}:
            self.target.errors = list(self.target.errors) + [
                _l("This page is out of date. Reload the page, then try again.")]
            ok = False
        if self.target.data == ItemStatus.CLOSED and not self.outcome.data:
            self.outcome.errors = list(self.outcome.errors) + [_l("Choose why the item is closed")]
            ok = False
        if self.target.data == ItemStatus.ASSIGNED and self.working_group.data is None:
            self.working_group.errors = list(self.working_group.errors) + [_l("Choose the working group that will verify this lead")]
            ok = False
        return ok


class PriorityForm(PortalForm):
    """A new priority and the reason for it (recorded)."""

    # InputRequired, not DataRequired: priority 0 (urgent) is a real answer.
    priority = SelectField(_l("Priority"), coerce=int, render_kw=NOT_REQUIRED, validators=[InputRequired(_l("Select a priority"))])
    reason = TextAreaField(
        _l("Why are you changing the priority?"),
        validators=[DataRequired(_l("Enter why you are changing the priority")),
                    MaxLength(1000, _l("Reason must be 1,000 characters or fewer"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = choices("priority")


class GroupForm(PortalForm):
    """Hand an accepted lead to another working group."""

    group = SelectField(_l("Working group"), coerce=int_or_none, render_kw=NOT_REQUIRED, validators=[InputRequired(_l("Choose a working group"))])

    def __init__(self, *args: Any, groups: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group.choices = [(gid, name) for gid, name in (groups or [])]


class NoteForm(PortalForm):
    """An internal note (staff only)."""

    note = TextAreaField(
        _l("Internal note"),
        validators=[DataRequired(_l("Enter the note")), MaxLength(5000, _l("Note must be 5,000 characters or fewer"))],
    )


class AttachmentForm(PortalForm):
    """A photo or a PDF to attach to the item (checked and cleaned by `portal.triage.attachments`)."""

    attachment = FileField(_l("Attach a photo or a PDF"),
                           validators=[FileRequired(message=_l("Choose a photo or a PDF to attach"))])


class LinkForm(PortalForm):
    """Link or merge with another item, named by its reference number."""

    other = StringField(_l("Reference number of the other item"), validators=[DataRequired(_l("Enter a reference number, like TY-7K3M-9Q2P")), Length(max=40)])
    merge = SelectField(_l("What to do"), choices=[("link", _l("Link the two items (both stay open)")),
                                                   ("merge", _l("Merge: close this item as a duplicate of the other"))],
                        render_kw=NOT_REQUIRED, validators=[DataRequired()])


class RedactForm(PortalForm):
    """Blank out one contact detail of a tip (name or mobile number), with the reason."""

    field = SelectField(_l("Contact detail to remove"), render_kw=NOT_REQUIRED,
                        validators=[DataRequired(_l("Choose the contact detail to remove"))])
    redact_reason = TextAreaField(
        _l("Why must it be removed?"),
        validators=[DataRequired(_l("Enter why this contact detail must be removed")),
                    MaxLength(1000, _l("Reason must be 1,000 characters or fewer"))],
    )

    def __init__(self, *args: Any, fields: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field.choices = fields or []


class RedactPassageForm(PortalForm):
    """Remove a passage (typed or pasted) from every text of an item, with the reason."""

    passage = TextAreaField(
        _l("Passage to remove"),
        validators=[DataRequired(_l("Type or paste the passage to remove")),
                    MaxLength(1000, _l("Passage must be 1,000 characters or fewer"))],
    )
    passage_reason_kind = SelectField(_l("Why must it be removed?"), render_kw=NOT_REQUIRED,
                                      validators=[DataRequired(_l("Choose why this passage must be removed"))])
    passage_reason = TextAreaField(
        _l("More about why (optional)"),
        description=_l("Kept with the removal and erased with the item. Do not repeat the passage."),
        validators=[Optional(), MaxLength(1000, _l("Reason must be 1,000 characters or fewer"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passage_reason_kind.choices = [("", _l("Choose a reason"))] + choices("removal_reason")


class RevealContactForm(PortalForm):
    """Show a tipster's masked contact details in full, with the reason (kept as a note, audited)."""

    reveal_reason = TextAreaField(
        _l("Why do you need the full contact details?"),
        validators=[DataRequired(_l("Enter why you need the full contact details")),
                    MaxLength(1000, _l("Reason must be 1,000 characters or fewer"))],
    )


class QueueFilterForm(PortalForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token).

    Text is stripped of spaces and NUL characters (PortalForm). A filter that does not validate
    (an unknown group, a day outside 1900-2999) is shown with its error and otherwise ignored.
    """

    class Meta:
        csrf = False

    q = StringField(_l("Search descriptions and messages"), description=_l(
        "Or type a reference number, like TY-7K3M-9Q2P, to find that item whatever its kind and status."), validators=[Optional(), Length(max=100, message=_l("Search must be 100 characters or fewer"))])
    sort = SelectField(_l("Order"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    region = StringField(_l("Region or place"), validators=[Optional(), Length(max=100)])
    group = SelectField(_l("Working group"), validators=[Optional()])
    owner = SelectField(_l("Officer responsible"), validators=[Optional()])
    mine = BooleanField(_l("My items (I am responsible)"))
    overdue = BooleanField(_l("Overdue only"))
    replied = BooleanField(_l("Tipster replied, not yet opened"))
    received_from = DateField(_l("Received from"), validators=[Optional(), DayInRange()], format="%Y-%m-%d")
    received_to = DateField(_l("Received to"), validators=[Optional(), DayInRange()], format="%Y-%m-%d")

    def __init__(self, *args: Any, groups: list[tuple[int, str]] | None = None,
                 owners: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", _l("Any"))
        self.sort.choices = [("", _l("Needs attention first")), (PRIORITY, _l("Most urgent, then oldest"))]
        # Sampling bookings are handled in the sampling views: left out unless asked for.
        self.kind.choices = [("", _l("Tips and SMS messages")), (ALL, _l("Any, sampling appointments included"))] + choices("kind")
        self.status.choices = [("", _l("Open (not closed)")), ("all", _l("Any status"))] + choices("status")
        self.priority.choices = [anything] + [(str(v), t) for v, t in choices("priority")]
        self.channel.choices = [anything] + choices("channel")
        self.group.choices = [anything] + [(str(gid), name) for gid, name in (groups or [])]
        self.owner.choices = [anything, (NOBODY, _l("Nobody yet"))] + [(str(uid), name) for uid, name in (owners or [])]

    def filters(self, timezone: str) -> QueueFilters:
        """The filters chosen (call after validate; fields with errors are ignored)."""

        def valid(name: str) -> Any:
            field = getattr(self, name)
            return None if field.errors or field.data in (None, "") else field.data

        return QueueFilters(
            kind=valid("kind"),
            status=valid("status") or OPEN,
            priority=int(valid("priority")) if valid("priority") is not None else None,
            channel=valid("channel"),
            region=valid("region"),
            working_group_id=int(valid("group")) if valid("group") is not None else None,
            mine=bool(self.mine.data),
            owner=NOBODY if valid("owner") == NOBODY else int(valid("owner")) if valid("owner") is not None else None,
            overdue=bool(self.overdue.data),
            replied=bool(self.replied.data),
            received_from=valid("received_from"),
            received_to=valid("received_to"),
            text=valid("q"),
            timezone=timezone,
            order=valid("sort") or ATTENTION,
        )


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered by the `checkboxes` macro of
    templates/components/forms.html, whose error summary links to the first box). Each value
    is an id (int); one not offered is refused."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)


# Made before the fields below, so that a new account's form lists (and its error summary links)
# the username first: WTForms orders fields by when they were made.
_USERNAME = StringField(_l("Username"), validators=[DataRequired(_l("Enter a username")),
                                                    Length(max=80, message=_l("Username must be 80 characters or fewer"))])


class _AccountFields(PortalForm):
    """What an account's role decides: the role itself (no default: an admin account made by
    a slip of the mouse could do everything), the working group, and, for site staff, their
    sampling sites (offered from `site_choices`: (id, name) pairs)."""

    # A value not offered (a forged or stale page) gets our own message, not WTForms' own
    # (English for the sites, a bare "not a valid choice" for the others).
    role = SelectField(_l("Role"), render_kw=NOT_REQUIRED, validators=[DataRequired(_l("Choose a role"))],
                       invalid_choice_message=_l("Choose one of the roles offered"))
    working_group = SelectField(_l("Working group"), coerce=int_or_none, validators=[Optional()],
                                invalid_choice_message=_l("Choose one of the working groups offered"),
                                invalid_value_message=_l("Choose one of the working groups offered"))
    # No Optional(): it would stop the chain before validate_sites sees an empty list.
    sites = CheckboxListField(_l("Sampling sites"), invalid_choice_message=_l("Tick only the sampling sites offered"),
                              invalid_value_message=_l("Tick only the sampling sites offered"))

    def __init__(self, *args: Any, groups: list[tuple[int, str]] | None = None,
                 site_choices: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Choose a role"))] + choices("role")
        self.working_group.choices = [("", _l("None"))] + [(gid, name) for gid, name in (groups or [])]
        self.sites.choices = list(site_choices or [])

    def validate_working_group(self, field: SelectField) -> None:
        """Site staff have no working group (README, "Roles": they see their sites' appointments,
        not leads), so one is refused rather than kept unused on their account. A value that is no
        id (`int_or_none` reads it as none) is refused too, never taken as "None"."""
        offered = {str(value) for value, _label in field.choices} | {"None"}
        if field.raw_data and field.raw_data[0] not in offered:
            raise ValidationError(_l("Choose one of the working groups offered"))
        if self.role.data == Role.SITE_STAFF and field.data is not None:
            raise ValidationError(_l("Sampling site staff have no working group. Choose “None”, or another role."))

    def validate_sites(self, field: CheckboxListField) -> None:
        """Site staff see only their sites' bookings, so they need at least one; other roles
        have none (their pages do not depend on sites)."""
        if self.role.data == Role.SITE_STAFF and not field.data:
            raise ValidationError(_l("Choose at least one sampling site for a site staff account"))
        if self.role.data and self.role.data != Role.SITE_STAFF and field.data:
            raise ValidationError(_l("Sampling sites are for site staff only. Untick them, or choose the role Sampling site staff."))


class AccountForm(_AccountFields):
    """A new staff account (its first password is made for it and shown once)."""

    username = _USERNAME


class AccountRoleForm(_AccountFields):
    """An account's role, working group and (site staff) sampling sites."""

"""Forms of closing a site's days: an admin's closure, site staff's proposal, and deciding one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import PortalForm
from portal.staff.sampling_forms import ClosureForm


class CloseDaysForm(ClosureForm):
    """The days to close and why; `fingerprint` carries the preview confirmed (empty before one)."""

    fingerprint = HiddenField()


class ProposeClosureForm(CloseDaysForm):
    """Site staff's proposal: the reason is required, so the admin who decides knows why."""

    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Enter why the site must close, like Staff training")),
        Length(max=200, message=_l("Write the reason in 200 characters or fewer"))])


class DecideClosureForm(PortalForm):
    """An admin's decision on a proposal: the preview confirmed (`fingerprint`); the button says which."""

    fingerprint = HiddenField(validators=[Length(max=64)])

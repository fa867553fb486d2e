"""A staff member's duty phone number, set on their own account page.

Optional. When set, the person gets short text messages about items they are responsible for
(today: "the tipster replied", `portal.tips.replies`), carrying only a reference number. Typed
any way (spaces, +86, full-width digits), stored as E.164 by `portal.core.identity`
(`phonenumbers`), encrypted at rest. Changing it is audited by field name, never by value.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core import audit
from portal.core.extensions import db
from portal.core.identity import display_mobile
from portal.core.permissions import Permission, requires
from portal.forms import MobileNumber, PortalForm, TypedStringField
from portal.staff.blueprint import bp
from portal.staff.labels import LABELS

LABELS["action"].update({"change_duty_phone": _l("Changed their duty phone number")})
LABELS["field"].update({"duty_phone": _l("Duty phone number")})


class DutyPhoneForm(PortalForm):
    """The account's duty phone number; an empty box removes it."""

    duty_phone = TypedStringField(_l("Duty phone number"), validators=[MobileNumber()])


def duty_phone_form(form: Any = None) -> DutyPhoneForm:
    """The form for the account page: `form` when it came back with errors, else a fresh one."""
    return form if isinstance(form, DutyPhoneForm) else DutyPhoneForm(formdata=None)


@bp.context_processor
def _duty_phone_helpers() -> dict[str, Any]:
    return {"duty_phone_form": duty_phone_form, "display_mobile": display_mobile}


@bp.post("/account/duty-phone")
@requires(Permission.SIGN_IN)
def change_duty_phone() -> Response | tuple[str, int]:
    """Set, change or remove (an empty box) the signed-in person's duty phone number. Audited."""
    form = DutyPhoneForm()
    if not form.validate_on_submit():
        return render_template("staff/account.html", duty_form=form), 400
    user = current_user._get_current_object()
    number = form.duty_phone.data or None
    if number != user.duty_phone:
        user.duty_phone = number
        audit.record("change_duty_phone", actor_id=user.id, fields=["duty_phone"])
        db.session.commit()
        flash(_("Duty phone number saved.") if number else _("Duty phone number removed."))
    return redirect(url_for("staff.account"), 303)

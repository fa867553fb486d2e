"""Public holidays on the staff site pages (admin, on the staff blueprint): each site's calendar
within its booking horizon, staff's decisions for one day (reopen a holiday, confirm or skip a
weekend make-up working day), and the warning the site pages show about unpublished schedules
and bookings left on closed days (`holiday_warning`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.core.models import Appointment, SamplingSite, SiteDayOverride
from portal.core.permissions import Permission, requires, role_allows
from portal.core import public_holidays
from portal.core.i18n import format_day
from portal.forms import PortalForm, flat_errors
from portal.sampling import holiday_admin
from portal.staff.blueprint import bp


class DayDecisionForm(PortalForm):
    """Staff's decision for one day of one site against the holiday calendar."""

    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Enter the day, like 2027-02-20"))])
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("open", _l("Open the site that day (reopen a holiday, or confirm a weekend make-up working day)")),
        SelectChoice("closed", _l("Close the site that day (skip a make-up working day)")),
    ], validators=[InputRequired(message=_l("Choose whether the site opens or closes that day"))])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(
        max=200, message=_l("Reason must be 200 characters or fewer"))])

    def __init__(self, *args: Any, window: tuple[Any, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window = window

    def validate_day(self, field: Any) -> None:
        """The day is within the site's booking horizon (today to its last bookable day)."""
        first, last = self.window
        if field.data and not first <= field.data <= last:
            raise ValidationError(_("Enter a day from %(first)s to %(last)s: families can book only within "
                                    "the site's booking horizon", first=first.isoformat(), last=last.isoformat()))


class UndoDecisionForm(PortalForm):
    """Removing a decision: only the CSRF token (the decision is named in the URL)."""


def holiday_warning(sites: list[SamplingSite], now: datetime | None = None) -> dict[str, Any]:
    """What the site pages warn of, for `sites`: the years within a booking horizon whose
    holiday schedule is not published yet ({"years": [2028]}), per site the booked appointments
    on days now closed for a holiday ({"stranded": [(site, [Appointment, ...])]}), and whether the
    signed-in account decides holidays itself ({"may_decide": True}: an admin; site staff and
    supervisors read that an admin confirms make-up days and reopens days)."""
    stranded: list[tuple[SamplingSite, list[Appointment]]] = []
    for site in sites:
        found = holiday_admin.stranded_bookings(site, now)
        if found:
            stranded.append((site, found))
    return {"years": holiday_admin.unpublished_years_ahead(sites, now), "stranded": stranded,
            "may_decide": role_allows(current_user.role, Permission.MANAGE_SITES)}


def _site(site_id: int) -> SamplingSite:
    site = db.session.get(SamplingSite, site_id)
    if site is None:
        abort(404)
    return site


def _decision_applies(site: SamplingSite, form: DayDecisionForm) -> bool:
    """`holiday_admin.decision_applies` for the form's day and decision; when not, the reason is
    put on the decision (the form is shown again as typed)."""
    day = form.day.data
    if holiday_admin.decision_applies(site, day, form.decision.data == "open"):
        return True
    if form.decision.data == "open":
        message = _("%(day)s is not a public holiday, a make-up working day or a weekend day this site is closed "
                    "on, so there is nothing to open: that day follows the site's opening hours.",
                    day=format_day(day))
    else:
        message = _("%(day)s is not a public holiday or a make-up working day. To close the site on an ordinary "
                    "day, add a closure on the Closures page: the families booked are told.", day=format_day(day))
    form.decision.errors = [message]
    return False


@bp.route("/sampling/sites/<int:site_id>/holidays", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_holidays(site_id: int) -> str | Response:
    """A site's public holidays and make-up working days within its booking horizon, and staff's
    decision for one day (audited)."""
    site = _site(site_id)
    window = holiday_admin.horizon_window(site)
    form = DayDecisionForm(window=window)
    if form.validate_on_submit() and _decision_applies(site, form):
        holiday_admin.decide_day(site, form.day.data, form.decision.data == "open", form.reason.data,
                                 actor_id=current_user.id)
        db.session.commit()
        flash(_("Saved. The site is open on %(day)s.", day=format_day(form.day.data))
              if form.decision.data == "open" else
              _("Saved. The site is closed on %(day)s.", day=format_day(form.day.data)))
        return redirect(url_for("staff.sampling_holidays", site_id=site.id), code=303)
    return render_template("staff/sampling/holidays.html", site=site, form=form, errors=flat_errors(form),
                           days=holiday_admin.calendar_days(site), undo_form=UndoDecisionForm(),
                           holiday_warning=holiday_warning([site]), library_version=public_holidays.LIBRARY_VERSION,
                           last_published=public_holidays.last_published_year())


@bp.post("/sampling/sites/<int:site_id>/holidays/<int:decision_id>/remove")
@requires(Permission.MANAGE_SITES)
def sampling_holiday_decision_remove(site_id: int, decision_id: int) -> Response:
    """Remove staff's decision for one day (CSRF-checked, audited): the day follows the calendar again."""
    site = _site(site_id)
    decision = db.session.get(SiteDayOverride, decision_id)
    if decision is None or decision.site_id != site.id:
        abort(404)
    if not UndoDecisionForm().validate_on_submit():
        abort(400)
    holiday_admin.undo_decision(site, decision, actor_id=current_user.id)
    db.session.commit()
    flash(_("Decision removed. The day follows the official holiday calendar again."))
    return redirect(url_for("staff.sampling_holidays", site_id=site.id), code=303)

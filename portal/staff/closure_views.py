"""Closing a sampling site's days, on the staff blueprint: an admin closes days (a preview of the
families affected first, then "Confirm closure"), site staff propose a closure of their own site,
an admin confirms or rejects a proposal with the same preview. Who may do what is decided once,
by `portal.sampling.closures.closure_rights`; a site the account may not act on answers 404,
like one that does not exist. Every preview shown is an audited view of the families' names.

Also what the day list of a closed day shows (`day_list_closure`).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.core import public_holidays
from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, ClosureStatus, SamplingSite, SiteClosure, StaffUser
from portal.core.permissions import Permission, requires
from portal.forms import flat_errors
from portal.sampling.closures import (
    ClosurePreview,
    NotPending,
    StalePreview,
    closure_notice_states,
    closure_on,
    closure_rights,
    close_days,
    confirm_proposal,
    preview_closure,
    propose_closure,
    proposals_waiting,
    record_preview_viewed,
    reject_proposal,
)
from portal.sampling.site_calendar import holiday_closed_days
from portal.staff.blueprint import bp
from portal.staff.holiday_views import holiday_warning
from portal.staff.closure_forms import CloseDaysForm, DecideClosureForm, ProposeClosureForm
from portal.staff.sampling_forms import RemoveClosureForm

STALE_MESSAGE_KEY = "stale"


def _site(site_id: int, *, to_propose: bool = False, to_decide: bool = False) -> SamplingSite:
    """The site of the URL, when the signed-in account may act on it as asked; 404 otherwise."""
    site = db.session.get(SamplingSite, site_id)
    if site is None:
        abort(404)
    rights = closure_rights(current_user, site)
    if (to_propose and not rights.may_propose) or (to_decide and not rights.may_decide) or not rights.may_read:
        abort(404)
    return site


def _closures_of(site: SamplingSite) -> list[SiteClosure]:
    return list(db.session.scalars(select(SiteClosure).where(SiteClosure.site_id == site.id)
                                   .order_by(SiteClosure.starts_on.desc(), SiteClosure.id.desc())))


def _usernames(closures: list[SiteClosure]) -> dict[int, str]:
    ids = {c.proposed_by_id for c in closures if c.proposed_by_id} | {c.decided_by_id for c in closures if c.decided_by_id}
    if not ids:
        return {}
    rows = db.session.execute(select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(ids))).all()
    return {user_id: username for user_id, username in rows}


def _render_preview(form: Any, preview: ClosurePreview, *, mode: str, stale: bool = False,
                    closure: SiteClosure | None = None) -> str:
    """The preview page (`mode`: "close", "propose" or "decide"); the view of the families'
    names is audited when shown."""
    html = render_template("staff/sampling/closure_preview.html", form=form, preview=preview, site=preview.site,
                           mode=mode, stale=stale, closure=closure, usernames=_usernames([closure] if closure else []),
                           errors=flat_errors(form))
    record_preview_viewed(preview, actor_id=current_user.id)
    db.session.commit()
    return html


def _render_form_page(site: SamplingSite, form: Any, *, mode: str) -> str:
    closures = _closures_of(site)
    return render_template("staff/sampling/closures.html", site=site, form=form, closures=closures, mode=mode,
                           remove_form=RemoveClosureForm(), usernames=_usernames(closures),
                           waiting=[c for c in closures if c.status == ClosureStatus.PROPOSED],
                           errors=flat_errors(form), holiday_warning=holiday_warning([site]))


def _last_day(form: Any) -> date:
    return form.ends_on.data or form.starts_on.data  # type: ignore[no-any-return]


@bp.route("/sampling/sites/<int:site_id>/closures", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_closures(site_id: int) -> str | Response:
    """A site's closures (and proposals), and closing days: the form, then the preview of the
    families affected and the SMS each would be sent, then "Confirm closure" (the same values
    posted again; bookings changed meanwhile show the preview again with a message)."""
    site = _site(site_id, to_decide=True)
    form = CloseDaysForm()
    action = request.form.get("action", "preview")
    if request.method == "GET" or action == "edit" or not form.validate_on_submit():
        return _render_form_page(site, form, mode="close")
    if action == "confirm":
        try:
            closure = close_days(site, form.starts_on.data, _last_day(form), form.reason.data,
                                 fingerprint=form.fingerprint.data or "", actor_id=current_user.id)
        except StalePreview as stale:
            db.session.rollback()
            form.fingerprint.data = stale.preview.fingerprint
            return _render_preview(form, stale.preview, mode="close", stale=True)
        db.session.commit()
        flash(_("Closure added. %(count)d families with bookings on those days are being told by text message.",
                count=closure.families_told or 0))
        return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)
    preview = preview_closure(site, form.starts_on.data, _last_day(form))
    form.fingerprint.data = preview.fingerprint
    return _render_preview(form, preview, mode="close")


@bp.route("/sampling/sites/<int:site_id>/closures/propose", methods=["GET", "POST"])
@requires(Permission.SAMPLING_DESK)
def sampling_closure_propose(site_id: int) -> str | Response:
    """Site staff propose closing their own site for some days (a reason required), after the
    same preview an admin sees; nothing closes and nobody is told until an admin confirms it."""
    site = _site(site_id, to_propose=True)
    form = ProposeClosureForm()
    action = request.form.get("action", "preview")
    if request.method == "GET" or action == "edit" or not form.validate_on_submit():
        return _render_form_page(site, form, mode="propose")
    if action == "propose":
        propose_closure(site, form.starts_on.data, _last_day(form), form.reason.data, actor_id=current_user.id)
        db.session.commit()
        flash(_("Closure proposed. An admin will confirm or reject it; until then the site stays open and "
                "nobody is told."))
        return redirect(url_for("staff.sampling_closure_propose", site_id=site.id), code=303)
    preview = preview_closure(site, form.starts_on.data, _last_day(form))
    form.fingerprint.data = preview.fingerprint
    return _render_preview(form, preview, mode="propose")


@bp.route("/sampling/sites/<int:site_id>/closures/<int:closure_id>/decide", methods=["GET", "POST"])
@requires(Permission.MANAGE_SITES)
def sampling_closure_decide(site_id: int, closure_id: int) -> str | Response:
    """An admin decides on a proposed closure: the preview of the families affected, then
    "Confirm closure" (its days close and the families are told) or "Reject"."""
    site = _site(site_id, to_decide=True)
    closure = db.session.get(SiteClosure, closure_id)
    if closure is None or closure.site_id != site.id:
        abort(404)
    if closure.status != ClosureStatus.PROPOSED:
        flash(_("This proposal was already decided."))
        return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)
    form = DecideClosureForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "reject":
                reject_proposal(closure, actor_id=current_user.id)
                message = _("Proposal rejected. The site stays open on those days.")
            elif action == "confirm":
                confirm_proposal(closure, fingerprint=form.fingerprint.data or "", actor_id=current_user.id)
                message = _("Closure confirmed. %(count)d families with bookings on those days are being told by "
                            "text message.", count=closure.families_told or 0)
            else:
                abort(400)
        except StalePreview as stale:
            db.session.rollback()
            form.fingerprint.data = stale.preview.fingerprint
            return _render_preview(form, stale.preview, mode="decide", stale=True, closure=closure)
        except NotPending:
            db.session.rollback()
            flash(_("This proposal was already decided."))
            return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)
        db.session.commit()
        flash(message)
        return redirect(url_for("staff.sampling_closures", site_id=site.id), code=303)
    preview = preview_closure(site, closure.starts_on, closure.ends_on)
    form.fingerprint.data = preview.fingerprint
    return _render_preview(form, preview, mode="decide", closure=closure)


def waiting_proposals() -> list[tuple[SiteClosure, SamplingSite]]:
    """The proposed closures the signed-in account may decide, oldest first, each with its site
    (the sites page)."""
    waiting = []
    for closure in proposals_waiting():
        site = db.session.get_one(SamplingSite, closure.site_id)
        if closure_rights(current_user, site).may_decide:
            waiting.append((closure, site))
    return waiting


def day_list_closure(site: SamplingSite, day: date, appointments: list[Any]) -> dict[str, Any]:
    """What the day list of local `day` adds for a closure: the confirmed closure covering the
    day (None: open), the state of the closure SMS of each booking still booked {item id: state},
    and what the account may do about closing the site (`closure_rights`), as template values."""
    closure = closure_on(site, day)
    states = {}
    if closure is not None:
        states = closure_notice_states([a.item_id for a in appointments if a.status == AppointmentStatus.BOOKED])
    return {"closure": closure, "closure_notices": states,
            "closure_rights": closure_rights(current_user, site)}


def booking_day_closure(appointment: Appointment) -> dict[str, Any]:
    """What the staff booking page says when the booking's local day is closed, as template
    values: `day_closure`, the confirmed closure covering it (None: no closure);
    `day_closure_notice`, the state of the family's closure SMS (an OutboundStatus; None when
    none was queued: no mobile number); `day_holiday_closed`, True when the day is closed for the
    holiday calendar instead (a public holiday, or a day closed on the holidays page: no SMS is
    sent for those); `day_holiday`, that public holiday (None: a day closed on the holidays page)."""
    site = appointment.site
    slot = appointment.slot
    assert slot is not None
    day = slot.starts_at.astimezone(ZoneInfo(site.timezone)).date()
    closure = closure_on(site, day)
    holiday_closed = closure is None and day in holiday_closed_days(site, day, day)
    return {
        "day_closure": closure,
        "day_closure_notice": closure_notice_states([appointment.item_id]).get(appointment.item_id) if closure else None,
        "day_holiday_closed": holiday_closed,
        "day_holiday": public_holidays.days_off(day, day).get(day) if holiday_closed else None,
    }

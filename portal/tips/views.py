"""Tip views: the report form, its confirmation, and the progress check.

Views stay thin: the form validates, `portal.tips.service` creates and finds tips.
The session remembers only reference numbers (never the follow-up code, never what was typed).
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.extensions import db, public_post_limit
from portal.models import Channel, TipCategory, utcnow
from portal.security.browser import browser_secret
from portal.tips import bp
from portal.tips.forms import FollowUpForm, TipForm
from portal.tips.labels import public_progress
from portal.tips.service import create_tip, find_tip_for_follow_up, tip_by_reference

RECEIPT_KEY = "tip_receipt"
SUBMISSIONS_KEY = "tip_submissions"
# Enough to recognise a double click or a resend; older entries only make the cookie bigger.
_SUBMISSIONS_KEPT = 5



def _remember_submission(submission_id: str, reference: str) -> None:
    submissions = dict(session.get(SUBMISSIONS_KEY) or {})
    submissions[submission_id] = reference
    session[SUBMISSIONS_KEY] = dict(list(submissions.items())[-_SUBMISSIONS_KEPT:])
    session[RECEIPT_KEY] = reference


@bp.route("/report", methods=["GET", "POST"])
@public_post_limit
def report() -> str | Response:
    """The tip form. A valid POST creates the tip (once, even on a double click), commits, and
    redirects to the confirmation; errors re-show the form with everything typed kept."""
    form = TipForm()
    submission_id = form.ensure_submission_id()
    browser_secret()  # set on the GET, so a double click's two posts carry the same one
    already = (session.get(SUBMISSIONS_KEY) or {}).get(submission_id)
    if form.is_submitted() and already:
        # A second click of "Send", or the browser resending: show the first report's receipt.
        session[RECEIPT_KEY] = already
        return redirect(url_for("tips.confirmation"), 303)
    if form.validate_on_submit():
        settings = current_app.config["SETTINGS"]
        receipt = create_tip(
            channel=Channel.WEB,
            category=TipCategory(form.category.data),
            description=form.description.data,
            place=form.place.data,
            seen_when=form.seen_when.data,
            child_in_danger=form.child_in_danger.data == "yes",
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            may_contact_by_sms=form.may_contact_by_sms.data,
            deadline_days=settings.feedback_deadline_days,
            display_minutes=settings.follow_up_code_display_minutes,
            # The form's id counts only with this browser's secret: an id planted by someone else
            # (it sits in the page) can never match another visitor's tip and reveal its receipt.
            submission_id=f"{browser_secret()}:{submission_id}",
        )
        db.session.commit()
        _remember_submission(submission_id, receipt.reference)
        return redirect(url_for("tips.confirmation"), 303)
    return render_template("tips/report.html", form=form)


@bp.get("/confirmation")
def confirmation() -> str | Response:
    """The reference number and, during its display window, the follow-up code of this browser's tip."""
    reference = session.get(RECEIPT_KEY)
    tip = tip_by_reference(reference) if isinstance(reference, str) else None
    if tip is None:
        return redirect(url_for("tips.report"))
    until = tip.follow_up_code_display_until
    code = tip.follow_up_code_display if until is not None and until > utcnow() else None
    return render_template(
        "tips/confirmation.html",
        tip=tip,
        reference=tip.item.reference,
        follow_up_code=code,
        deadline_days=current_app.config["SETTINGS"].feedback_deadline_days,
    )


@bp.route("/status", methods=["GET", "POST"])
@public_post_limit
def status() -> str:
    """Check a tip's progress with its reference number and follow-up code (same answer for any mismatch)."""
    form = FollowUpForm()
    if form.validate_on_submit():
        tip = find_tip_for_follow_up(form.reference.data, form.follow_up_code.data)
        if tip is not None:
            word, explanation = public_progress(tip.item.status)
            return render_template(
                "tips/status_result.html", item=tip.item, status_word=word, status_explanation=explanation
            )
        # One message for an unknown reference and a wrong code: the page must not tell them apart.
        form.reference.errors.append(
            _("We could not find a report with that reference number and code. Check both and try again.")
        )
    # A secret is never written back into the page.
    form.follow_up_code.data = ""
    return render_template("tips/status.html", form=form)

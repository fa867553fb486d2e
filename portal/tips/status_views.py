"""Following up anonymously: /tips/status checks a reference number and follow-up code, then shows
the progress, the questions staff asked, and a form to answer or add information and photos.

After a right code, the session remembers which tip for FOLLOW_UP_ACCESS_MINUTES (never the code).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.extensions import db, limiter, public_post_limit
from portal.models import Tip, utcnow
from portal.tips import bp
from portal.tips.followup import LookupOutcome, add_follow_up, check_follow_up, conversation
from portal.tips.forms import AnswerForm, FollowUpForm, SavedCodeForm
from portal.tips.labels import public_progress
from portal.tips.uploads import chosen_files, discard, save_uploads

ACCESS_KEY = "tip_follow_up"
FOLLOW_UP_ACCESS_MINUTES = 30


def _status_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_status_lookup


@bp.route("/status", methods=["GET", "POST"])
@public_post_limit
@limiter.limit(_status_limit, methods=["POST"])
def status() -> str | Response:
    """Check a tip's progress with its reference number and follow-up code.

    A wrong code and an unknown reference read the same; so do a locked reference and an unknown
    one after the same number of tries (`portal.tips.followup`).
    """
    form = FollowUpForm()
    if form.validate_on_submit():
        settings = current_app.config["SETTINGS"]
        result = check_follow_up(
            form.reference.data, form.follow_up_code.data,
            max_failures=settings.follow_up_max_failures, lock_minutes=settings.follow_up_lock_minutes,
        )
        db.session.commit()
        if result.outcome is LookupOutcome.FOUND and result.tip is not None:
            until = utcnow() + timedelta(minutes=FOLLOW_UP_ACCESS_MINUTES)
            session[ACCESS_KEY] = {"tip": result.tip.id, "until": int(until.timestamp())}
            return redirect(url_for("tips.status_report"), 303)
        if result.outcome is LookupOutcome.LOCKED:
            form.reference.errors.append(
                _("There have been too many tries with this reference number. Wait %(minutes)s minutes, then try again.",
                  minutes=settings.follow_up_lock_minutes)
            )
        else:
            # One message for an unknown reference and a wrong code: the page must not tell them apart.
            form.reference.errors.append(
                _("We could not find a report with that reference number and code. Check both and try again.")
            )
    # A secret is never written back into the page.
    form.follow_up_code.data = ""
    return render_template("tips/status.html", form=form)


def _tip_with_access() -> Tip | None:
    access = session.get(ACCESS_KEY)
    if not isinstance(access, dict) or int(access.get("until", 0)) < int(utcnow().timestamp()):
        session.pop(ACCESS_KEY, None)
        return None
    return db.session.get(Tip, access.get("tip"))


@bp.route("/status/report", methods=["GET", "POST"])
@public_post_limit
def status_report() -> str | Response:
    """The progress of the tip found by /tips/status, its questions, and the answer form."""
    tip = _tip_with_access()
    if tip is None:
        return redirect(url_for("tips.status"))
    form = AnswerForm()
    if form.validate_on_submit():
        files = chosen_files(form.photos.data or [])
        if not form.text.data and not files:
            form.text.errors.append(_("Write your answer, or add a photo"))
        else:
            already = sum(1 for _item in conversation(tip).photos)
            question_id = int(form.question_id.data) if (form.question_id.data or "").isdigit() else None
            result = save_uploads(files, keep_location=form.keep_location.data, already=already, all_or_nothing=True)
            if result.errors:
                form.photos.errors = list(result.errors)
            else:
                try:
                    follow_up = add_follow_up(tip, text=form.text.data, question_id=question_id)
                    for photo in result.photos:
                        photo.tip_id = tip.id
                        photo.follow_up_id = follow_up.id
                        db.session.add(photo)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    discard(result.photos)  # no row, no file
                    raise
                flash(_("Thank you. The police can now see what you sent."))
                return redirect(url_for("tips.status_report"), 303)
    talk = conversation(tip)
    word, explanation = public_progress(tip.item.status, questions_asked=bool(talk.questions))
    return render_template(
        "tips/status_result.html", item=tip.item, status_word=word, status_explanation=explanation,
        conversation=talk, form=form, answering=request.args.get("question", type=int),
    )


@bp.post("/status/finish")
@public_post_limit
def status_finish() -> Response:
    """Close the report on this browser (the session forgets which tip it was)."""
    if SavedCodeForm().validate_on_submit():
        session.pop(ACCESS_KEY, None)
    return redirect(url_for("tips.status"), 303)

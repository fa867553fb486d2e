"""Following up anonymously: /tips/status checks a reference number and follow-up code, then shows
the progress, the questions staff asked, and a form to answer or add information and photos.

After a right code, the session remembers which tip for FOLLOW_UP_ACCESS_MINUTES (never the code).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.core.extensions import client_key, db, limiter, public_post_limit
from portal.core.i18n import remember_language
from portal.core.models import Tip, utcnow
from portal.core.query_args import query_id
from portal.web.language import switch_requested
from portal.web.tips.blueprint import bp
from portal.tips.followup import WARN_WHEN_TRIES_LEFT, LookupOutcome, add_follow_up, check_follow_up, conversation, merged_into
from portal.web.tips.forms import AnswerForm, FollowUpForm, SavedCodeForm
from portal.tips.feedback import feedback_for
from portal.tips.labels import public_progress
from portal.tips.uploads import chosen_files, discard, save_uploads

ACCESS_KEY = "tip_follow_up"
FOLLOW_UP_ACCESS_MINUTES = 30
# The page warns once WARN_WHEN_TRIES_LEFT wrong codes (or fewer) are left before the reference is locked.


def _status_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_status_lookup


@bp.route("/status", methods=["GET", "POST"])
@public_post_limit
@limiter.limit(_status_limit, methods=["POST"])
def status() -> str | Response:
    """Check a tip's progress with its reference number and follow-up code.

    A wrong code and an unknown reference read the same; so do a locked reference and an unknown
    one after the same number of tries (`portal.tips.followup`), and so does the warning shown
    when WARN_WHEN_TRIES_LEFT tries or fewer are left. Tries are counted per reference and client
    address (an HMAC of it, `client_key`), so a stranger's wrong codes lock only the stranger out.
    """
    form = FollowUpForm()
    warning = None
    if form.validate_on_submit():
        settings = current_app.config["SETTINGS"]
        result = check_follow_up(
            form.reference.data, form.follow_up_code.data, trier=client_key(),
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
            if result.tries_left is not None and 0 < result.tries_left <= WARN_WHEN_TRIES_LEFT:
                warning = ngettext(
                    "You can try %(num)d more time with this reference number. After that, you must wait"
                    " %(minutes)s minutes before you can try again.",
                    "You can try %(num)d more times with this reference number. After that, you must wait"
                    " %(minutes)s minutes before you can try again.",
                    result.tries_left, minutes=settings.follow_up_lock_minutes,
                )
    # A secret is never written back into the page.
    form.follow_up_code.data = ""
    return render_template("tips/status.html", form=form, warning=warning)


def has_follow_up_access() -> bool:
    """Whether this browser's session still knows which tip it may follow up (a right code was
    given less than FOLLOW_UP_ACCESS_MINUTES ago): what the answer form needs."""
    return _tip_with_access() is not None


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
    language = switch_requested()
    if language is not None:
        # The header's language button submits this form: show it again in that language with
        # what was typed (chosen photos cannot be kept), sending nothing.
        with force_locale(language):
            page = _status_page(tip, form)
        return remember_language(make_response(page), language)
    # "I have finished" is a button of the answer form: what was typed is sent first, never lost.
    finishing = bool(request.form.get("finish"))
    if form.validate_on_submit():
        files = chosen_files(form.photos.data or [])
        question_id = query_id(form.question_id.data)
        if finishing and not form.text.data and not files:
            return _finish()  # nothing typed: nothing to send
        if form.question_id.data and question_id is None:
            # Only a tampered or mangled value ("²", 20 digits) gets here: say so, keep the text.
            form.text.errors.append(_("We could not tell which question you are answering. Send your answer again."))
        elif not form.text.data and not files:
            form.text.errors.append(_("Write your answer, or add a photo"))
        else:
            already = sum(1 for _item in conversation(tip).photos)
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
                return _finish() if finishing else redirect(url_for("tips.status_report"), 303)
    return _status_page(tip, form)


def _finish() -> Response:
    """Close the report on this browser (the session forgets which tip it was) and go back to
    the lookup page."""
    session.pop(ACCESS_KEY, None)
    return redirect(url_for("tips.status"), 303)


def _status_page(tip: Any, form: AnswerForm) -> str:
    """The progress page of `tip` with its answer form `form`; the header's language switch is a
    button of that form, so what was typed survives a switch (`portal/web/language.py`).

    The form answers the question named in the address, or, when the police have asked exactly
    one question not yet answered, that one: what a tipster types under "your answer" is the
    answer. A report merged into another (the same event) shows the progress of that one, and says
    so: "closed" would be false while the event is still being checked."""
    talk = conversation(tip)
    followed = merged_into(tip.item)
    word, explanation = public_progress(followed.status, questions_asked=bool(talk.questions))
    answering = query_id(request.args.get("question"))
    if answering is None:
        open_questions = [question.id for question, answers in talk.questions if not answers]
        answering = open_questions[0] if len(open_questions) == 1 else None
    return render_template(
        "tips/status_result.html", item=tip.item, status_word=word, status_explanation=explanation,
        merged=followed is not tip.item,
        conversation=talk, form=form, answering=answering, language_form="answer-form",
        feedback=feedback_for(tip), feedback_language=_page_language(),
    )


def _page_language() -> str:
    """The page's language ("zh" or "en"): the tipster's choice, in which their feedback is shown."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


@bp.post("/status/finish")
@public_post_limit
def status_finish() -> Response:
    """Close the report on this browser (the session forgets which tip it was). The progress page
    finishes through its answer form instead (`status_report`), so that nothing typed is lost;
    this address stays for pages already open in a browser."""
    if SavedCodeForm().validate_on_submit():
        session.pop(ACCESS_KEY, None)
    return redirect(url_for("tips.status"), 303)

"""Staff side of the anonymous follow-up: ask the tipster a question, see the answers, see the photos.

Routes on the staff blueprint, each declaring its permission (the blueprint's guard enforces it):
asking is an edit of the item, seeing photos a view of it. A question is always shown to the
tipster on /tips/status; when the tipster agreed to SMS contact, an SMS through the outbox tells
them there is one. The SMS carries only the reference number, never the question: an SMS may be
read by someone else holding the phone (docs/threat-model.md#what-a-text-message-may-carry).
Every showing of answers and photos is audited. `templates/staff/_tip_followup.html` is included
by the item page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from werkzeug.wrappers import Response

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.i18n import format_local_datetime
from portal.forms import MaxLength, PortalForm
from portal.core.models import IntakeItem, RegionSource, Tip, TipPhoto, TipQuestion
from portal.core.outbox import queue_message
from portal.core.permissions import Permission, requires, role_allows
from portal.staff.blueprint import bp
from portal.staff.labels import LABELS
from portal.staff.queue import find_visible_item
from portal.tips.followup import Conversation, conversation
from portal.tips.notices import polite_send_time
from portal.core import regions
from portal.tips.labels import SEX_LABELS
from portal.core.photos import photo_path
from portal.staff import views as staff_views

QUESTION_MAX = 1000


# The audit trail names these actions; the words live with the code that records them.
LABELS["action"].update(
    {
        "ask_tipster": _l("Asked the tipster a question"),
        "view_tip_followup": _l("Read the tipster's answers"),
        "view_photo": _l("Opened a photo"),
    }
)
LABELS["field"].update({"question": _l("Question"), "follow_up_answers": _l("Answers from the tipster"),
                        "photo": _l("Photo"), "photos": _l("Photos")})


class QuestionForm(PortalForm):
    """A question for the tipster, shown to them on /tips/status."""

    question = TextAreaField(
        _l("Ask the tipster a question"),
        validators=[
            DataRequired(message=_l("Enter your question")),
            MaxLength(QUESTION_MAX, _l("The question must be 1,000 characters or fewer")),
        ],
    )


def _tip_item(reference: str) -> tuple[IntakeItem, Tip]:
    item = find_visible_item(current_user, reference)
    if item is None or item.tip is None:
        abort(404)
    return item, item.tip


def question_sms(reference: str, language: str, base_url: str) -> str:
    """The SMS telling a tipster there is a question: the reference and where to read it, nothing else."""
    with force_locale(language if language in ("zh", "en") else "zh"):
        return _(
            "Tuanyuan: the police have a question about your report %(reference)s. To read and answer it, enter your reference number and follow-up code at %(url)s",
            reference=reference, url=f"{base_url}/tips/status",
        )


@bp.post("/items/<reference>/questions")
@requires(Permission.EDIT_ITEM)
def ask_tipster(reference: str) -> Response | tuple[str, int]:
    """Ask the tipster a question; send an SMS notice when they agreed to SMS contact; audited."""
    item, tip = _tip_item(reference)
    form = QuestionForm()
    if not form.validate_on_submit():
        return staff_views.render_item(item, form, 400)
    by_sms = bool(tip.may_contact_by_sms and tip.contact_phone)
    question = TipQuestion(tip_id=tip.id, asked_by_id=current_user.id, text=form.question.data, sent_by_sms=by_sms)
    db.session.add(question)
    held_until = None
    if by_sms:
        settings = current_app.config["SETTINGS"]
        base_url = settings.public_base_url or request.url_root.rstrip("/")
        send_at = polite_send_time(clock.now(), settings.site_timezone)
        queue_message(tip.contact_phone, question_sms(item.reference, tip.language or "zh", base_url), "tip_question",  # type: ignore[arg-type]  # by_sms means a phone
                      item_id=item.id, not_before=send_at)
        held_until = send_at if send_at > clock.now() else None
    audit.record("ask_tipster", actor_id=current_user.id, item_id=item.id, fields=["question"])
    db.session.commit()
    if held_until is not None:
        flash(_("Question saved. A text message will tell the tipster at %(time)s (no texts at night).",
                time=format_local_datetime(held_until, current_app.config["SETTINGS"].site_timezone)))
    else:
        flash(_("Question sent. The tipster was told by text message.") if by_sms else
              _("Question saved. The tipster will see it when they check progress."))
    return redirect(url_for("staff.item", reference=item.reference) + "#tip-followup", 303)


@bp.get("/items/<reference>/photo")
@requires(Permission.VIEW_ITEM)
def tip_photo(reference: str) -> Response:
    """One photo of a tip (`?n=` its stored name), for staff only; every opening is audited."""
    name = request.args.get("n", "")
    if not name:
        abort(400)
    item, tip = _tip_item(reference)
    photo = db.session.scalar(db.select(TipPhoto).where(TipPhoto.stored_name == name, TipPhoto.tip_id == tip.id))
    if photo is None:
        abort(404)
    try:
        path = photo_path(current_app.config["SETTINGS"].tip_photo_dir, photo.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    audit.record("view_photo", actor_id=current_user.id, item_id=item.id, fields=["photo"])
    db.session.commit()
    return send_file(path, mimetype="image/jpeg", max_age=0, download_name=f"{item.reference}-{photo.id}.jpg")


@dataclass(frozen=True)
class TipFollowUpView:
    """What the item page's follow-up section shows."""

    tip: Tip
    conversation: Conversation
    details: list[tuple[str, str]]
    form: QuestionForm | None


def _region_words(code: str | None) -> str | None:
    """The region chosen on the "where" pages, by name with its code (江苏省南通市海门区 (320614))."""
    if not code:
        return None
    name = regions.full_name(code)
    return _("%(text)s (%(note)s)", text=name, note=code) if name else code


def web_details(tip: Tip) -> list[tuple[str, str]]:
    """(label, text) of what the web form asked beyond the description (the region the tipster
    chose, the child, the adults, the vehicle), in the current language, for the answers given."""
    rows: list[tuple[Any, Any]] = [
        # The tipster's own choice only: a region recognised or set by staff is in the item's
        # summary, with where it came from.
        (_l("Region"), _region_words(tip.item.region_code) if tip.item.region_source in (None, RegionSource.TIPSTER) else None),
        (_l("Child's age"), tip.child_age),
        (_l("Girl or boy"), SEX_LABELS.get(tip.child_sex or "")),
        (_l("Child's height"), tip.child_height),
        (_l("Child's clothes"), tip.child_clothing),
        (_l("How to recognise the child"), tip.child_marks),
        (_l("Language or dialect"), tip.child_language),
        (_l("The adults with the child"), tip.adults_description),
        (_l("Vehicle"), tip.vehicle_description),
        (_l("Number plate"), tip.vehicle_plate),
    ]
    return [(str(label), str(value)) for label, value in rows if value]


def tip_followup(item: IntakeItem, form: Any = None) -> TipFollowUpView | None:
    """The follow-up section of a tip's item page (None for other kinds), with the question form
    for accounts that may edit. Records (and commits) an audit event when it shows the tipster's
    answers or photos, because it runs while the page is drawn, after the page's own commit."""
    tip = item.tip
    if tip is None:
        return None
    talk = conversation(tip)
    shown = []
    if any(answers for _question, answers in talk.questions) or talk.additions:
        shown.append("follow_up_answers")
    if talk.photos:
        shown.append("photos")
    if shown:
        audit.record("view_tip_followup", actor_id=current_user.id, item_id=item.id, fields=shown)
        db.session.commit()
    can_ask = role_allows(current_user.role, Permission.EDIT_ITEM)
    question_form = form if isinstance(form, QuestionForm) else (QuestionForm(formdata=None) if can_ask else None)
    return TipFollowUpView(tip=tip, conversation=talk, details=web_details(tip), form=question_form)


@bp.context_processor
def _followup_helpers() -> dict[str, Any]:
    return {"tip_followup": tip_followup}

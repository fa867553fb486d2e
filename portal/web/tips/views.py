"""The tip journey: one question per page, check your answers, confirmation.

Answers live in the server-side draft (`portal.tips.drafts`), so nothing typed is lost between
pages, across a language switch, or when the session cookie is deleted. Views stay thin: forms
validate, `portal.tips.answers` turns answers into display rows and into a tip, and
`portal.tips.service.create_tip` writes it.
"""

from __future__ import annotations

import json

from typing import Any, Callable

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.core.extensions import db, limiter, public_post_limit
from portal.core.i18n import current_language
from portal.core.models import Channel, TipCategory, TipPhoto, utcnow
from portal.core.security.crypto import lookup_hash
from portal.core.security.references import new_follow_up_code, new_reference
from portal.tips import answers as tip_answers
from portal.tips import journey
from portal.core import regions
from portal.web.language import (
    UNSENT,
    anything_typed,
    drop_unsent,
    keep_unsent,
    switch_requested,
    switched,
    typed_on_page,
    unsent_formdata,
)
from portal.web.tips.blueprint import bp
from portal.tips.drafts import answers_of, current_draft, draft_submission_id, open_draft, save_answers
from portal.web.tips.forms import ContactForm, DangerForm, PhotosForm, PlaceForm, RegionForm, RegionSearchForm, SavedCodeForm, SendForm, StepForm, WhatForm, WhenForm, WhoForm
from portal.core.photos import MAX_PHOTOS
from portal.core.query_args import query_id
from portal.tips.service import create_tip, stop_showing_follow_up_code, tip_by_reference
from portal.tips.uploads import discard, save_uploads

RECEIPT_KEY = "tip_receipt"
FAKE_RECEIPT_KEY = "tip_receipt_unsaved"
RECENT_KEY = "tip_recent"
_RECENT_KEPT = 5



def _steps_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_tip_steps


# The question pages only save the draft: one budget for all of them, roomier than the shared
# public limit, which applies to sending the report (and to every other public form).
step_post_limit = limiter.shared_limit(_steps_limit, scope="tip-steps", methods=["POST"])

ENDPOINTS = {
    "danger": "tips.report",
    "what": "tips.what",
    "province": "tips.province",
    "city": "tips.city",
    "district": "tips.district",
    "place": "tips.place",
    "when": "tips.when",
    "who": "tips.who",
    "photos": "tips.photos",
    "contact": "tips.contact",
    "check": "tips.check",
}


# From the check page, changing one of these goes on to the level below (its old answer no longer
# fits), so their button says "Continue", not "Save and go back" (journey.next_after_change).
CHAIN_STEPS = ("province", "city")
# The id of a question page's form, which the header's language button submits (base.html).
QUESTION_FORM = "question-form"


def _changing() -> bool:
    return request.args.get("change") == "1"


def step_url(step: str, change: bool = False) -> str:
    """The URL of a journey step (or 'check'); `change` keeps the "return to the check page" mode."""
    return url_for(ENDPOINTS[step], **({"change": "1"} if change and step != "check" else {}))  # type: ignore[arg-type]  # only the change=1 value


def _back_url(step: str, answers: dict[str, Any]) -> str:
    if _changing():
        return step_url("check")
    previous = journey.previous_step(step, answers)
    return step_url(previous) if previous else url_for("public.start")


def _go_on(step: str, answers: dict[str, Any]) -> Response:
    if _changing():
        following = journey.next_after_change(step, answers)
        return redirect(step_url(following, change=following != "check"), 303)
    return redirect(step_url(journey.next_step(step, answers)), 303)


def _render_step(step: str, form: Any, answers: dict[str, Any], template: str, **context: Any) -> tuple[str, int]:
    return (
        render_template(
            template, form=form, step=step, back_url=_back_url(step, answers), action=request.full_path.rstrip("?"),
            changing=_changing(), returns_to_check=_changing() and step not in CHAIN_STEPS, **context
        ),
        200,
    )


def _step_form(form_class: Callable[..., Any], answers: dict[str, Any], step: str,
               saved: Callable[[], dict[str, Any]]) -> Any:
    """The form of the question page `step`: a POST reads the post; a GET shows what a language
    switch kept unsent on this page (portal/web/language.py), else `saved()`, the form's data
    from the draft's answers."""
    if request.method != "GET":
        return form_class()
    unsent = unsent_formdata(answers, step)
    if unsent is not None:
        return form_class(formdata=unsent)
    return form_class(formdata=None, data=saved())


def _simple_step(
    step: str,
    form_class: type[StepForm],
    template: str,
    fields: tuple[str, ...],
    convert: Callable[[StepForm], dict[str, Any]] | None = None,
    initial: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[str, int] | Response:
    """A page whose answers are its form fields' data, saved under the same names. `initial`:
    the form's data from the answers, when it is not simply the answers of the same names."""
    draft = current_draft()
    if draft is not None and draft.tip_id is not None:
        draft = None
    answers = answers_of(draft)
    if step != "danger" and draft is None:
        return redirect(step_url("danger"))
    language = switch_requested()
    if language is not None:
        return _switch_language(step, draft, answers, language)
    form = _step_form(form_class, answers, step,
                      lambda: initial(answers) if initial else {name: answers.get(name) for name in fields})
    if form.validate_on_submit():
        draft = draft or open_draft()
        if form.honeypot_filled():
            draft.honeypot = True
        else:
            updates = convert(form) if convert else {name: getattr(form, name).data for name in fields}
            answers = _save_page(draft, answers, step, updates)
        db.session.commit()
        if step == "danger" and answers.get("child_in_danger") == "yes":
            return redirect(url_for("tips.call_110", **({"change": "1"} if _changing() else {})), 303)  # type: ignore[arg-type]  # only the change=1 value
        return _go_on(step, answers)
    return _render_step(step, form, answers, template, language_form=QUESTION_FORM)


def _save_page(draft: Any, answers: dict[str, Any], step: str, updates: dict[str, Any],
               remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """Save the answers of `step`, sent with the page's own button, into the draft (dropping the
    keys in `remove`); what a language switch kept of the page goes. Returns the new answers."""
    still_unsent = drop_unsent(dict(answers), step).get(UNSENT)
    if still_unsent:
        return save_answers(draft, {**updates, UNSENT: still_unsent}, remove)
    return save_answers(draft, updates, (*remove, UNSENT))


def _switch_language(step: str, draft: Any, answers: dict[str, Any], language: str) -> Response:
    """The language switch of a question page: keep what was typed, unchecked, as the page's
    unsent answers in the draft, and show the same page in `language` (portal/web/language.py).
    On the first question nothing typed needs no draft."""
    typed = typed_on_page()
    if draft is None and anything_typed(typed):
        draft = open_draft()
    if draft is not None:
        save_answers(draft, {UNSENT: keep_unsent(dict(answers), step, typed)[UNSENT]})
        db.session.commit()
    return switched(language, request.full_path.rstrip("?"))


@bp.route("/report", methods=["GET", "POST"])
@step_post_limit
def report() -> tuple[str, int] | Response:
    """Question 1: is a child in danger right now? Yes leads to the call-110 page first."""
    return _simple_step("danger", DangerForm, "tips/danger.html", ("child_in_danger",))


@bp.get("/report/call-110")
def call_110() -> str | Response:
    """Call 110 now (or text 12110); the report goes on, flagged urgent."""
    answers = answers_of(current_draft())
    if answers.get("child_in_danger") != "yes":
        return redirect(step_url("danger"))
    following = "check" if _changing() else journey.next_step("danger", answers)
    return render_template("tips/call_110.html", next_url=step_url(following), back_url=step_url("danger"))


@bp.route("/report/what", methods=["GET", "POST"])
@step_post_limit
def what() -> tuple[str, int] | Response:
    """What was seen: a category and a description."""
    return _simple_step("what", WhatForm, "tips/what.html", ("category", "description"))


def _region_view(step: str) -> tuple[str, int] | Response:
    draft = current_draft()
    if draft is None or draft.tip_id is not None:
        return redirect(step_url("danger"))
    answers = answers_of(draft)
    if not journey.applies(step, answers):
        return redirect(step_url(journey.next_step(step, answers)))
    if step == "province":
        options = regions.provinces()
    elif step == "city":
        options = tuple(d for d in regions.children_of(answers["province"]) if d.level == 2)
    else:
        parent = journey.district_parent(answers)
        options = regions.children_of(parent.code) if parent else ()
    language = switch_requested()
    if language is not None:
        return _switch_language(step, draft, answers, language)
    form = _step_form(RegionForm, answers, step, lambda: {"division": answers.get(step)})
    form.division.choices = [("", tip_answers.region_placeholder(step))] + [
        (d.code, d.name) for d in options
    ] + [(journey.UNKNOWN, tip_answers.unknown_words())]
    form.division.label.text = tip_answers.region_question(step)
    form.division.validators[0].message = tip_answers.region_error(step)
    form.division.invalid_choice_message = tip_answers.region_error(step)
    if form.validate_on_submit():
        if form.honeypot_filled():
            draft.honeypot = True
        else:
            updates = {step: form.division.data}
            below = {"province": ("city", "district"), "city": ("district",), "district": ()}[step]
            changed = answers.get(step) != form.division.data
            answers = _save_page(draft, answers, step, updates, remove=below if changed else ())
        db.session.commit()
        return _go_on(step, answers)
    search_form = RegionSearchForm(formdata=None) if step == "province" else None
    return _render_step(step, form, answers, "tips/region.html", search_form=search_form, language_form=QUESTION_FORM)


@bp.route("/report/where", methods=["GET", "POST"])
@step_post_limit
def province() -> tuple[str, int] | Response:
    """Where, 1: the province (or "I do not know"), with a search box for a city or district name."""
    return _region_view("province")


@bp.route("/report/where/city", methods=["GET", "POST"])
@step_post_limit
def city() -> tuple[str, int] | Response:
    """Where, 2: the city in the chosen province."""
    return _region_view("city")


@bp.route("/report/where/district", methods=["GET", "POST"])
@step_post_limit
def district() -> tuple[str, int] | Response:
    """Where, 3: the district or county."""
    return _region_view("district")


@bp.route("/report/where/search", methods=["GET", "POST"])
@step_post_limit
def region_search() -> tuple[str, int] | str | Response:
    """Find a place by typing part of its name (海门), then choose one of the matches."""
    draft = current_draft()
    if draft is None or draft.tip_id is not None:
        return redirect(step_url("danger"))
    search_form = RegionSearchForm(request.args, meta={"csrf": False})
    query = search_form.q.data or "" if search_form.validate() else ""
    matches = regions.search(query, home=current_app.config["SETTINGS"].deployment_region) if query else []
    if request.method == "POST":
        choice = request.form.get("match", "")
        chosen = next((m for m in matches if _match_value(m) == choice), None)
        form = StepForm()
        if form.validate_on_submit() and chosen is not None:
            if form.honeypot_filled():
                draft.honeypot = True
            else:
                save_answers(draft, {
                    "province": chosen.province.code if chosen.province else journey.UNKNOWN,
                    "city": chosen.city.code if chosen.city else None,
                    "district": chosen.district.code if chosen.district else None,
                })
            db.session.commit()
            return redirect(step_url("check" if _changing() else "place"), 303)
    return render_template(
        "tips/region_search.html", search_form=search_form, query=query, matches=matches,
        match_value=_match_value, form=StepForm(formdata=None), back_url=step_url("province", _changing()),
        changing=_changing(), no_choice=request.method == "POST",
    ), 400 if request.method == "POST" else 200


def _match_value(place: regions.Place) -> str:
    return place.code or ""


@bp.route("/report/where/place", methods=["GET", "POST"])
@step_post_limit
def place() -> tuple[str, int] | Response:
    """Where, 4: the exact place in words (optional)."""
    return _simple_step("place", PlaceForm, "tips/place.html", ("place",))


@bp.route("/report/when", methods=["GET", "POST"])
@step_post_limit
def when() -> tuple[str, int] | Response:
    """When: a date as far as the tipster knows it and a rough time, or not sure."""
    return _simple_step("when", WhenForm, "tips/when.html", ("seen_date", "seen_time"),
                        initial=lambda answers: {"seen_date": tip_answers.seen_date(answers),
                                                 "seen_time": answers.get("seen_time")})


@bp.route("/report/who", methods=["GET", "POST"])
@step_post_limit
def who() -> tuple[str, int] | Response:
    """Who: the child, the adults, a vehicle; every question optional."""
    return _simple_step("who", WhoForm, "tips/who.html", tip_answers.WHO_FIELDS)


@bp.route("/report/photos", methods=["GET", "POST"])
@step_post_limit
def photos() -> tuple[str, int] | Response:
    """Photos (optional, up to 5): upload, remove, continue."""
    draft = current_draft()
    if draft is None or draft.tip_id is not None:
        return redirect(step_url("danger"))
    answers = answers_of(draft)
    form = PhotosForm(formdata=None) if request.method == "GET" else PhotosForm()
    if form.validate_on_submit():
        if form.honeypot_filled():
            draft.honeypot = True
            db.session.commit()
            return _go_on("photos", answers)
        remove = request.form.get("remove", "")
        if remove:
            # A tampered or mangled value ("²", 20 digits) is not an id the database could hold:
            # say so rather than fail on it.
            photo_id = query_id(remove)
            photo = db.session.get(TipPhoto, photo_id) if photo_id is not None else None
            if photo is None or photo.draft_id != draft.id:
                form.photos.errors = [_("We could not find that photo. It may have been removed already.")]
                db.session.refresh(draft)
                return _render_step("photos", form, answers, "tips/photos.html", photos=draft.photos,
                                    max_photos=MAX_PHOTOS)
            discard([photo])
            db.session.delete(photo)
            db.session.commit()
            return redirect(request.full_path.rstrip("?"), 303)
        result = save_uploads(form.photos.data or [], keep_location=form.keep_location.data, already=len(draft.photos))
        try:
            for photo in result.photos:
                photo.draft_id = draft.id
                db.session.add(photo)
            save_answers(draft, {})  # keep the draft alive
            db.session.commit()
        except BaseException:
            db.session.rollback()
            discard(result.photos)  # no row, no file
            raise
        if result.errors:
            form.photos.errors = list(result.errors)
        elif request.form.get("action") == "continue":
            return _go_on("photos", answers)
        else:
            return redirect(request.full_path.rstrip("?"), 303)
    db.session.refresh(draft)
    return _render_step("photos", form, answers, "tips/photos.html", photos=draft.photos, max_photos=MAX_PHOTOS)


@bp.route("/report/contact", methods=["GET", "POST"])
@step_post_limit
def contact() -> tuple[str, int] | Response:
    """Contact (optional): a name, a mobile number, and whether police may send text messages."""

    def convert(form: Any) -> dict[str, Any]:
        typed = form.contact_phone.raw_data[0] if form.contact_phone.raw_data else ""
        return {
            "contact_name": form.contact_name.data,
            "contact_phone": typed,
            "contact_phone_e164": form.contact_phone.data,
            "may_contact_by_sms": bool(form.may_contact_by_sms.data),
        }

    return _simple_step("contact", ContactForm, "tips/contact.html", ("contact_name", "contact_phone", "may_contact_by_sms"), convert)


@bp.route("/report/check", methods=["GET", "POST"])
@public_post_limit
def check() -> tuple[str, int] | str | Response:
    """Check your answers, with a Change link for each; "Send report" creates the tip once."""
    draft = current_draft()
    if draft is not None and draft.tip_id is not None:
        # Sent already: a second click, a resubmitted POST or the back button.
        return redirect(url_for("tips.confirmation"), 303)
    if draft is None:
        return redirect(step_url("danger"))
    answers = answers_of(draft)
    missing = journey.first_missing(answers)
    # A bot that filled the hidden field saved no answers; it must still reach its "receipt".
    if missing is not None and not draft.honeypot:
        return redirect(step_url(missing))
    form = SendForm(formdata=None) if request.method == "GET" else SendForm()
    if form.validate_on_submit():
        return _send(draft, answers, form)
    return render_template(
        "tips/check.html", form=form, rows=tip_answers.check_rows(answers, draft.photos, step_url),
        back_url=_back_url("check", answers),
    ), 200


def _send(draft: Any, answers: dict[str, Any], form: SendForm) -> Response:
    if draft.honeypot or form.honeypot_filled():
        # Answered like any other report, and stored nowhere: the draft and its photos go.
        session[FAKE_RECEIPT_KEY] = {"reference": new_reference(), "code": new_follow_up_code(),
                                     "urgent": answers.get("child_in_danger") == "yes"}
        session.pop(RECEIPT_KEY, None)
        discard(draft.photos)
        for photo in list(draft.photos):
            db.session.delete(photo)
        db.session.delete(draft)
        db.session.commit()
        return redirect(url_for("tips.confirmation"), 303)
    settings = current_app.config["SETTINGS"]
    fields = tip_answers.tip_fields(answers)
    repeat_key = _repeat_key(answers, fields)
    # A draft with photos is never a repeat: its photos would be dropped.
    repeat = None if draft.photos else _recent_same_report(repeat_key, settings.tip_repeat_minutes)
    if repeat is not None:
        draft.tip_id = repeat.id
        draft.answers = None
        discard(draft.photos)
        for photo in list(draft.photos):
            db.session.delete(photo)
        db.session.commit()
        session[RECEIPT_KEY] = repeat.item.reference
        return redirect(url_for("tips.confirmation"), 303)
    receipt = create_tip(
        channel=Channel.WEB,
        category=TipCategory(answers["category"]),
        description=answers["description"],
        place=answers.get("place") or None,
        seen_when=fields.seen_when,
        child_in_danger=answers.get("child_in_danger") == "yes",
        contact_name=answers.get("contact_name") or None,
        contact_phone=answers.get("contact_phone_e164") or None,
        may_contact_by_sms=bool(answers.get("may_contact_by_sms")),
        deadline_days=settings.feedback_deadline_days,
        display_minutes=settings.follow_up_code_display_minutes,
        submission_id=draft_submission_id(),
        details=fields.details(current_language()),
        home_region=settings.deployment_region,
    )
    for photo in list(draft.photos):
        photo.tip_id = receipt.tip.id
        photo.draft_id = None
    draft.tip_id = receipt.tip.id
    draft.answers = None  # the tip holds them now; the draft keeps only the link to it
    db.session.commit()
    _remember(repeat_key, receipt.reference)
    session.pop(FAKE_RECEIPT_KEY, None)
    return redirect(url_for("tips.confirmation"), 303)


def _repeat_key(answers: dict[str, Any], fields: Any) -> str:
    """An HMAC of everything the report would store (category, text, place, when, danger, contact
    and the other details), so that only the same report sent again counts as a repeat: the same
    text with a new place or number plate is a new report, never dropped."""
    stored = {
        "category": answers.get("category"), "description": " ".join(str(answers.get("description", "")).split()),
        "place": answers.get("place") or None, "seen_when": fields.seen_when,
        "child_in_danger": answers.get("child_in_danger") == "yes", "contact_name": answers.get("contact_name") or None,
        "contact_phone": answers.get("contact_phone_e164") or None,
        "may_contact_by_sms": bool(answers.get("may_contact_by_sms")), "details": fields.details("en"),
    }
    return lookup_hash(json.dumps(stored, sort_keys=True, ensure_ascii=False, default=str), "tip-repeat")


def _remember(repeat_key: str, reference: str) -> None:
    recent = [entry for entry in (session.get(RECENT_KEY) or []) if isinstance(entry, list) and len(entry) == 3]
    recent.append([repeat_key, reference, int(utcnow().timestamp())])
    session[RECENT_KEY] = recent[-_RECENT_KEPT:]
    session[RECEIPT_KEY] = reference


def _recent_same_report(repeat_key: str, minutes: int) -> Any:
    """The tip this browser session sent with exactly the same answers (`_repeat_key`) within
    `minutes`, or None.

    Kept in the session (the HMAC, the reference, the time), never in the database.
    """
    cutoff = int(utcnow().timestamp()) - minutes * 60
    for key, reference, sent_at in reversed(session.get(RECENT_KEY) or []):
        if key == repeat_key and sent_at >= cutoff:
            return tip_by_reference(reference)
    return None


def _receipt() -> dict[str, Any] | None:
    """What the confirmation shows: from the draft cookie, else the session; None when nothing was sent."""
    draft = current_draft()
    tip = draft.tip if draft is not None and draft.tip_id is not None else None
    if tip is None:
        reference = session.get(RECEIPT_KEY)
        tip = tip_by_reference(reference) if isinstance(reference, str) else None
    if tip is not None:
        until = tip.follow_up_code_display_until
        code = tip.follow_up_code_display if until is not None and until > utcnow() else None
        return {"reference": tip.item.reference, "code": code, "urgent": tip.child_in_danger}
    fake = session.get(FAKE_RECEIPT_KEY)
    if isinstance(fake, dict) and {"reference", "code", "urgent"} <= set(fake):
        return fake
    return None


@bp.get("/confirmation")
def confirmation() -> str | Response:
    """The reference number, the follow-up code (during its display window), what happens next."""
    receipt = _receipt()
    if receipt is None:
        return redirect(url_for("tips.report"))
    return render_template(
        "tips/confirmation.html", receipt=receipt, form=SavedCodeForm(formdata=None),
        deadline_days=current_app.config["SETTINGS"].feedback_deadline_days,
    )


@bp.get("/confirmation/print")
def confirmation_print() -> str | Response:
    """A print-friendly page: the reference, the code and how to use them, nothing else."""
    receipt = _receipt()
    if receipt is None:
        return redirect(url_for("tips.report"))
    return render_template(
        "tips/confirmation_print.html", receipt=receipt,
        deadline_days=current_app.config["SETTINGS"].feedback_deadline_days,
    )


@bp.post("/confirmation/saved")
@public_post_limit
def code_saved() -> Response:
    """"I have saved my code": stop showing the code here, and say thank you."""
    form = SavedCodeForm()
    if not form.validate_on_submit():
        abort(400)
    draft = current_draft()
    tip = draft.tip if draft is not None and draft.tip_id is not None else None
    if tip is not None:
        stop_showing_follow_up_code(tip)
        db.session.commit()
    session.pop(FAKE_RECEIPT_KEY, None)
    return redirect(url_for("tips.finished"), 303)


@bp.get("/finished")
def finished() -> str:
    """Thank you: the end of the journey."""
    return render_template("tips/finished.html")

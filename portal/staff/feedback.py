"""Feedback to the tipster (反馈) on the staff side: the item page's section and action, and the
admins' page of feedback templates.

The officer chooses one template (`portal.tips.feedback`); there is no free text (the module
docstring there says why). Giving feedback is an edit of the item (EDIT_ITEM: triage officers,
working-group members, admins); rewording the templates is MANAGE_FEEDBACK_TEMPLATES (admins).
`templates/staff/_tip_feedback.html` is included by the item page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired
from werkzeug.wrappers import Response

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import IntakeItem, TipFeedback
from portal.core.permissions import Permission, requires, role_allows
from portal.forms import MaxLength, PortalForm
from portal.staff import views as staff_views
from portal.staff.blueprint import bp
from portal.staff.labels import LABELS, label
from portal.tips import feedback

LABELS["feedback_kind"] = {
    "child_found": _l("Child found"),
    "handled": _l("Verified and dealt with"),
    "not_substantiated": _l("Not substantiated"),
    "passed_on": _l("Passed to another police unit"),
    "still_checking": _l("Still being checked"),
}
LABELS["action"].update({
    "give_feedback": _l("Gave the tipster feedback"),
    "edit_feedback_template": _l("Changed a feedback template"),
})
LABELS["field"].update({
    "feedback": _l("Feedback to the tipster"),
    "feedback_kind": _l("Feedback"),
    "feedback_template": _l("Feedback template"),
    "text_zh": _l("Chinese text"),
    "text_en": _l("English text"),
})


class FeedbackForm(PortalForm):
    """The feedback template the officer gives the tipster."""

    kind = RadioField(_l("What to tell the tipster"), validators=[DataRequired(_l("Choose what to tell the tipster"))],
                      choices=[(kind, kind) for kind in feedback.FEEDBACK_KINDS])


class TemplateForm(PortalForm):
    """An admin's wording of one feedback template, in both languages."""

    text_zh = TextAreaField(_l("In Chinese"), validators=[
        DataRequired(_l("Enter the Chinese text")),
        MaxLength(feedback.TEXT_MAX, _l("The Chinese text must be 300 characters or fewer"))])
    text_en = TextAreaField(_l("In English"), validators=[
        DataRequired(_l("Enter the English text")),
        MaxLength(feedback.TEXT_MAX, _l("The English text must be 300 characters or fewer"))])


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


@dataclass(frozen=True)
class FeedbackSection:
    """What the item page's feedback section shows."""

    given: list[TipFeedback]
    templates: list[feedback.Template]
    route: str  # feedback.sms_route: "sms", "no_consent" or "opted_out"
    form: FeedbackForm | None
    language: str  # the officer's page language, for the templates' texts


def tip_feedback(item: IntakeItem, form: Any = None) -> FeedbackSection | None:
    """The feedback section of a tip's item page (None for other kinds), with the form for
    accounts that may edit (offering first the template of the item's outcome, if any)."""
    tip = item.tip
    if tip is None:
        return None
    chosen = None
    if role_allows(current_user.role, Permission.EDIT_ITEM):
        chosen = form if isinstance(form, FeedbackForm) else FeedbackForm(
            formdata=None, kind=feedback.OUTCOME_KIND.get(item.outcome or ""))
    return FeedbackSection(given=feedback.feedback_for(tip), templates=feedback.templates(),
                           route=feedback.sms_route(tip), form=chosen, language=_language())


@bp.context_processor
def _feedback_helpers() -> dict[str, Any]:
    return {"tip_feedback": tip_feedback}


@bp.post("/items/<reference>/feedback")
@requires(Permission.EDIT_ITEM)
def give_feedback(reference: str) -> Response | tuple[str, int]:
    """Give the tipster the chosen feedback template; an SMS says there is news when they agreed
    and have not opted out (held outside 08:00-21:00 local time). Audited."""
    item = staff_views.visible_item_or_404(reference)
    if item.tip is None:
        abort(404)
    form = FeedbackForm()
    if not form.validate_on_submit():
        return staff_views.render_item(item, form, 400)
    settings = current_app.config["SETTINGS"]
    given = feedback.give_feedback(
        item, form.kind.data, actor_id=current_user.id, now=clock.now(), timezone=settings.site_timezone,
        base_url=settings.public_base_url or request.url_root.rstrip("/"),
    )
    db.session.commit()
    flash({
        "sms": _("Feedback given. The tipster will get a text message saying there is news (between 08:00 and 21:00)."),
        "no_consent": _("Feedback given. The tipster will see it when they check progress."),
        "opted_out": _("Feedback given. The tipster's number asked for no more text messages: they will see it when they check progress."),
    }[given.route])
    return redirect(url_for("staff.item", reference=item.reference) + "#tip-feedback", 303)


@bp.get("/feedback-templates")
@requires(Permission.MANAGE_FEEDBACK_TEMPLATES)
def feedback_templates() -> str:
    """Every feedback template in both languages, each with a link to reword it."""
    return render_template("staff/feedback_templates.html", templates=feedback.templates())


@bp.route("/feedback-templates/<kind>", methods=["GET", "POST"])
@requires(Permission.MANAGE_FEEDBACK_TEMPLATES)
def feedback_template(kind: str) -> Response | tuple[str, int]:
    """Reword one feedback template (both languages); feedback already given keeps its words."""
    if kind not in feedback.FEEDBACK_KINDS:
        abort(404)
    current = feedback.template(kind)
    form = TemplateForm() if request.method == "POST" else TemplateForm(
        formdata=None, text_zh=current.texts["zh"], text_en=current.texts["en"])
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("staff/feedback_template.html", template=current, form=form), 400
        if feedback.save_template(kind, text_zh=form.text_zh.data, text_en=form.text_en.data,
                                  actor_id=current_user.id, now=clock.now()):
            db.session.commit()
            flash(_("Template saved: %(name)s. Feedback given from now on uses the new words.",
                    name=label("feedback_kind", kind)))
        else:
            flash(_("Nothing was changed"))
        return redirect(url_for("staff.feedback_templates"), 303)
    return render_template("staff/feedback_template.html", template=current, form=form), 200

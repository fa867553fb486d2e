"""Feedback to the tipster (反馈): a short template per outcome, shown on /tips/status and
announced by a text message that says only that there is news.

What a tipster may read is decided here, not by the officer. Feedback is one of a few fixed
templates (FEEDBACK_KINDS), each in Chinese and English; admins may reword them (a
`FeedbackTemplate` row; without one the wording below is used, translated like any page), and
the officer chooses one. There is no free text on purpose: a sentence typed at the end of a
shift can name a place, a person or a step of an operation, and a tipster's phone or screen may
be seen by the very people the tip is about. A template is checked once, by an admin, for both
languages; and the tipster reads the feedback in their own language whatever the officer's.

Each feedback keeps both texts as they read when it was given (`TipFeedback`). The tipster's
page shows them in the page's language. When the tipster agreed to SMS contact, left a mobile
number, and that number has not opted out (`portal.core.sms.optout`), a text message goes
through the outbox saying only that there is news about the reference, in the language the tip
was written in (`Tip.language`), held outside 08:00-21:00 local time (`portal.tips.notices`):
a shared phone learns nothing of the outcome. The outbox worker checks the opt-out again when
it sends.

Every kind but "still being checked" is final: it says how the report ended, and only final
feedback answers a tip in time (`portal.triage.deadlines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import FeedbackTemplate, IntakeItem, Outcome, Tip, TipFeedback
from portal.core.outbox import queue_message
from portal.core.security.crypto import phone_hash
from portal.core.sms import optout
from portal.tips.notices import polite_send_time

FEEDBACK_PURPOSE = "tip_feedback"
LANGUAGES = ("zh", "en")
# The most hopeful first, the interim news last. Keys are stored: never rename one.
FEEDBACK_KINDS: tuple[str, ...] = ("child_found", "handled", "not_substantiated", "passed_on", "still_checking")
NOT_FINAL = frozenset({"still_checking"})
TEXT_MAX = 300  # characters; what an admin may write per language

DEFAULT_TEXTS: dict[str, LazyString] = {
    "child_found": _l("The police have checked your report. The child it was about has been found. Thank you for your help."),
    "handled": _l("The police have checked your report and dealt with it. Thank you for your help."),
    "not_substantiated": _l(
        "The police have checked your report and found nothing that needs further action. Thank you for telling us."
        " If you see something again, please report it."),
    "passed_on": _l("Your report has been passed to the police unit responsible for the place, which will check it."
                    " Thank you for your help."),
    "still_checking": _l("The police are still checking your report. When there is more to tell you, you will see it here."),
}
# The template an officer is offered first after closing with an outcome.
OUTCOME_KIND: dict[str, str] = {
    Outcome.CHILD_FOUND: "child_found",
    Outcome.CONFIRMED_LEAD: "handled",
    Outcome.NOT_SUBSTANTIATED: "not_substantiated",
}


class UnknownFeedbackKind(ValueError):
    """The kind is not one of FEEDBACK_KINDS."""


@dataclass(frozen=True)
class Template:
    """One feedback template as it reads now: `texts` by language ("zh", "en"); `edited` when
    an admin's wording replaces the default."""

    kind: str
    final: bool
    texts: dict[str, str]
    edited: bool


def default_text(kind: str, language: str) -> str:
    """The wording in the code of `kind` in `language` ("zh" or "en")."""
    with force_locale(language):
        return str(DEFAULT_TEXTS[kind])


def templates() -> list[Template]:
    """Every template, in FEEDBACK_KINDS order, with an admin's wording where there is one."""
    rows = {row.key: row for row in db.session.scalars(select(FeedbackTemplate))}
    found = []
    for kind in FEEDBACK_KINDS:
        row = rows.get(kind)
        texts = {"zh": row.text_zh, "en": row.text_en} if row else {lang: default_text(kind, lang) for lang in LANGUAGES}
        found.append(Template(kind=kind, final=kind not in NOT_FINAL, texts=texts, edited=row is not None))
    return found


def template(kind: str) -> Template:
    """The template `kind` as it reads now. Raises UnknownFeedbackKind."""
    if kind not in FEEDBACK_KINDS:
        raise UnknownFeedbackKind(kind)
    return next(t for t in templates() if t.kind == kind)


def save_template(kind: str, *, text_zh: str, text_en: str, actor_id: int, now: datetime) -> bool:
    """Store an admin's wording of `kind` (both languages, already checked for length and
    emptiness by the form). Returns False when nothing changed. Audited (field names only).
    Feedback already given keeps the wording it had. Raises UnknownFeedbackKind."""
    current = template(kind)
    wanted = {"zh": text_zh, "en": text_en}
    if current.texts == wanted:
        return False
    row = db.session.get(FeedbackTemplate, kind)
    if row is None:
        row = FeedbackTemplate(key=kind)
        db.session.add(row)
    row.text_zh, row.text_en, row.updated_at, row.updated_by_id = text_zh, text_en, now, actor_id
    changed = [f"text_{lang}" for lang in LANGUAGES if current.texts[lang] != wanted[lang]]
    audit.record("edit_feedback_template", actor_id=actor_id, fields=["feedback_template", *changed])
    return True


def feedback_sms(reference: str, language: str, base_url: str) -> str:
    """The text message telling a tipster there is news: the reference and where to read it,
    never the news itself. `language`: the tip's ("zh" or "en"; anything else reads Chinese)."""
    with force_locale(language if language in LANGUAGES else "zh"):
        return _(
            "Tuanyuan: there is news about your report %(reference)s. To read it, enter your reference number"
            " and follow-up code at %(url)s",
            reference=reference, url=f"{base_url}/tips/status",
        )


def sms_route(tip: Tip) -> str:
    """Whether feedback on `tip` may be announced by SMS: "sms" (agreed, a number, not opted
    out), "no_consent" (did not agree or left no number) or "opted_out"."""
    if not tip.may_contact_by_sms or not tip.contact_phone:
        return "no_consent"
    if optout.is_opted_out(phone_hash(tip.contact_phone)):
        return "opted_out"
    return "sms"


@dataclass(frozen=True)
class Given:
    """Feedback just given, and how the tipster will hear of it (`sms_route`'s answer)."""

    feedback: TipFeedback
    route: str


def give_feedback(item: IntakeItem, kind: str, *, actor_id: int, now: datetime, timezone: str, base_url: str) -> Given:
    """Give the tipster of `item` (a tip) the feedback template `kind`, as it reads now.

    `now`: aware UTC. `timezone`: the deployment's IANA zone (SITE_TIMEZONE), for the night
    hold of the SMS. `base_url`: the public address the SMS names (no trailing slash).
    Queues the SMS when `sms_route` allows it, not before `polite_send_time(now, timezone)`.
    Audited: the feedback kind, never a text. Writes to the session; the caller commits.
    Raises UnknownFeedbackKind, or ValueError for an item that is not a tip.
    """
    tip = item.tip
    if tip is None:
        raise ValueError("feedback is given on tips only")
    chosen = template(kind)
    route = sms_route(tip)
    feedback = TipFeedback(tip_id=tip.id, kind=kind, final=chosen.final, text_zh=chosen.texts["zh"],
                           text_en=chosen.texts["en"], given_at=now, given_by_id=actor_id, sent_by_sms=route == "sms")
    db.session.add(feedback)
    if route == "sms":
        queue_message(tip.contact_phone, feedback_sms(item.reference, tip.language or "zh", base_url),  # type: ignore[arg-type]  # the route says there is a phone
                      FEEDBACK_PURPOSE, item_id=item.id, not_before=polite_send_time(now, timezone))
    audit.record("give_feedback", actor_id=actor_id, item_id=item.id, fields=["feedback"],
                 changes={"feedback_kind": (None, kind)})
    db.session.flush()
    return Given(feedback=feedback, route=route)


def feedback_for(tip: Tip) -> list[TipFeedback]:
    """The feedback given on `tip`, newest first."""
    return list(db.session.scalars(
        select(TipFeedback).where(TipFeedback.tip_id == tip.id).order_by(TipFeedback.given_at.desc(), TipFeedback.id.desc())
    ))

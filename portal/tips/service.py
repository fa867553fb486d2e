"""Creating tips: the one function the web form and the SMS hotline both call."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from sqlalchemy.exc import IntegrityError

from portal.core import audit, place_names
from portal.core.extensions import db
from portal.core.intake import new_item, unused_reference
from portal.core.models import Channel, IntakeItem, ItemKind, Priority, RegionSource, Tip, TipCategory, utcnow
from portal.core.partial_dates import from_edtf
from portal.core.security.crypto import hashes_match, lookup_hash, phone_hash
from portal.core.security.references import new_follow_up_code, normalise_follow_up_code, normalise_reference
from portal.triage.alerts import alert_duty_officers
from portal.triage.priority import TipSignals, tip_priority

FOLLOW_UP_PURPOSE = "follow-up-code"


@dataclass(frozen=True)
class TipDetails:
    """What the web journey adds to a tip beyond the SMS hotline's few words; every field optional.

    `region_code`: six-digit GB/T 2260 code of the most precise division chosen; `region_name`:
    its names (江苏省南通市海门区). `seen_date`: the local date as far as the tipster knew it, as
    EDTF (2026-11-03, 2026-11, 2026~: portal.core.partial_dates); `seen_time`: a key of
    `portal.tips.labels.TIME_OF_DAY_LABELS`; `child_sex`: a key of `SEX_LABELS`.
    """

    region_code: str | None = None
    region_name: str | None = None
    seen_date: str | None = None
    seen_time: str | None = None
    child_age: str | None = None
    child_sex: str | None = None
    child_height: str | None = None
    child_clothing: str | None = None
    child_marks: str | None = None
    child_language: str | None = None
    adults_description: str | None = None
    vehicle_description: str | None = None
    vehicle_plate: str | None = None
    language: str | None = None


def normalise_plate(text: str | None) -> str | None:
    """A number plate in one searchable form: full-width folded, upper case, without spaces,
    dots or hyphens (`苏F·12345` → `苏F12345`). None for empty input."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    cleaned = re.sub(r"[\s\-·.•]", "", folded)
    return cleaned[:20] or None


def _earliest_day(seen_date: str | None) -> date | None:
    """The first day an EDTF date can mean (1 November 2026 for 2026-11), or None."""
    given = from_edtf(seen_date)
    return given.earliest() if given is not None else None


@dataclass(frozen=True)
class TipReceipt:
    """What the tipster is shown once: the reference number and the plain follow-up code."""

    tip: Tip
    reference: str
    follow_up_code: str


def create_tip(
    *,
    channel: Channel,
    category: TipCategory,
    description: str,
    place: str | None = None,
    seen_when: str | None = None,
    child_in_danger: bool | None = False,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    may_contact_by_sms: bool = False,
    deadline_days: int = 7,
    display_minutes: int = 60,
    submission_id: str | None = None,
    details: TipDetails | None = None,
    home_region: str = "",
) -> TipReceipt:
    """Create a tip and its intake item in the current transaction (the caller commits).

    `contact_phone` must already be E.164 (see `portal.core.identity.normalise_mobile`). The priority
    follows `portal.triage.priority` (a child in danger makes the item urgent, so it tops the
    queue, and an urgent tip alerts the officers on duty: `portal.triage.alerts`). The follow-up code is stored only as an
    HMAC; its plain text is kept encrypted for `display_minutes` so a refresh or print of the
    confirmation still shows it (0: not kept at all, for channels with no page to show it). Nothing about the sender's device or address is stored.

    `submission_id`: the web form's one-time id. A second tip with the same id (a double click
    whose two requests arrive together) is refused by a unique index, and the first tip's
    receipt is returned instead; its follow-up code is the one still on display.

    `details`: the web journey's structured answers (where, when, who); see TipDetails. When they
    give no region, or only a province or city, the region is recognised in the description and
    the place (`recognise_region`); `home_region`: the deployment's own division code
    (DEPLOYMENT_REGION, "" for none), which ranks names shared by several divisions.
    """
    details = details or TipDetails()
    region_text = " ".join(part for part in (details.region_name, place) if part) or None
    submission_key = lookup_hash(submission_id, "tip-submission") if submission_id else None
    if submission_key is not None:
        earlier = _receipt_for_submission(submission_key)
        if earlier is not None:
            return earlier
    # Every read comes before the savepoint. On SQLite a transaction that reads and then writes
    # fails at once ("database is locked") when another writer got in between; one that starts
    # by writing waits for its turn instead.
    reference = unused_reference()
    code = new_follow_up_code()
    # The item and the tip are written together or not at all: a refused duplicate leaves no
    # orphan item in the queue.
    savepoint = db.session.begin_nested()
    item = new_item(
        ItemKind.TIP,
        channel,
        priority=tip_priority(TipSignals(
            child_in_danger=bool(child_in_danger), category=category, description=description, now=utcnow(),
            place=place, seen_when=seen_when, has_contact=bool(contact_phone or contact_name),
        )),
        deadline_days=deadline_days,
        region_text=region_text[:500] if region_text else None,
        reference=reference,
    )
    item.region_code = details.region_code
    item.region_source = RegionSource.TIPSTER if details.region_code else None
    tip = Tip(
        item=item,
        category=category,
        description=description,
        place=place or None,
        seen_when=seen_when or None,
        child_in_danger=child_in_danger,
        contact_name=contact_name or None,
        contact_phone=contact_phone or None,
        contact_phone_hash=phone_hash(contact_phone) if contact_phone else None,
        may_contact_by_sms=bool(contact_phone) and may_contact_by_sms,
        follow_up_code_hash=lookup_hash(code, FOLLOW_UP_PURPOSE),
        follow_up_code_display=code if display_minutes > 0 else None,
        follow_up_code_display_until=utcnow() + timedelta(minutes=display_minutes) if display_minutes > 0 else None,
        submission_key=submission_key,
        seen_date=details.seen_date or None,
        seen_on=_earliest_day(details.seen_date),
        seen_time=details.seen_time,
        child_age=details.child_age or None,
        child_sex=details.child_sex or None,
        child_height=details.child_height or None,
        child_clothing=details.child_clothing or None,
        child_marks=details.child_marks or None,
        child_language=details.child_language or None,
        adults_description=details.adults_description or None,
        vehicle_description=details.vehicle_description or None,
        vehicle_plate=normalise_plate(details.vehicle_plate),
        language=details.language,
    )
    recognise_region(tip, home_region)
    db.session.add(tip)
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        earlier = _receipt_for_submission(submission_key) if submission_key else None
        if earlier is None:
            raise
        return earlier
    alert_duty_officers(item)
    return TipReceipt(tip=tip, reference=item.reference, follow_up_code=code)


def recognise_region(tip: Tip, home_region: str = "") -> bool:
    """Set the tip's region (`IntakeItem.region_code`, six-digit GB/T 2260) from the divisions named
    in its description and place (`portal.core.place_names.recognise`: 海门汽车站 → 320614), when
    the tipster chose none or only a province or city (then only a division under that one), and
    staff have not set it. `home_region`: DEPLOYMENT_REGION ("" for none). In the current
    transaction (the caller commits). Returns True when the region changed.
    """
    item = tip.item
    if item.region_source == RegionSource.STAFF:
        return False
    within = item.region_code if item.region_source == RegionSource.TIPSTER else None
    found = place_names.recognise(tip.description or "", place=tip.place or "", home=home_region, within=within)
    if found is None or found.code == item.region_code:
        return False
    item.region_code = found.code
    item.region_source = RegionSource.RECOGNISED
    return True


def _receipt_for_submission(submission_key: str) -> TipReceipt | None:
    tip = db.session.scalar(select(Tip).where(Tip.submission_key == submission_key))
    if tip is None:
        return None
    return TipReceipt(tip=tip, reference=tip.item.reference, follow_up_code=tip.follow_up_code_display or "")


def follow_up_code_matches(tip: Tip, typed: str) -> bool:
    """True when `typed` (any case, spacing, width) is this tip's follow-up code. Constant-time."""
    return hashes_match(normalise_follow_up_code(typed), tip.follow_up_code_hash, FOLLOW_UP_PURPOSE)


def stop_showing_follow_up_code(tip: Tip) -> None:
    """Erase the plain follow-up code kept for the confirmation page ("I have saved my code",
    "Exit this page"); only its HMAC remains, so nobody can be shown it again. The caller commits."""
    tip.follow_up_code_display = None
    tip.follow_up_code_display_until = None


def tip_by_reference(reference: str) -> Tip | None:
    """The tip whose intake item has exactly this canonical reference (`TY-XXXX-XXXX`), or None."""
    return db.session.scalar(select(Tip).join(IntakeItem).where(IntakeItem.reference == reference))


def find_tip_for_follow_up(reference_text: str, code_text: str) -> Tip | None:
    """The tip matching a typed reference number AND follow-up code (any case, spacing, width), or None.

    Returns None alike for an unknown reference, a reference that is not a tip, and a wrong code,
    and does the same hashing work in each case, so neither the answer nor its timing says
    which reference numbers exist.
    """
    reference = normalise_reference(reference_text)
    # One query whatever the reference: a separate lookup of the item and then its tip would
    # take longer for references that exist.
    tip = tip_by_reference(reference) if reference is not None else None
    if tip is None:
        hashes_match(normalise_follow_up_code(code_text), "0" * 64, FOLLOW_UP_PURPOSE)
        return None
    return tip if follow_up_code_matches(tip, code_text) else None


def mark_urgent(tip: Tip, *, danger_word: str | None = None) -> bool:
    """Make the tip urgent and alert the officers on duty (a danger word in an SMS), in the current
    transaction (the caller commits). `child_in_danger` is left as the tipster answered: it means
    they said so. Also when staff had lowered the priority: the new words are new information,
    so the tip is raised again, its alert re-opened, and the change audited as the public's.
    `danger_word`: the word that made it urgent, kept with the alert for the banner to show.
    Returns True when this changed the priority."""
    before = tip.item.priority
    if before == Priority.URGENT:
        return False
    tip.item.priority = Priority.URGENT
    db.session.flush()
    audit.record("change_priority", actor_kind="public", item_id=tip.item_id,
                 changes={"priority": (before, Priority.URGENT)})
    alert_duty_officers(tip.item, danger_word=danger_word)
    return True


def mark_child_in_danger(tip: Tip) -> bool:
    """Record, after the tip was made, that the tipster says a child is in danger right now (an SMS
    answer): `child_in_danger` is set, the tip becomes urgent and the officers on duty are
    alerted, as if the form had said so. In the current transaction (the caller commits).
    Returns True when this changed the tip, False when it was already marked."""
    if tip.child_in_danger and tip.item.priority == Priority.URGENT:
        return False
    tip.child_in_danger = True
    mark_urgent(tip)
    return True

"""Sample tube numbers at the desk: recording them, and correcting one afterwards with a reason.

A tube number is unique across the deployment (`portal.core.tube_numbers`; the unique index
`uq_attendee_sample_tube_number`), and a number corrected away or removed stays reserved (the
table `retired_tube_number`). The desk checks first and says which booking holds the number;
when two desks save the same label at the same instant, both checks pass, the database lets one
write through and the other's IntegrityError (caught in a savepoint) becomes the same refusal.
A person gets a tube number once: the write is a conditional UPDATE ... WHERE
sample_tube_number IS NULL, so of two desks saving different tubes for the same person at once
(or one form posted twice) exactly one saves, and the other is told the number already recorded. Nothing is saved from a refused form: the caller rolls back and shows it again as typed.
Channel-agnostic domain code; the staff pages (staff_views.py) call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.core.models import (
    Appointment,
    AppointmentStatus,
    Attendee,
    ItemNote,
    RetiredTubeNumber,
    SamplingSite,
    utcnow,
)
from portal.core.models.sampling import TUBE_NUMBER_INDEX
from portal.sampling import notices, visits
from portal.sampling.booking import NotChangeable
from portal.core.tube_numbers import (
    LabelFormat,
    TubeNumberProblem,
    check_tube_number,
    normalise_tube_number,
    parse_label_format,
)

MAX_REASON_LENGTH = 500


class TubeNumberInUse(TubeNumberProblem):
    """The tube number is already saved for another person: `item_id` is that person's booking
    (an IntakeItem id; None when the database refused it but the holder cannot be read), and
    `same_booking` is True when that person is in the same booking."""

    def __init__(self, tube: str, item_id: int | None, same_booking: bool = False) -> None:
        super().__init__(tube)
        self.item_id = item_id
        self.same_booking = same_booking


class TubeNumberRepeated(TubeNumberProblem):
    """The same tube number was typed for two people of one form."""


class TubeNumberRetired(TubeNumberProblem):
    """The tube number was saved for someone once, then corrected away or removed: it stays
    reserved and is never given to anyone else."""


class TubeNumberAlreadyRecorded(TubeNumberProblem):
    """A tube number was typed for a person who already has one (a page opened before it was
    saved, another desk, a form posted twice). `tube` is the number already recorded ("" when it
    was removed meanwhile). A saved number changes only through `correct_tube_number`."""


class ReportedNotSampled(TubeNumberProblem):
    """A tube number typed at the desk for a person the closed visit reported as not sampled (a
    page opened before the visit was closed): the family was told so. Only `correct_tube_number`,
    with a reason, records their sample afterwards, and tells the family."""


class TubeNumbersRefused(Exception):
    """The tube numbers of a form that cannot be saved: {attendee id: TubeNumberProblem}. Nothing
    was saved."""

    def __init__(self, problems: dict[int, TubeNumberProblem]) -> None:
        super().__init__(sorted(problems))
        self.problems = problems


class ReasonNeeded(ValueError):
    """A correction was asked for without a reason."""


class NothingToCorrect(ValueError):
    """The corrected tube number is the one already saved."""


@dataclass(frozen=True)
class TubeHolder:
    """Who holds a tube number: the attendee, their appointment and its intake item (ids)."""

    attendee_id: int
    appointment_id: int
    item_id: int


def site_label_format(site: SamplingSite) -> LabelFormat | None:
    """The site's tube label format, or None when it has none (any label). A format saved before a
    rule changed and no longer readable counts as none rather than blocking the desk."""
    try:
        return parse_label_format(site.tube_label_format, site.tube_check_algorithm)
    except ValueError:
        return None


def site_with_same_labels(label_format: LabelFormat, *, other_than: int | None) -> SamplingSite | None:
    """Another site (not `other_than`) whose label format gives the same labels as
    `label_format` (`LabelFormat.labels_key`), or None. Two such sites would refuse each other's
    labels as used, so the site form refuses the second."""
    query = select(SamplingSite).where(SamplingSite.tube_label_format.is_not(None)).order_by(SamplingSite.id)
    if other_than is not None:
        query = query.where(SamplingSite.id != other_than)
    for site in db.session.scalars(query):
        theirs = site_label_format(site)
        if theirs is not None and theirs.labels_key == label_format.labels_key:
            return site
    return None


def tube_holder(tube: str, *, other_than: int | None = None) -> TubeHolder | None:
    """Who holds `tube` (already normalised), apart from attendee `other_than`, or None."""
    query = (select(Attendee.id, Attendee.appointment_id, Appointment.item_id)
             .join(Appointment, Appointment.id == Attendee.appointment_id)
             .where(Attendee.sample_tube_number == tube))
    if other_than is not None:
        query = query.where(Attendee.id != other_than)
    row = db.session.execute(query.limit(1)).first()
    return TubeHolder(*row) if row is not None else None


def _is_tube_number_clash(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the column of a unique index.
    message = str(error.orig)
    return TUBE_NUMBER_INDEX in message or "attendee.sample_tube_number" in message


def is_retired(tube: str) -> bool:
    """True when `tube` (normalised) was corrected away or removed once: reserved for ever."""
    return db.session.scalar(select(RetiredTubeNumber.id).where(RetiredTubeNumber.tube_number == tube)) is not None


def retire(tube: str | None) -> None:
    """Keep `tube` (normalised) reserved for ever, in the caller's transaction (once: a number
    already retired stays as it is)."""
    if tube and not is_retired(tube):
        db.session.execute(RetiredTubeNumber.__table__.insert().values(tube_number=tube, retired_at=utcnow()))


def _in_use(tube: str, attendee: Attendee) -> TubeNumberProblem | None:
    holder = tube_holder(tube, other_than=attendee.id)
    if holder is not None:
        return TubeNumberInUse(tube, holder.item_id, holder.appointment_id == attendee.appointment_id)
    return TubeNumberRetired(tube) if is_retired(tube) else None


class _SavedMeanwhile(Exception):
    def __init__(self, attendee_id: int) -> None:
        super().__init__(attendee_id)
        self.attendee_id = attendee_id


def _recorded_now(attendee_id: int) -> str:
    """The tube number saved for the attendee as committed now ("" if none)."""
    return db.session.scalar(select(Attendee.sample_tube_number).where(Attendee.id == attendee_id)) or ""


def _refusal_after_clash(wanted: dict[int, str], attendees: dict[int, Attendee]) -> TubeNumbersRefused:
    """The refusal for an IntegrityError on the tube index: another transaction saved one of the
    numbers between the check and the write. Read committed now shows who holds it."""
    problems: dict[int, TubeNumberProblem] = {}
    for attendee_id, tube in wanted.items():
        problem = _in_use(tube, attendees[attendee_id])
        if problem is not None:
            problems[attendee_id] = problem
    return TubeNumbersRefused(problems or {
        attendee_id: TubeNumberInUse(tube, None) for attendee_id, tube in wanted.items()})


def reported_not_sampled(attendee: Attendee) -> bool:
    """True when the closed visit of `attendee` reported them as not sampled (a reason kept, no
    tube): the family was told so, and only `correct_tube_number` records a sample for them."""
    return (attendee.appointment.visit_done_at is not None and attendee.not_sampled_reason is not None
            and not attendee.sample_tube_number)


def record_samples(appointment: Appointment, tube_numbers: dict[int, str], *, actor_id: int) -> int:
    """Record the tube number of each attendee of a checked-in appointment who has none yet
    ({attendee id: tube number as typed}; blank ones skipped), and, once every attendee's sample
    is recorded, mark the visit done and queue the "sample taken" SMS, once
    (`portal.sampling.visits.finish_if_all_sampled`). The caller commits.

    Each number must pass `portal.core.tube_numbers.check_tube_number` under the site's label format,
    differ from the others typed, be held by nobody else in the deployment and never have been
    retired. A number typed for someone who already has one is refused
    (TubeNumberAlreadyRecorded: `correct_tube_number` changes a saved one, with a reason), also
    when another desk saved it between this page's read and this write. A number typed for someone
    the closed visit reported as not sampled (`reported_not_sampled`: a page opened before the
    close) is refused (ReportedNotSampled): the family was told, so only `correct_tube_number`
    records it, with a reason, and tells them. Returns how many samples
    were recorded (0: nothing typed). Raises NotChangeable when the appointment is not checked in,
    and TubeNumbersRefused {attendee id: problem} when any number is refused (nothing is saved then).
    """
    if appointment.status != AppointmentStatus.CHECKED_IN:
        raise NotChangeable(appointment.id)
    label_format = site_label_format(appointment.site)
    attendees = {attendee.id: attendee for attendee in appointment.attendees}
    problems: dict[int, TubeNumberProblem] = {}
    wanted: dict[int, str] = {}
    for attendee in appointment.attendees:
        if attendee.sample_tube_number:
            if normalise_tube_number(tube_numbers.get(attendee.id)) is not None:
                problems[attendee.id] = TubeNumberAlreadyRecorded(attendee.sample_tube_number)
            continue
        if reported_not_sampled(attendee) and normalise_tube_number(tube_numbers.get(attendee.id)) is not None:
            problems[attendee.id] = ReportedNotSampled(normalise_tube_number(tube_numbers.get(attendee.id)) or "")
            continue
        try:
            tube = check_tube_number(tube_numbers.get(attendee.id), label_format)
        except TubeNumberProblem as problem:
            problems[attendee.id] = problem
            continue
        if tube is None:
            continue
        if tube in wanted.values():
            problems[attendee.id] = TubeNumberRepeated(tube)
            continue
        wanted[attendee.id] = tube
        in_use = _in_use(tube, attendee)
        if in_use is not None:
            problems[attendee.id] = in_use
    if problems:
        raise TubeNumbersRefused(problems)
    if not wanted:
        return 0
    try:
        # Everything in one savepoint: on SQLite, whose driver opens no transaction for reads, the
        # savepoint is the transaction, and the audit event and the SMS must share its fate.
        with db.session.begin_nested():
            now = utcnow()
            for attendee_id, tube in wanted.items():
                # Only while the person has no number and was not reported as not sampled (a visit
                # closed meanwhile at another desk): on PostgreSQL a second desk's UPDATE waits for
                # the first to commit, then finds the row no longer matches.
                written = db.session.execute(
                    update(Attendee).where(Attendee.id == attendee_id, Attendee.sample_tube_number.is_(None),
                                           Attendee.not_sampled_reason.is_(None))
                    .values(sample_tube_number=tube, sample_taken_at=now, not_sampled_reason=None,
                            not_sampled_note=None)
                    .execution_options(synchronize_session=False))
                if written.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
                    raise _SavedMeanwhile(attendee_id)
            audit.record("samples_recorded", actor_id=actor_id, item_id=appointment.item_id,
                         fields=["sample_tube_number"])
            visits.finish_if_all_sampled(appointment)
            db.session.flush()
    except _SavedMeanwhile as saved:
        raise TubeNumbersRefused({saved.attendee_id: TubeNumberAlreadyRecorded(_recorded_now(saved.attendee_id))}) \
            from None
    except IntegrityError as error:
        if not _is_tube_number_clash(error):
            raise
        raise _refusal_after_clash(wanted, attendees) from error
    for attendee_id in wanted:
        db.session.expire(attendees[attendee_id], ["sample_tube_number", "sample_taken_at", "not_sampled_reason",
                                                   "not_sampled_note"])
    return len(wanted)


def correction_note(position: int, before: str | None, after: str | None, reason: str) -> str:
    """The internal note a correction leaves on the booking (encrypted, like every note), in the
    current language: which person (1 = first of the booking), the numbers, the reason."""
    if after is None:
        return _("Tube number of person %(number)d (%(before)s) removed. Reason: %(reason)s",
                 number=position, before=before or "–", reason=reason)
    return _("Tube number of person %(number)d changed from %(before)s to %(after)s. Reason: %(reason)s",
             number=position, before=before or "–", after=after, reason=reason)


def late_sample_note(position: int, tube: str, was: str, reason: str) -> str:
    """The internal note left when a person reported as not sampled gets a tube after the visit
    was closed: which person, the number, the reason they had been reported with (`was`, as
    shown), and the reason given now. In the current language."""
    return _("Tube number %(tube)s recorded for person %(number)d after the visit was closed (reported as not "
             "sampled: %(was)s). Reason: %(reason)s", tube=tube, number=position, was=was, reason=reason)


def _record_late_sample(attendee: Attendee, typed: str | None, reason: str, *, actor_id: int) -> str:
    """`correct_tube_number` for a person reported as not sampled: see there."""
    appointment = attendee.appointment
    try:
        tube = check_tube_number(typed, site_label_format(appointment.site))
    except TubeNumberProblem as problem:
        raise TubeNumbersRefused({attendee.id: problem}) from problem
    if tube is None:
        raise NothingToCorrect(attendee.id)
    in_use = _in_use(tube, attendee)
    if in_use is not None:
        raise TubeNumbersRefused({attendee.id: in_use})
    position = [a.id for a in appointment.attendees].index(attendee.id) + 1
    was = str(visits.NOT_SAMPLED_REASONS.get(attendee.not_sampled_reason or "", attendee.not_sampled_reason or ""))
    try:
        with db.session.begin_nested():
            written = db.session.execute(
                update(Attendee).where(Attendee.id == attendee.id, Attendee.sample_tube_number.is_(None),
                                       Attendee.not_sampled_reason.is_not(None))
                .values(sample_tube_number=tube, sample_taken_at=utcnow(), not_sampled_reason=None,
                        not_sampled_note=None)
                .execution_options(synchronize_session=False))
            if written.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
                raise _SavedMeanwhile(attendee.id)
            db.session.add(ItemNote(item_id=appointment.item_id, author_id=actor_id,
                                    body=late_sample_note(position, tube, was, reason[:MAX_REASON_LENGTH])))
            audit.record("sample_recorded_after_close", actor_id=actor_id, item_id=appointment.item_id,
                         fields=["sample_tube_number", "not_sampled_reason", "note"],
                         changes={"attendee_id": (attendee.id, attendee.id)})
            notices.queue_sampled_after_all(appointment, attendee)
            db.session.flush()
    except _SavedMeanwhile:
        raise TubeNumbersRefused({attendee.id: TubeNumberAlreadyRecorded(_recorded_now(attendee.id))}) from None
    except IntegrityError as error:
        if not _is_tube_number_clash(error):
            raise
        raise _refusal_after_clash({attendee.id: tube}, {attendee.id: attendee}) from error
    db.session.expire(attendee, ["sample_tube_number", "sample_taken_at", "not_sampled_reason", "not_sampled_note"])
    return tube


def correct_tube_number(attendee: Attendee, typed: str | None, reason: str, *, actor_id: int) -> str | None:
    """Change or remove (`typed` blank) the saved tube number of `attendee`, for `reason`, in the
    caller's transaction. The new number passes the same checks as at the desk (never a retired
    one). The number replaced or removed is retired: never given to anyone again. A removed
    number also clears the sample's time, so the person counts as not sampled and the desk can
    record a new tube.

    Recorded as an internal note on the booking (the reason and the numbers: `correction_note`)
    and an audit event naming the staff member, the attendee id and the fields, never the values.

    A person the closed visit reported as not sampled (`reported_not_sampled`) who came late
    after all has no number yet: theirs is recorded here (not at the desk), with the time taken;
    their not-sampled reason and note are cleared (the internal note keeps the reason they had),
    and the family, who were told the sample was not taken, get one SMS that it was taken after
    all (`notices.queue_sampled_after_all`; once: the write needs the person still without a
    number, and a later correction is an ordinary one).

    Returns the new normalised number (None: removed). Raises ReasonNeeded, NotChangeable (no
    number saved yet and not reported as not sampled: the desk records it), NothingToCorrect (also
    an empty number for a person with none), or TubeNumbersRefused {attendee id: problem}.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonNeeded(attendee.id)
    before = attendee.sample_tube_number
    if not before:
        if not reported_not_sampled(attendee):
            raise NotChangeable(attendee.appointment_id)
        return _record_late_sample(attendee, typed, reason, actor_id=actor_id)
    appointment = attendee.appointment
    try:
        tube = check_tube_number(typed, site_label_format(appointment.site))
    except TubeNumberProblem as problem:
        raise TubeNumbersRefused({attendee.id: problem}) from problem
    if tube == before:
        raise NothingToCorrect(attendee.id)
    if tube is not None:
        in_use = _in_use(tube, attendee)
        if in_use is not None:
            raise TubeNumbersRefused({attendee.id: in_use})
    position = [a.id for a in appointment.attendees].index(attendee.id) + 1
    try:
        with db.session.begin_nested():
            # Only while the person still has the number read above: of two corrections at once,
            # the second's UPDATE waits for the first (PostgreSQL), then finds the row changed.
            values: dict = {"sample_tube_number": tube}
            if tube is None:
                values["sample_taken_at"] = None
            written = db.session.execute(
                update(Attendee).where(Attendee.id == attendee.id, Attendee.sample_tube_number == before)
                .values(**values).execution_options(synchronize_session=False))
            if written.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
                raise _SavedMeanwhile(attendee.id)
            retire(before)
            db.session.add(ItemNote(item_id=appointment.item_id, author_id=actor_id,
                                    body=correction_note(position, before, tube, reason[:MAX_REASON_LENGTH])))
            audit.record("tube_number_corrected", actor_id=actor_id, item_id=appointment.item_id,
                         fields=["sample_tube_number", "note"], changes={"attendee_id": (attendee.id, attendee.id)})
            db.session.flush()
    except _SavedMeanwhile:
        raise TubeNumbersRefused({attendee.id: TubeNumberAlreadyRecorded(_recorded_now(attendee.id))}) from None
    except IntegrityError as error:
        if not _is_tube_number_clash(error) or tube is None:
            raise
        raise _refusal_after_clash({attendee.id: tube}, {attendee.id: attendee}) from error
    db.session.expire(attendee, ["sample_tube_number", "sample_taken_at"])
    return tube


__all__ = ["NothingToCorrect", "ReasonNeeded", "ReportedNotSampled", "TubeHolder", "TubeNumberAlreadyRecorded",
           "TubeNumberInUse", "TubeNumberRepeated", "TubeNumberRetired", "TubeNumbersRefused", "correct_tube_number",
           "correction_note", "is_retired", "late_sample_note", "record_samples", "reported_not_sampled", "retire",
           "site_label_format", "site_with_same_labels", "tube_holder"]

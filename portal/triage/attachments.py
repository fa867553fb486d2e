"""Files staff attach to an item (case-file attachments): adding one, listing an item's, reading
one's bytes, and erasing them all with the item's personal details.

A file is judged and cleaned by `portal.core.attachments.clean_attachment` (a photo re-encoded
like a tip's, a PDF rewritten without scripts, actions, embedded files or forms), then written
to TIP_PHOTO_DIR under a random name (`portal.core.photos.store_file`). Nothing here checks who
may do it: the staff views check the permission and the item's scope, and audit each download.

For the printable case file: `attachments_for(item)` lists an item's attachments, oldest first,
and `attachment_bytes(attachment)` reads one stored file. Neither records an audit event; the
caller records its own (printing or downloading the case file).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core import audit, clock
from portal.core.attachments import SUFFIXES, AttachmentRefused, CleanAttachment, clean_attachment, safe_file_name
from portal.core.extensions import db
from portal.core.models import CaseAttachment, IntakeItem
from portal.core.photos import delete_stored_file, store_file, stored_path


def _folder() -> str:
    return current_app.config["SETTINGS"].tip_photo_dir


def add_attachment(item: IntakeItem, *, file_name: str | None, raw: bytes, actor_id: int) -> tuple[CaseAttachment, CleanAttachment]:
    """Clean `raw` (an uploaded file's bytes; `file_name` as the browser sent it), store it and
    add its row to `item`, audited as "attachment_added" with the row's id and, for a PDF, how
    many of each kind of active content were removed (`CleanAttachment.removed`). Returns the
    row (flushed, so it has its id) and the cleaned file. The row records, for the chain of
    custody, the SHA-256 of `raw` as uploaded and a photo's capture time (`CleanAttachment.taken_at`). The caller commits; if the commit fails
    it must call `discard(row)` so that no file is left without a row.

    Raises portal.core.attachments.AttachmentRefused (nothing stored): 'erased' for an item whose
    personal details were erased (`portal.triage.redaction.erase_personal_data`); for an empty file, one over
    ATTACHMENT_MAX_BYTES, one that is neither a photo nor a PDF, a PDF that cannot be read (in
    PDF_TIMEOUT_SECONDS and the child's memory) or needs a password, or one that could not be cleaned.
    """
    if item.personal_data_erased_at is not None:
        # Retention erases an item once and never visits it again: a file added now would stay.
        raise AttachmentRefused("erased")
    settings = current_app.config["SETTINGS"]
    cleaned = clean_attachment(raw, max_bytes=settings.attachment_max_bytes, timeout_seconds=settings.pdf_timeout_seconds)
    stored_name = store_file(cleaned.data, _folder(), SUFFIXES[cleaned.kind])
    row = CaseAttachment(
        item_id=item.id, original_name=safe_file_name(file_name), kind=cleaned.kind, stored_name=stored_name,
        byte_size=len(cleaned.data), sha256=hashlib.sha256(cleaned.data).hexdigest(),
        original_sha256=hashlib.sha256(raw).hexdigest(), taken_at=cleaned.taken_at, uploaded_by_id=actor_id,
        uploaded_at=clock.now(),
    )
    try:
        db.session.add(row)
        db.session.flush()
    except Exception:
        delete_stored_file(_folder(), stored_name)
        raise
    audit.record("attachment_added", actor_id=actor_id, item_id=item.id, fields=["attachment"],
                 numbers={"attachment_id": row.id, **({"removed": cleaned.removed} if cleaned.removed else {})})
    return row, cleaned


def discard(row: CaseAttachment) -> None:
    """Remove the file of an attachment whose row was never committed."""
    delete_stored_file(_folder(), row.stored_name)


def attachments_for(item: IntakeItem) -> list[CaseAttachment]:
    """The attachments of `item`, oldest first (`uploaded_at` UTC, then id), each with its
    `uploaded_by` account loaded (None when that account was deleted). Not audited."""
    return list(db.session.scalars(
        select(CaseAttachment).where(CaseAttachment.item_id == item.id)
        .options(selectinload(CaseAttachment.uploaded_by))
        .order_by(CaseAttachment.uploaded_at, CaseAttachment.id)
    ))


def attachment_of(item: IntakeItem, attachment_id: int) -> CaseAttachment | None:
    """Attachment `attachment_id` if it belongs to `item`; None otherwise (another item's id
    answers as one that does not exist)."""
    return db.session.scalar(
        select(CaseAttachment).where(CaseAttachment.id == attachment_id, CaseAttachment.item_id == item.id)
    )


def attachment_path(attachment: CaseAttachment) -> Path:
    """Where the cleaned file of `attachment` is stored (in TIP_PHOTO_DIR). Raises ValueError for
    a stored name that `store_file` would not make; the file itself may be gone."""
    return stored_path(_folder(), attachment.stored_name)


def attachment_bytes(attachment: CaseAttachment) -> bytes:
    """The cleaned file of `attachment`: JPEG bytes for kind "image", PDF bytes for "pdf". Not
    audited. Raises FileNotFoundError when the file is gone (erased, or the folder was moved)."""
    try:
        path = attachment_path(attachment)
    except ValueError as exc:
        raise FileNotFoundError(attachment.stored_name) from exc
    return path.read_bytes()


def erase_attachments(item_id: int) -> int:
    """Delete every attachment of item `item_id`, its file and its row (caller commits). Returns
    how many. A file already gone is not an error."""
    rows = list(db.session.scalars(select(CaseAttachment).where(CaseAttachment.item_id == item_id)))
    for row in rows:
        delete_stored_file(_folder(), row.stored_name)
        db.session.delete(row)
    return len(rows)

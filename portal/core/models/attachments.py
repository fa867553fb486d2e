"""Files staff attach to an item's case file (CCTV stills, statements): cleaned photos and
rewritten PDFs (`portal.core.attachments`), kept in TIP_PHOTO_DIR beside the tips' photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow
from portal.core.security.crypto import EncryptedText


class CaseAttachment(db.Model):
    """One file attached to an item by staff, served only as an audited download.

    `original_name`: the uploaded file's name, made safe and at most 120 characters
    (`portal.core.attachments.safe_file_name`); encrypted, since a name may hold a person's
    ("王五的笔录.pdf"). `kind`: "image" (a JPEG now, whatever was uploaded) or "pdf".
    `stored_name`: random (`portal.core.photos.store_file`). `byte_size` and `sha256` (hex) are of
    the stored, cleaned file, so a printed case file can name exactly which file it holds.
    For the chain of custody (docs/attachments.md): `original_sha256`, hex SHA-256 of the bytes as
    uploaded (the original itself is not kept); `taken_at`, for a photo, when the camera says it
    was taken (`portal.core.attachments.exif_taken_at`: "YYYY-MM-DD HH:MM:SS" in the camera's
    local time, with " +HH:MM" when the camera wrote its offset, else the zone is unknown). Both
    None for rows added before they were recorded, `taken_at` also when the photo did not say.
    Erased, rows and files, with the item's personal details (`portal.triage.redaction`).
    """

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str | None] = mapped_column(EncryptedText, nullable=False)  # None: no key can read it
    kind: Mapped[str] = mapped_column(String(10))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    byte_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    taken_at: Mapped[str | None] = mapped_column(String(32), nullable=True)  # text: the camera's clock, zone maybe unknown
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by = relationship("StaffUser")

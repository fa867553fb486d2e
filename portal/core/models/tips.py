"""Tables of the tip journey: drafts, photos, questions to the tipster and their answers, and the
guard that locks a reference number after repeated wrong follow-up codes.

None of them holds a client address, a user agent or any other device detail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow
from portal.core.security.crypto import EncryptedText


class TipDraft(db.Model):
    """The answers of one tip journey, kept between its pages for a few hours.

    Found by the HMAC of a random id that lives only in the visitor's `tip_draft` cookie, so
    nobody else (not even someone reading the database) can open it. The answers are encrypted
    because they may hold a name and a mobile number.
    """

    __tablename__ = "tip_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[str | None] = mapped_column(EncryptedText)  # JSON object
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set once the report is sent: the confirmation page of this draft shows that tip.
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id", ondelete="SET NULL"))
    # A bot filled the hidden field: nothing of this draft will become a tip.
    honeypot: Mapped[bool] = mapped_column(Boolean, default=False)

    photos: Mapped[list["TipPhoto"]] = relationship(back_populates="draft", order_by="TipPhoto.id")
    tip = relationship("Tip")


class TipPhoto(db.Model):
    """A photo sent with a tip or a follow-up: re-encoded as JPEG, stored in TIP_PHOTO_DIR.

    While the journey is under way it belongs to a draft; when the report is sent, to the tip.
    `stored_name` is random; the uploaded file's own name is never kept.
    """

    __tablename__ = "tip_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("tip_draft.id", ondelete="SET NULL"), index=True)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("tip_follow_up.id", ondelete="CASCADE"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    kept_location: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[TipDraft | None] = relationship(back_populates="photos")


class TipQuestion(db.Model):
    """A question staff asked the tipster; shown on /tips/status, announced by SMS when agreed."""

    __tablename__ = "tip_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    sent_by_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the tipster first answered it (portal.tips.followup.add_follow_up); None: no reply yet.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TipFollowUp(db.Model):
    """What the tipster added later through /tips/status: an answer to a question, or new information."""

    __tablename__ = "tip_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("tip_question.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str | None] = mapped_column(Text)

    photos: Mapped[list[TipPhoto]] = relationship(order_by="TipPhoto.id")


class TipFeedback(db.Model):
    """Feedback given to the tipster (反馈): one of the templates of `portal.tips.feedback`,
    copied in both languages as it read when given (a later edit of the template changes
    nothing already shown). `final`: the template says how the report ended (every kind but
    "still being checked"); only final feedback answers the tip (`portal.triage.deadlines`)."""

    __tablename__ = "tip_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    final: Mapped[bool] = mapped_column(Boolean, default=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    sent_by_sms: Mapped[bool] = mapped_column(Boolean, default=False)

    given_by = relationship("StaffUser")

    def text_in(self, language: str) -> str:
        """The text in `language` ("zh" or "en"; anything else reads Chinese)."""
        return self.text_en if language == "en" else self.text_zh


class FeedbackTemplate(db.Model):
    """An admin's wording of one feedback template (`key`: a kind in `portal.tips.feedback`).
    A kind without a row reads its default wording from the code (translated like any page)."""

    __tablename__ = "feedback_template"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))


class FollowUpGuard(db.Model):
    """Wrong follow-up codes counted per reference number, existing or not (same rows, same
    behaviour), so that a locked reference and an unknown one cannot be told apart.

    `reference_hash`: HMAC of the normalised reference as typed (never the reference itself).
    The SMS hotline counts a sending number's failed progress checks in the same rows, under an
    HMAC of another purpose (`portal.hotline.flows.status`).
    """

    __tablename__ = "follow_up_guard"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

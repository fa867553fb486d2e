"""A lead whose case file has something in every section: for the case-file tests (tests/staff/
test_case_file.py, tests/browser/test_case_file.py) and their screenshots."""

from __future__ import annotations

from dataclasses import dataclass

from portal.core.extensions import db
from portal.core.models import ItemLink, ItemNote, Priority, TipFollowUp, TipPhoto, TipQuestion, WorkingGroup
from portal.core.photos import clean_photo, store_photo
from portal.triage import workflow
from portal.triage.attachments import add_attachment
from portal.triage.redaction import RemovalReason, redact_passage
from tests.support.factories import create_tip
from tests.support.pdfs import hostile_pdf
from tests.support.tips import jpeg_bytes

NOTE = "已联系火车站派出所调取监控录像"
QUESTION = "孩子穿什么颜色的衣服？"
ANSWER = "红色外套，背着蓝色书包"
CONTACT_NAME = "王小明"
CONTACT_PHONE = "+8613912345678"
IMAGE_ATTACHMENT = "监控截图 火车站北广场.jpg"
PDF_ATTACHMENT = "询问笔录 2026-03-01.pdf"


@dataclass
class Case:
    reference: str
    item_id: int
    linked_reference: str


def create_case(photo_dir: str, officer_id: int) -> Case:
    """A tip with masked contact details, a removed passage, a note, a question and its answer,
    a photo, a priority change, a linked item, and two attachments (an image and a PDF)."""
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    receipt = create_tip(description="我在成都火车站看到一个小孩被成年人强迫乞讨，那人叫李四",
                         contact_name=CONTACT_NAME, contact_phone=CONTACT_PHONE)
    tip = receipt.tip
    item = tip.item
    item.working_group_id = group.id
    redact_passage(item, passage="李四", reason_kind=RemovalReason.THIRD_PARTY, reason="", actor_id=officer_id)
    db.session.add(ItemNote(item_id=item.id, author_id=officer_id, body=NOTE))
    question = TipQuestion(tip_id=tip.id, asked_by_id=officer_id, text=QUESTION)
    db.session.add(question)
    db.session.flush()
    db.session.add(TipFollowUp(tip_id=tip.id, question_id=question.id, text=ANSWER))
    photo = clean_photo(jpeg_bytes((320, 240)), keep_location=False, max_bytes=10_000_000)
    name = store_photo(photo, photo_dir)
    db.session.add(TipPhoto(tip_id=tip.id, stored_name=name, width=photo.width, height=photo.height,
                            byte_size=len(photo.data)))
    workflow.change_priority(item, priority=Priority.HIGH, reason="孩子可能有危险", actor_id=officer_id)
    other = create_tip(description="另一份举报").tip.item
    other.working_group_id = group.id
    db.session.add(ItemLink(item_id=min(item.id, other.id), other_item_id=max(item.id, other.id)))
    add_attachment(item, file_name=IMAGE_ATTACHMENT, raw=jpeg_bytes((640, 480)), actor_id=officer_id)
    add_attachment(item, file_name=PDF_ATTACHMENT, raw=hostile_pdf(), actor_id=officer_id)
    db.session.commit()
    return Case(reference=item.reference, item_id=item.id, linked_reference=other.reference)

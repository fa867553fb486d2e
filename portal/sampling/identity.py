"""Identity documents a sampling site accepts: normalising and checking their numbers, and the
lookup hash that lets the database allow one active booking per document.

Resident identity cards are checked fully by `python-stdnum` (`stdnum.cn.ric`, GB 11643-1999,
through `portal.core.identity.normalise_resident_id`). For the other documents only the published shape
of the number is checked (no public checksum):

- passport: 5 to 20 letters and digits (Chinese passports are E or G followed by 8 characters);
- Mainland Travel Permit for Hong Kong and Macao Residents (港澳居民来往内地通行证): H or M and 8
  digits, optionally followed by the 2-digit issue count;
- Mainland Travel Permit for Taiwan Residents (台湾居民来往大陆通行证): 8 digits (since 2015), or
  the older 10 digits;
- Foreigner's Permanent Residence ID Card (外国人永久居留身份证): 3 letters and 12 digits (2004
  version), or 18 characters starting with 9 (2023 version).
"""

from __future__ import annotations

import re
import unicodedata

from portal.core.identity import normalise_resident_id
from portal.core.models import DocumentType
from portal.core.security.crypto import lookup_hash, resident_id_hash

_SHAPES: dict[DocumentType, re.Pattern[str]] = {
    DocumentType.PASSPORT: re.compile(r"[A-Z0-9]{5,20}"),
    DocumentType.HK_MACAO_PERMIT: re.compile(r"[HM][0-9]{8}([0-9]{2})?"),
    DocumentType.TAIWAN_PERMIT: re.compile(r"[0-9]{8}([0-9]{2})?"),
    DocumentType.FOREIGN_PERMANENT_RESIDENCE: re.compile(r"[A-Z]{3}[0-9]{12}|9[0-9]{16}[0-9X]"),
}


class InvalidDocumentNumber(ValueError):
    """The number does not have the shape of the chosen document."""


def normalise_document_number(document_type: DocumentType | str, text: str) -> str:
    """Return the document number in its stored form (upper case, no spaces or hyphens).

    Full-width characters are folded. Raises InvalidDocumentNumber when the number cannot be
    this document's (for a resident identity card: portal.core.identity's InvalidResidentId, a subclass
    of ValueError, with its more precise reason).
    """
    kind = DocumentType(document_type)
    if kind is DocumentType.RESIDENT_ID:
        return normalise_resident_id(text)
    folded = unicodedata.normalize("NFKC", text or "").upper()
    folded = re.sub(r"[\s\-]", "", folded)
    if not _SHAPES[kind].fullmatch(folded):
        raise InvalidDocumentNumber(kind.value)
    return folded


def identity_hash(document_type: DocumentType | str, number: str) -> str:
    """The lookup hash of a normalised document number, separated by document type.

    Resident identity numbers keep `resident_id_hash` (as stored since the first release), so
    the one-active-booking index covers old and new bookings alike.
    """
    kind = DocumentType(document_type)
    if kind is DocumentType.RESIDENT_ID:
        return resident_id_hash(number)
    return lookup_hash(f"{kind.value}:{number}", "identity-document")

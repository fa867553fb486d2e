"""One received SMS as the hotline reads it, once: `IncomingSms`.

The webhook hands the inbox the provider's `InboundSms` (`portal.core.sms.provider`); the inbox
turns it into an `IncomingSms` with `read_incoming` before doing anything else. That reads the
sender (normalised to E.164 when it is a mobile number, and its lookup hash) and everything the
hotline asks of the text: the keyword it starts with, the whole message folded (STOP, 退出, 1),
the number it picks, yes or no, MORE, a reference, a danger word, the language it is written in,
and what the message log may keep of it. The inbox, the dispatcher and the flows read these
fields; none of them reads the text again for the same thing. No database, no request: the
functions here only need the app's lookup key (for the phone hash).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from stdnum.cn import ric

from portal.core.identity import InvalidMobileNumber, normalise_mobile
from portal.core.redaction_marks import strip_marks
from portal.core.security.crypto import phone_hash
from portal.core.sms.provider import InboundSms
from portal.hotline import danger, keywords, language

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])")
ID_NUMBER_PLACEHOLDER = "[identity number]"
# The language a message is answered in when nothing says otherwise (a first message with no words).
DEFAULT_LANGUAGE = "zh"


def sender_phone(raw: str) -> str:
    """The sender in E.164 when it is a valid mobile number, else the provider's string as given
    (a landline, a short code or a foreign number we cannot check is still kept)."""
    try:
        return normalise_mobile(raw)
    except InvalidMobileNumber:
        return raw.strip()


def without_identity_numbers(text: str) -> str:
    """`text` with every valid resident identity number (GB 11643-1999, checked by python-stdnum,
    full-width digits too) replaced by "[identity number]": the message log is plain text, and an
    identity number is kept only encrypted, where it is used (a booking's attendee)."""
    def replace(found: re.Match[str]) -> str:
        return ID_NUMBER_PLACEHOLDER if ric.is_valid(unicodedata.normalize("NFKC", found.group(0))) else found.group(0)

    return _ID_NUMBER.sub(replace, text or "")


@dataclass(frozen=True)
class IncomingSms:
    """One received SMS, read once (`read_incoming`).

    The message: `provider_message_id` (Twilio's MessageSid, unique), `phone` (the sender in E.164
    when it is a valid mobile number, else as the provider gave it), `phone_hash` (its lookup
    hash), `to` (our number), `text` (the body exactly as received), `media_urls` (MMS pictures at
    the provider), `received_at` (UTC, the request's time).

    What the text says (each read once, by the function named):

    - `keyword`: the keyword it starts with or consists of (`keywords.match`), or None;
    - `word`: the whole message folded, separators around it removed (`keywords.whole_word`):
      "STOP", "TD", "退出", "1";
    - `twilio_word`: the message is exactly one of Twilio's own opt-out or opt-in words (trimmed,
      any case), which Twilio acts on and confirms itself;
    - `number`: the number a numbered answer picks (`keywords.choice`), or None;
    - `yes_no`: True for 1 / YES / 是, False for 2 / NO / 否, else None (`keywords.yes_or_no`);
    - `asks_more`: MORE / 更多, the next page of a list (`keywords.is_more`);
    - `holds_reference`, `holds_reference_and_code`: a reference number (TY-…), alone or with a
      follow-up code after it (`keywords.holds_reference…`);
    - `mentions_danger`, `danger_word`: a danger word in either language, and the first one
      (`danger.first_danger_word`), or None;
    - `has_words`: a Chinese character or an English word, not only numbers and marks;
    - `written_in`: "zh" or "en" when its words say, None for a bare number, a code, a photo
      (`language.written_in`); `script`: "en" when its letters are all Latin, else "zh"
      (`language.language_of`);
    - `logged_text`: the text the message log keeps (identity numbers replaced).
    """

    provider_message_id: str
    phone: str
    phone_hash: str
    to: str
    text: str
    media_urls: tuple[str, ...]
    received_at: datetime
    keyword: keywords.KeywordMatch | None
    word: str
    twilio_word: bool
    number: int | None
    yes_no: bool | None
    asks_more: bool
    holds_reference: bool
    holds_reference_and_code: bool
    mentions_danger: bool
    danger_word: str | None
    has_words: bool
    written_in: str | None
    script: str
    logged_text: str

    @property
    def language(self) -> str:
        """The message's own language: `written_in`, else DEFAULT_LANGUAGE. What it is stored
        with, and what a reply outside any conversation (an opt-out, an error) is written in."""
        return self.written_in or DEFAULT_LANGUAGE


def read_incoming(sms: InboundSms, now: datetime) -> IncomingSms:
    """Read `sms` once (see IncomingSms); `now`: the time it is received, UTC. Never raises for
    anything in the text. The mark of a removed passage (`portal.core.redaction_marks.MARK`) is
    taken out of the text first: nobody may send one."""
    text = strip_marks(sms.body or "")
    phone = sender_phone(sms.from_phone)
    danger_word = danger.first_danger_word(text)
    return IncomingSms(
        provider_message_id=sms.provider_message_id,
        phone=phone,
        phone_hash=phone_hash(phone),
        to=sms.to,
        text=text,
        media_urls=sms.media_urls,
        received_at=now,
        keyword=keywords.match(text),
        word=keywords.whole_word(text),
        # Twilio reads its own words exactly as one word: "Ｓｔｏｐ" or "S T O P" are not among them.
        twilio_word=text.strip().upper() in keywords.TWILIO_WORDS,
        number=keywords.choice(text),
        yes_no=keywords.yes_or_no(text),
        asks_more=keywords.is_more(text),
        holds_reference=keywords.holds_reference(text),
        holds_reference_and_code=keywords.holds_reference_and_code(text),
        mentions_danger=danger_word is not None,
        danger_word=danger_word,
        has_words=language.has_words(text),
        written_in=language.written_in(text),
        script=language.language_of(text),
        logged_text=without_identity_numbers(text),
    )

"""How many SMS segments a text takes, counted the way Twilio counts them.

Sources: Twilio's guide "What the heck is a segment?" (twilio.com/blog/what-the-heck-is-a-segment)
and its message segment calculator (github.com/TwilioDevEd/message-segment-calculator); 3GPP TS 23.038 (the GSM 7-bit default alphabet and its
extension table, also known as GSM 03.38) and TS 23.040 (concatenated messages).

- **GSM-7** when every character is in the GSM 7-bit default alphabet or its extension table. A
  basic character takes one septet; an extension character (``€ [ ] { } ^ ~ | \\`` and form feed)
  takes two, an escape and the character. One segment holds 160 septets; a longer message is sent
  as a concatenated message whose every segment holds 153 (the user-data header takes the rest).
- **UCS-2** otherwise, as soon as one character is outside that alphabet (any Chinese character,
  an emoji, a curly quote): the whole message is sent as UTF-16 code units. One segment holds 70
  units; a concatenated message 67 per segment. A character outside the Basic Multilingual Plane
  (most emoji) takes two units, a surrogate pair.

As in Twilio's calculator, a character is never split between two segments: an extension
character or a surrogate pair that would straddle a boundary starts the next segment.
Twilio's optional "Smart Encoding" (which replaces curly quotes and the like by GSM characters)
is not applied: the portal's texts are counted as they are written.

`shortened` cuts a name (a site's, up to 200 characters) inside a reply only as far as the reply
needs to fit two segments (three for a booking notice: `limit`).

The GSM character set comes from the `gsm0338` codec (PyPI), not from a table typed here.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import gsm0338  # noqa: F401 - importing it registers the "gsm03.38" codec

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
# Units per segment: a single message, and each segment of a concatenated message.
GSM_SINGLE, GSM_CONCATENATED = 160, 153
UCS_SINGLE, UCS_CONCATENATED = 70, 67
# The portal's limit for every hotline reply (docs/writing.md#how-long-an-sms-may-be).
MAX_SEGMENTS = 2
# Booking notices (confirmation, reminder, change, cancellation, closure) may take three: they
# carry the site's address and how to change or cancel (docs/writing.md#how-long-an-sms-may-be).
MAX_NOTICE_SEGMENTS = 3
# The fewest characters of a name that `shortened` keeps before its "…".
SHORTEST_NAME = 4

_CODEC = "gsm03.38"
# The codec maps U+001B to the escape septet, which announces an extension character: it is not
# a character anyone can send, so a text holding it is not GSM-7.
_ESCAPE = "\x1b"


@dataclass(frozen=True)
class SegmentCount:
    """How a text goes out as SMS.

    `encoding`: "GSM-7" or "UCS-2". `units`: septets (GSM-7) or UTF-16 code units (UCS-2) in
    the whole text. `segments`: how many SMS segments it is sent as (0 for an empty text).
    """

    encoding: str
    units: int
    segments: int


@lru_cache(maxsize=4096)
def _septets(character: str) -> int | None:
    """Septets for one character in GSM-7 (1 basic, 2 extension), None when it has none."""
    if character == _ESCAPE:
        return None
    try:
        return len(codecs.encode(character, _CODEC))
    except UnicodeEncodeError:
        return None


def _utf16_units(character: str) -> int:
    return 2 if ord(character) > 0xFFFF else 1


def _pack(sizes: list[int], single: int, concatenated: int) -> int:
    """Segments needed for characters of these unit sizes, never splitting a character."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > concatenated:
            segments += 1
            used = 0
        used += size
    return segments


def count(text: str) -> SegmentCount:
    """The encoding, units and segments of `text` as Twilio would send it (see the module's doc).

    `text` is a str as it will be sent (no normalisation is applied). Never raises.
    """
    septets = [_septets(character) for character in text]
    if all(size is not None for size in septets):
        gsm_sizes = [size for size in septets if size is not None]
        return SegmentCount(GSM_7, sum(gsm_sizes), _pack(gsm_sizes, GSM_SINGLE, GSM_CONCATENATED))
    ucs_sizes = [_utf16_units(character) for character in text]
    return SegmentCount(UCS_2, sum(ucs_sizes), _pack(ucs_sizes, UCS_SINGLE, UCS_CONCATENATED))


def segments(text: str) -> int:
    """How many SMS segments `text` is sent as (Twilio's rules; 0 for an empty text)."""
    return count(text).segments


def fits_two_segments(text: str) -> bool:
    """True when `text` goes out in at most two segments: 306 GSM-7 septets, or 134 UTF-16 code
    units as soon as one character needs UCS-2 (the limit for every hotline reply,
    docs/writing.md#how-long-an-sms-may-be)."""
    return segments(text) <= MAX_SEGMENTS


def fits_segments(text: str, limit: int) -> bool:
    """True when `text` goes out in at most `limit` segments (three: 459 GSM-7 septets or 201
    UTF-16 code units)."""
    return segments(text) <= limit


def cut_mark(text: str) -> str:
    """What a shortened name in `text` ends with: "…", or "..." when `text` is GSM-7 ("…" is not
    in the GSM alphabet and would turn the whole message into UCS-2)."""
    return "..." if count(text).encoding == GSM_7 else "…"


def shortened(render: Callable[[str], str], name: str, limit: int = MAX_SEGMENTS) -> str:
    """`render(name)`, with `name` cut short only if the whole text would not fit `limit` segments
    (default two, `fits_two_segments`): the longest cut that fits, keeping at least SHORTEST_NAME
    characters of the name, ending in `cut_mark` ("…", or "..." when the whole text is GSM-7).

    Returns that text. It can still be longer than two segments when even the shortest cut does
    not fit: a caller whose text may have no room for a name needs a variant without it.
    `render` is called about log2(len(name)) times; raises only what `render` raises.
    """
    text = render(name)
    if fits_segments(text, limit) or len(name) <= SHORTEST_NAME:
        return text
    mark = cut_mark(text)
    # A longer cut never takes fewer segments, so the longest cut that fits is found by bisection.
    fitting, low, high = None, SHORTEST_NAME, len(name) - 1
    while low <= high:
        keep = (low + high) // 2
        attempt = render(name[:keep] + mark)
        if fits_segments(attempt, limit):
            fitting, low = attempt, keep + 1
        else:
            high = keep - 1
    return fitting if fitting is not None else render(name[:SHORTEST_NAME] + mark)

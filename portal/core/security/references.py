"""Public reference numbers and secret follow-up codes.

Both use an alphabet without the characters people confuse when reading aloud or copying
(0/O, 1/I/L, and U, which reads like V), so `normalise_*` can accept what people type: any case,
spaces, hyphens and full-width characters.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols: log2(30) = 4.9 bits each
REFERENCE_PREFIX = "TY"
REFERENCE_LENGTH = 8  # 39 bits: not guessable in sequence, short enough to read aloud
FOLLOW_UP_CODE_LENGTH = 16  # 78 bits, above the 60-bit minimum for a secret


def _random_symbols(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def letters_and_digits(text: str) -> str:
    """`text` NFKC-folded (full-width to ASCII), upper-cased, with everything but the letters A-Z
    and the digits 0-9 dropped: what a typed reference or code is read from. None reads as ""."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[^0-9A-Z]", "", folded)


def new_reference() -> str:
    """Return a new random reference number like `TY-7K3M-9Q2P` (callers retry on a collision)."""
    body = _random_symbols(REFERENCE_LENGTH)
    return f"{REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def normalise_reference(text: str) -> str | None:
    """Return the canonical `TY-XXXX-XXXX` form of what a person typed, or None if it cannot be one.

    Accepts any case, spaces, hyphens, full-width characters, and the prefix left off.
    """
    cleaned = letters_and_digits(text)
    if cleaned.startswith(REFERENCE_PREFIX) and len(cleaned) == len(REFERENCE_PREFIX) + REFERENCE_LENGTH:
        cleaned = cleaned[len(REFERENCE_PREFIX):]
    if len(cleaned) != REFERENCE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{REFERENCE_PREFIX}-{cleaned[:4]}-{cleaned[4:]}"


def new_follow_up_code() -> str:
    """Return a new secret follow-up code like `7K3M-9Q2P-XH4T-R8WB` (78 random bits)."""
    body = _random_symbols(FOLLOW_UP_CODE_LENGTH)
    return "-".join(body[i : i + 4] for i in range(0, FOLLOW_UP_CODE_LENGTH, 4))


def normalise_follow_up_code(text: str) -> str:
    """Return the canonical grouped form of a typed follow-up code (any case, spacing, width).

    Never raises: a malformed code simply normalises to something that matches no stored hash.
    """
    cleaned = letters_and_digits(text)
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))

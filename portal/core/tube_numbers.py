"""Blood-sample tube numbers (采血管编号): the one form they are stored and compared in, and the
label formats sampling sites set, with their ISO/IEC 7064 check characters. Pure functions: no
database, no request.

A tube number ties a DNA sample to one person, so it is unique across the whole deployment: the
column `attendee.sample_tube_number` holds `normalise_tube_number`'s form and has a unique index.

**Which labels are the same.** What people type is compared after folding full-width characters
(Unicode NFKC, so ＮＴ２０２６ is NT2026), changing to upper case and dropping the separators
people add or leave out when they copy a label: spaces, every kind of dash (- – — －), "/", "."
and "_". So `NT20261207-001`, `nt 20261207 001` and `ＮＴ２０２６１２０７－００１` are one label,
stored as `NT20261207001`. Dropping separators can only make two labels count as one, never split
one label in two: a refusal at the desk costs a fresh tube, a missed duplicate a false DNA match.

**What the desk accepts** (`check_tube_number`): after that folding, 1 to 40 Latin letters and
digits (the characters of printed tube barcodes). A site may also set a label format
(`parse_label_format`), for example `NT{YYYYMMDD}-{NNN}`:

- literal text: letters A-Z and digits, which the label must carry, and separators (space, -, /,
  ., _), shown in examples but not compared;
- `{YYYY}` year, `{YY}` year in two digits, `{MM}` month 01-12, `{DD}` day 01-31, and the
  shortcuts `{YYYYMMDD}` and `{YYMMDD}`; the date parts of a label must make a real date;
- `{N}`, `{NN}`, ... up to ten N: that many running digits (`{NNN}` is 001 to 999);

and, optionally, a check character appended at the end of the label, computed over the label's
letters and digits before it by one of the ISO/IEC 7064 systems in CHECK_ALGORITHMS, as
implemented by python-stdnum (`stdnum.iso7064`). There are no administrator-written regular
expressions: a format is parsed into fixed-width parts and a label is read part by part.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Callable

from stdnum.iso7064 import mod_11_2, mod_37_36, mod_97_10

MAX_LENGTH = 40  # letters and digits: the width of attendee.sample_tube_number
MAX_FORMAT_LENGTH = 60  # characters of a label format as typed (sampling_site.tube_label_format)
MAX_RUNNING_DIGITS = 10
_SEPARATORS = frozenset("/._")
_MINUS = "\u2212"  # MINUS SIGN: a dash to a reader, but Unicode files it under mathematics (Sm)


def _is_separator(character: str) -> bool:
    return character.isspace() or character in _SEPARATORS or character == _MINUS \
        or unicodedata.category(character) == "Pd"


def normalise_tube_number(text: str | None) -> str | None:
    """The stored and compared form of a typed or scanned tube number: NFKC-folded (full-width to
    ASCII), upper case, with spaces, dashes, "/", "." and "_" dropped; None when nothing is left.

    Every write of `attendee.sample_tube_number` goes through this function (the model validates
    with it), so the unique index compares labels the way people read them. Other characters are
    kept as they are: refusing them is `check_tube_number`'s work, not this function's. Never raises.
    """
    folded = unicodedata.normalize("NFKC", text or "").upper()
    kept = "".join(character for character in folded if not _is_separator(character))
    return kept or None


def _letters_and_digits_only(text: str) -> bool:
    return text.isascii() and text.isalnum()


# ---- check characters ---------------------------------------------------------------------

@dataclass(frozen=True)
class CheckAlgorithm:
    """A check-character system of ISO/IEC 7064:2003 as implemented by python-stdnum.

    `code`: what `sampling_site.tube_check_algorithm` stores. `width`: characters appended.
    `digits_only`: the system reads digits only, so a format with letters cannot use it.
    `calculate(body)`: the check characters for the letters and digits before them.
    """

    code: str
    name: str
    width: int
    digits_only: bool
    calculate: Callable[[str], str]


# MOD 37,36 (hybrid): one letter or digit, over letters and digits; catches every single
# substitution and every swap of two neighbours. MOD 97-10 (as in IBAN, ISO 13616): two digits,
# letters read as 10-35. MOD 11-2 (as in the resident identity number, GB 11643-1999): one digit
# or X, over digits only.
CHECK_ALGORITHMS: dict[str, CheckAlgorithm] = {
    "mod_37_36": CheckAlgorithm("mod_37_36", "ISO/IEC 7064 MOD 37,36", 1, False, mod_37_36.calc_check_digit),
    "mod_97_10": CheckAlgorithm("mod_97_10", "ISO/IEC 7064 MOD 97-10", 2, False, mod_97_10.calc_check_digits),
    "mod_11_2": CheckAlgorithm("mod_11_2", "ISO/IEC 7064 MOD 11-2", 1, True, mod_11_2.calc_check_digit),
}


# ---- label formats ------------------------------------------------------------------------

class LabelFormatError(ValueError):
    """A site's label format cannot be used. `code` says why (the site form words each one):
    unclosed_brace, unknown_part, bad_character, repeated_date_part, no_running_digits,
    too_long, check_needs_digits, check_needs_format, unknown_check."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class _Part:
    kind: str  # literal, separator, digits, year4, year2, month, day
    text: str = ""  # literal: its letters and digits; separator: as typed
    width: int = 0  # characters of the stored label (0 for a separator)


_DATE_PARTS: dict[str, tuple[_Part, ...]] = {
    "YYYY": (_Part("year4", width=4),),
    "YY": (_Part("year2", width=2),),
    "MM": (_Part("month", width=2),),
    "DD": (_Part("day", width=2),),
    "YYYYMMDD": (_Part("year4", width=4), _Part("month", width=2), _Part("day", width=2)),
    "YYMMDD": (_Part("year2", width=2), _Part("month", width=2), _Part("day", width=2)),
}
FORMAT_PARTS = tuple(_DATE_PARTS) + ("N", "NN", "NNN")  # for the form's hint; N runs up to ten


@dataclass(frozen=True)
class LabelFormat:
    """A site's tube label format, parsed: `template` as it is shown (canonical: upper case), its
    fixed-width parts, and the check algorithm or None. Build it with `parse_label_format`."""

    template: str
    parts: tuple[_Part, ...]
    check: CheckAlgorithm | None

    @property
    def length(self) -> int:
        """How many letters and digits every label of this format has, check characters included."""
        return sum(part.width for part in self.parts) + (self.check.width if self.check else 0)

    @property
    def labels_key(self) -> tuple:
        """What decides which labels this format gives once normalised: its parts without the
        separators (which labels are compared without), literal text run together. Two formats
        with the same key give the same labels (`NT{YYYYMMDD}-{NNN}` and `nt{yyyy}{mm}{dd}{nnn}`),
        so two sites must not share one."""
        merged = _merge_literals([part for part in self.parts if part.kind != "separator"])
        return tuple((part.kind, part.text, part.width) for part in merged)

    def example(self, day: date) -> str:
        """The first label of `day` in this format, separators and check characters included:
        `NT{YYYYMMDD}-{NNN}` with MOD 37,36 on 7 December 2026 gives `NT20261207-001` plus its check."""
        shown, body = [], []
        for part in self.parts:
            if part.kind == "separator":
                shown.append(part.text)
                continue
            text = {"literal": part.text, "digits": "1".zfill(part.width), "year4": f"{day.year:04d}",
                    "year2": f"{day.year % 100:02d}", "month": f"{day.month:02d}", "day": f"{day.day:02d}"}[part.kind]
            shown.append(text)
            body.append(text)
        check = self.check.calculate("".join(body)) if self.check else ""
        return "".join(shown) + check


def parse_label_format(template: str | None, check: str | None = None) -> LabelFormat | None:
    """Read a site's label format (`template`, e.g. `NT{YYYYMMDD}-{NNN}`; tokens in any case)
    and its check algorithm (a key of CHECK_ALGORITHMS, or None/"" for none).

    Returns None when the site has neither (any label is accepted). Raises LabelFormatError when
    the format cannot be used: a brace left open, a part in braces that is not one of the date
    parts or a run of N (1 to 10), a character other than letters, digits and separators, a date
    part twice, no running digits, labels longer than MAX_LENGTH, a digits-only check system with
    letters in the format, or a check algorithm without a format.
    """
    text = unicodedata.normalize("NFKC", template or "").strip()
    if not text:
        if check:
            raise LabelFormatError("check_needs_format")
        return None
    algorithm = None
    if check:
        if check not in CHECK_ALGORITHMS:
            raise LabelFormatError("unknown_check")
        algorithm = CHECK_ALGORITHMS[check]
    parts: list[_Part] = []
    shown: list[str] = []
    position = 0
    while position < len(text):
        character = text[position]
        if character == "{":
            end = text.find("}", position)
            if end < 0 or "{" in text[position + 1:end]:
                raise LabelFormatError("unclosed_brace")
            token = text[position + 1:end].strip().upper()
            if token and set(token) == {"N"} and len(token) <= MAX_RUNNING_DIGITS:
                parts.append(_Part("digits", width=len(token)))
            elif token in _DATE_PARTS:
                parts.extend(_DATE_PARTS[token])
            else:
                raise LabelFormatError("unknown_part")
            shown.append("{" + token + "}")
            position = end + 1
            continue
        if _is_separator(character):
            parts.append(_Part("separator", text=character))
            shown.append(character)
        elif _letters_and_digits_only(character.upper()):
            parts.append(_Part("literal", text=character.upper(), width=1))
            shown.append(character.upper())
        else:
            raise LabelFormatError("unclosed_brace" if character == "}" else "bad_character")
        position += 1
    date_kinds = [part.kind for part in parts if part.kind in ("year4", "year2", "month", "day")]
    years = sum(kind in ("year4", "year2") for kind in date_kinds)
    if years > 1 or date_kinds.count("month") > 1 or date_kinds.count("day") > 1:
        raise LabelFormatError("repeated_date_part")
    if not any(part.kind == "digits" for part in parts):
        raise LabelFormatError("no_running_digits")
    label_format = LabelFormat("".join(shown), tuple(_merge_literals(parts)), algorithm)
    if label_format.length > MAX_LENGTH:
        raise LabelFormatError("too_long")
    if algorithm is not None and algorithm.digits_only and any(
            part.kind == "literal" and not part.text.isdigit() for part in label_format.parts):
        raise LabelFormatError("check_needs_digits")
    return label_format


def _merge_literals(parts: list[_Part]) -> list[_Part]:
    merged: list[_Part] = []
    for part in parts:
        if part.kind == "literal" and merged and merged[-1].kind == "literal":
            merged[-1] = _Part("literal", text=merged[-1].text + part.text, width=merged[-1].width + part.width)
        else:
            merged.append(part)
    return merged


# ---- checking a label ---------------------------------------------------------------------

class TubeNumberProblem(ValueError):
    """Why a typed tube number is refused; `tube` is its normalised form (or the text as typed)."""

    def __init__(self, tube: str) -> None:
        super().__init__(tube)
        self.tube = tube


class NotLettersAndDigits(TubeNumberProblem):
    """Something other than Latin letters, digits and separators was typed."""


class TooLong(TubeNumberProblem):
    """More than MAX_LENGTH letters and digits."""


class DoesNotFitFormat(TubeNumberProblem):
    """Not the site's label format: wrong length, a literal part or a digit missing, not a real date."""


class WrongCheckCharacter(TubeNumberProblem):
    """The label fits the format, but its check characters are not the ones its body gives:
    a mistyped or misread character."""


def check_tube_number(text: str | None, label_format: LabelFormat | None) -> str | None:
    """The normalised tube number (see `normalise_tube_number`) if the desk may save it, None when
    nothing was typed. Uniqueness is the database's to decide (portal.sampling.samples).

    Raises NotLettersAndDigits, TooLong, DoesNotFitFormat (`label_format` given and not met) or
    WrongCheckCharacter (its ISO/IEC 7064 check characters do not match).
    """
    tube = normalise_tube_number(text)
    if tube is None:
        return None
    if not _letters_and_digits_only(tube):
        raise NotLettersAndDigits((text or "").strip())
    if len(tube) > MAX_LENGTH:
        raise TooLong(tube)
    if label_format is not None:
        _check_format(tube, label_format)
    return tube


def _check_format(tube: str, label_format: LabelFormat) -> None:
    if len(tube) != label_format.length:
        raise DoesNotFitFormat(tube)
    values: dict[str, int] = {}
    position = 0
    for part in label_format.parts:
        piece = tube[position:position + part.width]
        position += part.width
        if part.kind == "literal":
            if piece != part.text:
                raise DoesNotFitFormat(tube)
        elif part.kind != "separator":
            if not (piece.isascii() and piece.isdigit()):
                raise DoesNotFitFormat(tube)
            values[part.kind] = int(piece)
    if not _is_real_date(values):
        raise DoesNotFitFormat(tube)
    if label_format.check is not None:
        body, given = tube[:position], tube[position:]
        if label_format.check.digits_only and not body.isdigit():
            raise DoesNotFitFormat(tube)
        if label_format.check.calculate(body) != given:
            raise WrongCheckCharacter(tube)


def _is_real_date(values: dict[str, int]) -> bool:
    year = values.get("year4", 2000 + values["year2"] if "year2" in values else None)
    month, day = values.get("month"), values.get("day")
    if month is not None and not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:  # without a year, 29 February is allowed (a leap year); without a month, any day 1-31
        date(year if year is not None else 2000, month or 1, day)
    except ValueError:
        return False
    return True


__all__ = [
    "CHECK_ALGORITHMS", "CheckAlgorithm", "DoesNotFitFormat", "FORMAT_PARTS", "LabelFormat", "LabelFormatError",
    "MAX_FORMAT_LENGTH", "MAX_LENGTH", "NotLettersAndDigits", "TooLong", "TubeNumberProblem", "WrongCheckCharacter",
    "check_tube_number", "normalise_tube_number", "parse_label_format",
]

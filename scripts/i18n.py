#!/usr/bin/env python3
"""Keep the Chinese catalog complete: extract, merge translations, compile.

    python scripts/i18n.py          # extract strings, update messages.po, compile messages.mo
    python scripts/i18n.py --check  # also exit 1 listing every string without a Chinese translation

English is the source language, so the English side is always complete. Chinese translations
live in translations/zh/LC_MESSAGES/messages.po; translations/zh/fragments/*.po may hold more
(one file per area, so people working in parallel do not edit one file at once) and are merged in.
Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
FRAGMENTS = ROOT / "translations" / "zh" / "fragments"


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="zh")


_DATE_HEADERS = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')


def _without_dates(content: bytes) -> bytes:
    return b"\n".join(line for line in content.splitlines() if not line.startswith(_DATE_HEADERS))


def _atomic_write(path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    """Write through `writer(file)` to a temporary file, then rename it over `path` - unless only
    the date headers would change, so that running this leaves a clean checkout clean."""
    buffer = io.BytesIO()
    writer(buffer)
    content = buffer.getvalue()
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(content):
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.replace(tmp, path)


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as folder:
        return _extract_into(Path(folder) / "messages.pot")


def _extract_into(pot: Path) -> Catalog:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.venv tests",
         "--no-location", "--omit-header", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a string has no Chinese translation")
    args = parser.parse_args()

    template = extract()
    # Keyed by (context, id): the same English word can need different Chinese in different
    # places (pgettext("date input", "Day") is 日 where a report's "Day" column is 日期).
    known: dict[tuple[str | None, str], str] = {}
    sources = [CATALOG] if CATALOG.exists() else []
    sources += sorted(FRAGMENTS.glob("*.po"))
    for source in sources:
        for message in _read(source):
            if message.id and message.string and not message.fuzzy:
                known.setdefault((message.context, message.id), message.string)

    catalog = Catalog(locale="zh", project="Tuanyuan Portal", charset="utf-8")
    missing: list[str] = []
    for message in template:
        if not message.id:
            continue
        translation = known.get((message.context, message.id), "")
        if not translation:
            missing.append(str(message.id))
        catalog.add(message.id, translation, auto_comments=message.auto_comments, flags=message.flags - {"fuzzy"},
                    context=message.context)
    CATALOG.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(CATALOG, lambda f: write_po(f, catalog, width=100, omit_header=False, no_location=True))
    _atomic_write(CATALOG.with_suffix(".mo"), lambda f: write_mo(f, catalog))
    print(f"i18n: {len(catalog)} strings, {len(missing)} without a Chinese translation")
    if args.check and missing:
        for message_id in missing:
            print(f"  untranslated: {message_id[:100]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

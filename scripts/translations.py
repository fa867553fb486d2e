#!/usr/bin/env python3
"""Regenerate and check the translation catalogs with pybabel (README: Translations).

    python scripts/translations.py update  # pybabel extract + pybabel update: messages.po follows the code
    python scripts/translations.py check   # exit 1 if a catalog is stale or a string lacks its translation

English is the source language (the msgids), so only other languages have a catalog:
translations/<lang>/LC_MESSAGES/messages.po, today only zh. The template (messages.pot) is
generated into a temporary folder each time and never committed: the catalog holds every msgid.
Compiling (pybabel compile -d translations) is `make translations`; the .mo files are not committed.

The pybabel options live here only, so `update` and `check` cannot drift apart:
- --no-location and --sort-output: the catalog is ordered by msgid, not by file, so moving code
  changes nothing and parallel branches that add strings touch different places of the file;
- --no-wrap: one line per msgid and msgstr, so a changed string is a one-line diff;
- --no-fuzzy-matching: a new or changed msgid starts empty and the check names it, instead of
  inheriting a similar string's Chinese flagged fuzzy (a wrong translation one flag away from shipping);
- --ignore-obsolete: a string removed from the code leaves the catalog (git history keeps it);
- --ignore-pot-creation-date: the header does not change on every run.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = "translations"
DOMAIN = "messages"

EXTRACT = [
    "extract", "-F", "babel.cfg",
    # Flask-Babel's lazy functions; gettext, ngettext, pgettext, npgettext and _ are pybabel's defaults.
    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2",
    "-k", "lazy_npgettext:1c,2,3",
    "--ignore-dirs", ".* _* node_modules",  # babel.cfg maps portal/ and templates/ only; this spares the walk
    "--no-location", "--omit-header", "--sort-output", "--no-wrap",
]
UPDATE = [
    "update", "-D", DOMAIN,
    "--no-fuzzy-matching", "--ignore-obsolete", "--ignore-pot-creation-date", "--no-wrap",
]


def pybabel(*args: str) -> None:
    """Run one pybabel command from the repository root, showing it and its warnings."""
    print("pybabel " + " ".join(_quoted(arg) for arg in args), flush=True)
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args],
                            cwd=ROOT, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        if not line.startswith(("extracting messages from ", "writing PO template file to ",
                                "updating catalog ")):
            print("  " + line)
    if result.returncode != 0:
        raise SystemExit(f"pybabel {args[0]} failed (exit {result.returncode})")


def _quoted(arg: str) -> str:
    return f"'{arg}'" if " " in arg or "*" in arg else arg


def regenerate(translations: Path, pot: Path) -> None:
    """pybabel extract into `pot`, then pybabel update every catalog under `translations`."""
    pybabel(*EXTRACT, "-o", str(pot), ".")
    pybabel(*UPDATE, "-i", str(pot), "-d", str(translations))


def catalogs(translations: Path) -> list[Path]:
    return sorted(translations.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def unfinished(po: Path) -> list[str]:
    """Every problem that leaves a string without a usable translation, one line each."""
    with po.open("rb") as f:
        catalog: Catalog = read_po(f)
    problems: list[str] = []
    if catalog.fuzzy:
        problems.append('the header (msgid "") is marked fuzzy, so pybabel compile skips the whole catalog: '
                        'run `make translations-update` (or delete the "#, fuzzy" line above it)')
    for message in list(catalog)[1:]:
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        english = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        context = f" (context {message.context!r})" if message.context else ""
        if message.fuzzy:
            problems.append(f"fuzzy: {english!r}{context}")
        elif not all(forms):
            problems.append(f"untranslated: {english!r}{context}")
        for error in message.check(catalog):
            problems.append(f"{error}: {english!r}{context}")
    return problems


def unmark_fuzzy_header(po: Path) -> None:
    """Drop a "#, fuzzy" flag on the header, which pybabel update keeps and pybabel compile obeys by
    skipping the whole catalog. The catalog the old scripts/i18n.py wrote had one; pybabel never adds it."""
    lines = po.read_text(encoding="utf-8").splitlines(keepends=True)
    header_end = next(i for i, line in enumerate(lines) if line.startswith("msgid "))
    kept = [line for line in lines[:header_end] if line.strip() != "#, fuzzy"]
    if len(kept) != header_end:
        po.write_text("".join(kept + lines[header_end:]), encoding="utf-8")
        print(f"{po.relative_to(ROOT)}: unmarked the fuzzy header")


def update() -> int:
    with tempfile.TemporaryDirectory() as folder:
        regenerate(ROOT / TRANSLATIONS, Path(folder) / f"{DOMAIN}.pot")
    for po in catalogs(ROOT / TRANSLATIONS):
        unmark_fuzzy_header(po)
        problems = unfinished(po)
        print(f"{po.relative_to(ROOT)}: {len(problems)} to translate")
        for problem in problems:
            print(f"  {problem}")
    return 0


def check() -> int:
    """Fail if regenerating would change a catalog, or if a string has no finished translation."""
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / TRANSLATIONS
        for po in catalogs(ROOT / TRANSLATIONS):
            copy = scratch / po.relative_to(ROOT / TRANSLATIONS)
            copy.parent.mkdir(parents=True)
            shutil.copyfile(po, copy)
        regenerate(scratch, Path(folder) / f"{DOMAIN}.pot")
        for po in catalogs(ROOT / TRANSLATIONS):
            name = str(po.relative_to(ROOT))
            committed = po.read_text(encoding="utf-8").splitlines(keepends=True)
            regenerated = (scratch / po.relative_to(ROOT / TRANSLATIONS)).read_text(encoding="utf-8")
            diff = list(difflib.unified_diff(committed, regenerated.splitlines(keepends=True),
                                             name, f"{name} (regenerated from the code)", n=1))
            if diff:
                failed = True
                print(f"{name} is stale: the code's strings changed. Run `make translations-update`, "
                      "translate what it lists, and commit messages.po. What would change:")
                sys.stdout.writelines("  " + line for line in diff[:200])
                if len(diff) > 200:
                    print(f"  … and {len(diff) - 200} more diff lines")
            # The regenerated catalog holds every msgid of the code, new ones with an empty msgstr.
            problems = unfinished(scratch / po.relative_to(ROOT / TRANSLATIONS))
            if problems:
                failed = True
                print(f"{name}: strings without a finished translation ({len(problems)}):")
                for problem in problems:
                    print(f"  {problem}")
            else:
                print(f"{name}: every string translated")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("update", "check"))
    args = parser.parse_args()
    return update() if args.command == "update" else check()


if __name__ == "__main__":
    sys.exit(main())

"""Every user-facing string has its Chinese: in messages.po, current with the code, and in what the app serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale, get_translations

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_string_in_the_code_has_a_finished_chinese_translation_in_a_current_catalog() -> None:
    # pybabel extract + update on a copy: fails on a stale messages.po and on an empty, fuzzy or
    # partly empty plural translation, naming each string.
    result = subprocess.run([sys.executable, "scripts/translations.py", "check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compiled_catalog_the_app_reads_translates_every_msgid(app: Flask) -> None:
    # The .mo is built by `make translations` / `make test`; a missing or stale one, or a catalog
    # pybabel compile skipped (a fuzzy header), leaves English on Chinese pages.
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    wrong = []
    with app.test_request_context(), force_locale("zh"):
        translations = get_translations()
        for message in list(catalog)[1:]:
            if isinstance(message.id, (list, tuple)):
                served = [translations.unpgettext(message.context, *message.id, n) if message.context
                          else translations.ungettext(*message.id, n) for n in (1, 2)]
                expected = [message.string[0]] * 2  # Chinese has one plural form (nplurals=1)
            else:
                served = (translations.upgettext(message.context, message.id) if message.context
                          else translations.ugettext(message.id))
                expected = message.string
            if served != expected:
                wrong.append(f"{message.id!r}: serves {served!r}, messages.po says {expected!r}")
    assert not wrong, "Run `make translations` to compile messages.po:\n" + "\n".join(wrong[:20])

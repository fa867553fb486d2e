#!/usr/bin/env python3
"""Write a fragment .po from a Python dict of English → Chinese: `python scripts/po_fill.py AREA dict.py`.

The dict file defines `T = {...}`. The fragment lands in translations/zh/fragments/AREA.po
(merged with what is there), and `scripts/i18n.py` folds it into the catalog.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    area, source = sys.argv[1], sys.argv[2]
    pairs: dict[str, str] = runpy.run_path(source)["T"]
    target = ROOT / "translations" / "zh" / "fragments" / f"{area}.po"
    catalog = Catalog(locale="zh")
    if target.exists():
        with target.open("rb") as f:
            for message in read_po(f, locale="zh"):
                if message.id:
                    catalog.add(message.id, message.string)
    for english, chinese in pairs.items():
        catalog.add(english, chinese)
    with target.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=True, no_location=True)
    print(f"{target.relative_to(ROOT)}: {len(catalog)} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

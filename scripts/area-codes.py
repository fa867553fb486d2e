"""Write portal/sampling/data/cn_area_codes.json: the +86 fixed-line area codes and the places
libphonenumber's geocoding data gives for them (portal.sampling.site_phones). Run it after
upgrading phonenumbers (`make lock`); tests/sampling/test_site_phones.py fails until it is run.

    PYTHONPATH=. .venv/bin/python scripts/area-codes.py
"""

import json

from portal.sampling.site_phones import AREA_CODE_FILE, area_code_places_from_libphonenumber

AREA_CODE_FILE.write_text(
    "[\n" + ",\n".join(json.dumps(pair, ensure_ascii=False) for pair in area_code_places_from_libphonenumber()) + "\n]\n", encoding="utf-8")
print(f"wrote {AREA_CODE_FILE}")

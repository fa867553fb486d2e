#!/usr/bin/env bash
# PDFs (case files, posters) need Debian's pango and harfbuzz libraries for WeasyPrint, and the Noto CJK
# fonts for Chinese with BabelStone Han for its rarest characters (docs/pdf.md). Install what is missing when we are root; otherwise say what
# is missing: the portal still runs, but downloading a PDF shows "The PDF could not be made"
# and the PDF tests fail, naming the library WeasyPrint could not load.
set -uo pipefail

# Library WeasyPrint loads -> the Debian package that has it.
declare -A PACKAGE_OF=(
  [libgobject-2.0.so.0]=libglib2.0-0
  [libpango-1.0.so.0]=libpango-1.0-0
  [libpangoft2-1.0.so.0]=libpangoft2-1.0-0
  [libharfbuzz.so.0]=libharfbuzz0b
  [libharfbuzz-subset.so.0]=libharfbuzz-subset0
  [libfontconfig.so.1]=libfontconfig1
)

missing=()
libraries=$(ldconfig -p 2>/dev/null || true)  # read it whole: grep -q would cut the pipe under pipefail
for library in "${!PACKAGE_OF[@]}"; do
  grep -qF "$library" <<<"$libraries" || missing+=("${PACKAGE_OF[$library]}")
done
fonts=$(fc-list 2>/dev/null || true)
grep -qi "Noto Sans CJK SC" <<<"$fonts" || missing+=(fonts-noto-cjk)
# Characters of the CJK extensions beyond the BMP (rare characters in names), which Noto lacks.
grep -qi "BabelStone Han" <<<"$fonts" || missing+=(fonts-babelstone-han)
# fc-list itself comes with fontconfig; without it the font check above cannot see anything.
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
# The tests read a poster's QR code from its PDF drawn as a picture by poppler's pdftoppm.
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the PDF case files..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || echo "Could not install ${missing[*]}: PDF case files will not work until they are installed." >&2
else
  echo "PDF case files need these Debian packages, missing here: ${missing[*]}" >&2
  echo "Install them (as root: apt-get install ${missing[*]}); until then a PDF download shows an error page." >&2
fi
exit 0

#!/usr/bin/env bash
# Sets up everything Inspector needs on a fresh Debian machine: system packages
# (Qt's X libraries, Xvfb, PostgreSQL, poppler, NSS tools, a CJK screen font) and
# a virtual environment at .venv/ with the dependencies listed in pyproject.toml.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  postgresql            # tests start a private PostgreSQL server on 127.0.0.1
  poppler-utils         # pdfsig, pdffonts, pdftotext, pdftoppm check the PDFs
  libnss3-tools         # certutil: a trust store for pdfsig
  xvfb xauth            # a virtual screen for GUI screenshots
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxkbcommon-x11-0 libegl1 libgl1
  libfontconfig1 libdbus-1-3
  fonts-wqy-microhei    # Chinese on screen (the PDFs embed the font from resources/)
)

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.inspector-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  deps=$(.venv/bin/python - <<'PYEOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    p = tomllib.load(f)["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))
PYEOF
)
  mapfile -t deplist <<<"$deps"
  .venv/bin/python -m pip install -q "${deplist[@]}"
  echo "$want" > "$stamp"
fi
echo "setup: ready"

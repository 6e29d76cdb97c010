#!/usr/bin/env bash
# `make package`: build the one-folder application with PyInstaller and wrap it as a .deb.
#   out/package/inspector/           the folder (programs `inspector` and `inspector-gui`)
#   out/package/inspector_<version>_<arch>.deb
# The .deb installs the folder under /opt/inspector, `inspector` and `inspector-gui` in
# /usr/bin, a desktop entry and the icon. The store stays in the user's data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${PACKAGE_OUT:-$ROOT/out/package}
WORK=$ROOT/build/pyinstaller
PY=${PYTHON:-.venv/bin/python}
"$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install -q "pyinstaller>=6.10"

version=$("$PY" -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
arch=$(dpkg --print-architecture)
rm -rf "$OUT/inspector"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$OUT" --workpath "$WORK" packaging/inspector.spec

# The .deb: a staged tree, then dpkg-deb.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
         "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/doc/inspector"
cp -a "$OUT/inspector" "$stage/opt/inspector"
ln -s /opt/inspector/inspector "$stage/usr/bin/inspector"
ln -s /opt/inspector/inspector-gui "$stage/usr/bin/inspector-gui"
cp packaging/deb/inspector.desktop "$stage/usr/share/applications/inspector.desktop"
cp resources/icons/app.svg "$stage/usr/share/icons/hicolor/scalable/apps/inspector.svg"
cp resources/fonts/wqy-microhei.LICENSE-Apache-2.0 "$stage/usr/share/doc/inspector/"
size_kb=$(du -sk "$stage/opt" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size_kb/" \
  packaging/deb/control.in > "$stage/DEBIAN/control"
deb="$OUT/inspector_${version}_${arch}.deb"
# gzip: every dpkg reads it (UOS and Kylin ship older ones than zstd needs); PACKAGE_GZIP_LEVEL=1
# (the test's build) packs 6 % larger in a third of the time
dpkg-deb --root-owner-group -Zgzip -z"${PACKAGE_GZIP_LEVEL:-6}" --build "$stage" "$deb" >/dev/null
echo "package: $OUT/inspector ($(du -sh "$OUT/inspector" | cut -f1))"
echo "package: $deb ($(du -h "$deb" | cut -f1))"

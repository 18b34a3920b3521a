#!/bin/sh
# Refresh the NHS.UK frontend vendored under hub/static/nhsuk/: its built, minified CSS and
# JavaScript, the icons the CSS points at, its licence, a VERSION file and SHA256SUMS.
#
#   tools/assets.sh                        # the pinned version below (make assets)
#   NHSUK_FRONTEND_VERSION=10.7.0 tools/assets.sh
#
# Needs npm only to download the published package (`npm pack`; nothing is installed and no
# node_modules is left anywhere). The files are committed: the hub never fetches anything at
# run time, and tests/hub/test_design.py checks them against SHA256SUMS and VERSION.
#
# The stylesheet is changed in three ways, all recorded in VERSION:
# - its icon URLs are made relative (`url(/assets/images/…)` -> `url(assets/images/…)`), so
#   they resolve under /static/nhsuk/ instead of the site root;
# - its @font-face rules are removed: they load the Frutiger typeface from assets.nhs.uk,
#   which the hub's Content-Security-Policy forbids (fonts only from the hub itself) and
#   which is licensed for NHS organisations' use; text falls back to Arial, as the NHS.UK
#   font stack intends;
# - its source-map comment is removed (the map is not vendored and would no longer match).
# The JavaScript is copied byte for byte.
set -eu

VERSION="${NHSUK_FRONTEND_VERSION:-10.6.1}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/hub/static/nhsuk"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "nhsuk-frontend@$VERSION" >/dev/null
tarball="nhsuk-frontend-$VERSION.tgz"
tar -xzf "$tarball"
test "$(node -p "require('./package/package.json').version")" = "$VERSION"
test "$(node -p "require('./package/package.json').license")" = "MIT"
dist="package/dist/nhsuk"

rm -rf "$dest"
mkdir -p "$dest/assets/images"
sed -e 's#url(/assets/#url(assets/#g' \
    -e 's#@font-face{[^}]*assets\.nhs\.uk[^}]*}##g' \
    -e '/sourceMappingURL=/d' \
    "$dist/nhsuk-frontend.min.css" >"$dest/nhsuk-frontend.min.css"
if grep -q 'url(/\|url(http\|assets\.nhs\.uk' "$dest/nhsuk-frontend.min.css"; then
  echo "assets.sh: the stylesheet still loads something from outside /static/nhsuk/" >&2
  exit 1
fi
cp "$dist/nhsuk-frontend.min.js" "$dest/nhsuk-frontend.min.js"
cp "$dist"/assets/images/*.svg "$dist"/assets/images/*.png "$dist"/assets/images/*.ico \
  "$dest/assets/images/"

# The npm package ships no licence file; package.json says MIT. This is the LICENSE file of
# the source repository (github.com/nhsuk/nhsuk-frontend), word for word.
cat >"$dest/LICENSE" <<'EOF'
MIT License

Copyright (c) 2019 NHS.UK

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

---
Note (hubnet): the MIT licence covers the code. The NHS logo and NHS identity in
assets/images/ (favicon, icons, opengraph image) are trademarks of NHS England and are not
licensed by it: only organisations entitled to the NHS identity may show them. The hub does
not show them unless HUB_NHS_LOGO is set (see hub/__init__.py).
EOF

{
  echo "nhsuk-frontend $VERSION"
  echo "source: npm pack nhsuk-frontend@$VERSION (https://www.npmjs.com/package/nhsuk-frontend)"
  echo "tarball sha256: $(sha256sum "$tarball" | cut -d' ' -f1)"
  echo "nhsuk-frontend.min.css: dist/nhsuk/nhsuk-frontend.min.css with icon URLs made relative,"
  echo "  the @font-face rules (Frutiger from assets.nhs.uk) and the source-map comment removed"
  echo "nhsuk-frontend.min.js: dist/nhsuk/nhsuk-frontend.min.js, unchanged"
  echo "assets/images/: dist/nhsuk/assets/images/, unchanged"
  echo "refresh: make assets (tools/assets.sh)"
} >"$dest/VERSION"

cd "$dest"
find . -type f ! -name SHA256SUMS | sed 's#^\./##' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS
echo "hub/static/nhsuk: nhsuk-frontend $VERSION ($(wc -l <SHA256SUMS) files, see SHA256SUMS)"

#!/bin/sh
# Refresh the test-only assets vendored under tests/browser/vendor/: axe-core, the
# accessibility engine the browser tests inject into every page (tests/browser/axe.py).
#
#   tools/test-assets.sh            # the pinned version below
#   AXE_VERSION=4.15.0 tools/test-assets.sh
#
# Needs npm (only to download the published package; nothing is installed). The files
# are committed, so the tests themselves never touch the network.
set -eu

AXE_VERSION="${AXE_VERSION:-4.14.1}"
here="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$here/tests/browser/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "axe-core@$AXE_VERSION" >/dev/null
tar -xzf "axe-core-$AXE_VERSION.tgz"
test "$(node -p "require('./package/package.json').version")" = "$AXE_VERSION"

mkdir -p "$vendor"
cp package/axe.min.js "$vendor/axe.min.js"
cp package/LICENSE "$vendor/LICENSE"
printf 'axe-core %s (npm: axe-core@%s)\n' "$AXE_VERSION" "$AXE_VERSION" >"$vendor/VERSION"
echo "tests/browser/vendor: axe-core $AXE_VERSION"

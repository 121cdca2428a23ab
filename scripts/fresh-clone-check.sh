#!/usr/bin/env bash
# A new user's first steps, checked: clone the committed tree into a temporary directory, `npm ci`,
# `npm run build`, then fail if the install printed an engine warning (EBADENGINE: a dependency
# that does not support this Node.js) or if install and build left the clone different from
# what was committed (a rewritten lock file, generated files that are not ignored).
# Usage: bash scripts/fresh-clone-check.sh [node binary]   (default: the node on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
node="${1:-$(command -v node)}"
export PATH="$(dirname "$node"):$PATH"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-local "$repo" "$tmp/clone"
cd "$tmp/clone"

status=0
echo "fresh clone of $(git rev-parse --short HEAD), Node.js $(node --version), npm $(npm --version)"
if ! npm ci --no-audit --no-fund >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAILED: npm ci"
  exit 1
fi
if grep -q EBADENGINE "$tmp/install.log"; then
  grep -A4 EBADENGINE "$tmp/install.log"
  echo "FAILED: npm ci printed an engine warning"
  status=1
fi
if ! npm run build --silent >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"
  echo "FAILED: npm run build"
  exit 1
fi
dirty="$(git status --porcelain --untracked-files=all)"
if [ -n "$dirty" ]; then
  echo "$dirty"
  git --no-pager diff --stat
  echo "FAILED: install and build changed the clone"
  status=1
fi
[ $status -eq 0 ] && echo "ok: npm ci without engine warnings, build, clean tree"
exit $status

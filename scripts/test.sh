#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, then runs it.
# Node.js >= 20 with npm must already be on PATH. Needs root (or sudo) only to apt-get install.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
{ command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)  # promtool + a real server
command -v ss >/dev/null || need+=(iproute2)                                          # the reference for socket states
command -v python3 >/dev/null || need+=(python3)                                      # a listener that never accepts
command -v openssl >/dev/null || need+=(openssl)                                      # certificates for the TLS tests
command -v setpriv >/dev/null || need+=(util-linux)                                   # running the exporter unprivileged
command -v iptables >/dev/null || need+=(iptables)                                     # holding LAST_ACK, CLOSING, SYN_SENT in a namespace
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

npm install --no-audit --no-fund --loglevel=error
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
# One plain summary line, whatever the runner prints above it.
node -e '
  const fs = require("fs");
  const r = fs.statSync(process.argv[1]).size ? JSON.parse(fs.readFileSync(process.argv[1], "utf8")) : null;
  if (r) console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  else console.log("tests: 0 passed, 1 failed");
' "$results"
exit $status

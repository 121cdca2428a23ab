#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, then runs the CI
# stages (all of them, or those named: bash scripts/test.sh unit fresh-clone):
#   unit          the whole test suite (npm test: type check, unit, integration, deploy) on the machine's Node.js
#   fresh-clone   npm ci and build in a fresh clone: no engine warning, no change to the tree
#   node-versions the test suite on Node.js 22 and 24 (official binaries from the npm registry)
#   container     the image built from the Dockerfile and run; the chart and the manifests
#                 rendered, validated, and their pod specs run (scripts/container-test.sh, root)
# Node.js >= 20 with npm must already be on PATH. Needs root (or sudo) only to apt-get install.
# Every stage runs even if one before it failed; each prints its time; the exit status is
# non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/cache.sh

all=(unit fresh-clone node-versions container)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all[@]}")
for s in "${stages[@]}"; do
  [[ " ${all[*]} " == *" $s "* ]] || { echo "unknown stage $s (stages: ${all[*]})" >&2; exit 2; }
done

need=()
{ command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)  # promtool + a real server
command -v ss >/dev/null || need+=(iproute2)                                          # the reference for socket states
command -v python3 >/dev/null || need+=(python3)                                      # a listener that never accepts
command -v openssl >/dev/null || need+=(openssl)                                      # certificates for the TLS tests
command -v setpriv >/dev/null || need+=(util-linux)                                   # running the exporter unprivileged
command -v jsonnet >/dev/null || need+=(jsonnet)                                      # renders the monitoring mixin
command -v amtool >/dev/null || need+=(prometheus-alertmanager)                       # checks the inhibit rules
command -v nft >/dev/null || need+=(nftables)                                         # black-holes a port in a test namespace
command -v systemd-socket-activate >/dev/null || need+=(systemd)                      # socket activation (--web.systemd-socket)
command -v git >/dev/null || need+=(git)                                              # the fresh-clone check
command -v unzip >/dev/null || need+=(unzip)                                          # helm and kubectl come zipped
command -v iptables >/dev/null || need+=(iptables)                                     # holding LAST_ACK, CLOSING, SYN_SENT in a namespace
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
# A Node.js >= 24 process for the test of process names (Node.js 24 renames its main thread),
# and helm and kubectl for the tests that render the chart and the Kustomize overlays.
TCPSTATE_TEST_NODE24="$(node_binary 24)"
tools="$(k8s_tools)"
TCPSTATE_HELM="$tools/helm/helm"
TCPSTATE_KUBECTL="$tools/kubectl/kubectl"
export TCPSTATE_TEST_NODE24 TCPSTATE_HELM TCPSTATE_KUBECTL

unit() {
  local results status=0
  results="$(mktemp)"
  npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
  # One plain summary line, whatever the runner prints above it.
  node -e '
    const fs = require("fs");
    const r = fs.statSync(process.argv[1]).size ? JSON.parse(fs.readFileSync(process.argv[1], "utf8")) : null;
    if (r) console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
    else console.log("tests: 0 passed, 1 failed");
  ' "$results"
  rm -f "$results"
  return $status
}

summary=()
failed=0
for stage in "${stages[@]}"; do
  echo "=== stage $stage"
  start=$SECONDS
  rc=0
  case "$stage" in
    unit) unit || rc=$? ;;
    fresh-clone) bash scripts/fresh-clone-check.sh 22 24 || rc=$? ;;
    node-versions) bash scripts/node-versions.sh 22 24 || rc=$? ;;
    container) bash scripts/container-test.sh || rc=$? ;;
  esac
  took=$((SECONDS - start))
  result=ok
  [ $rc -eq 0 ] || { result=FAILED; failed=1; }
  summary+=("$(printf '%-14s %-7s %dm%02ds' "$stage" "$result" $((took / 60)) $((took % 60)))")
done
echo "=== stages"
printf '%s\n' "${summary[@]}"
exit $failed

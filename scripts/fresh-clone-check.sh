#!/usr/bin/env bash
# A new user's first steps, checked:
# 1. clone the committed tree into a temporary directory, `npm ci`, `npm run build`; fail if the
#    install printed an engine warning (EBADENGINE: a dependency that does not support this
#    Node.js) or if install and build left the clone different from what was committed (a
#    rewritten lock file, generated files that are not ignored);
# 2. install the package as the README says: `npm pack`, `npm install -g <tarball>` into a
#    prefix (no engine warning there either), then the installed `tcpstate-exporter` bin serves
#    /metrics on loopback and exits 0 on SIGTERM, on this Node.js and on each of the extra
#    majors given (official binaries, scripts/lib/cache.sh).
# Usage: bash scripts/fresh-clone-check.sh [major ...]   (npm and the first node on PATH install)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
source scripts/lib/cache.sh

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

# --- the package, packed and installed globally into a prefix
mkdir "$tmp/pack"
npm pack --silent --pack-destination "$tmp/pack" >"$tmp/pack.log" 2>&1 || { cat "$tmp/pack.log"; echo "FAILED: npm pack"; exit 1; }
tarball="$(ls "$tmp/pack"/*.tgz)"
prefix="$tmp/prefix"
if ! npm install -g --prefix "$prefix" --no-audit --no-fund "$tarball" >"$tmp/install-g.log" 2>&1; then
  cat "$tmp/install-g.log"
  echo "FAILED: npm install -g $tarball"
  exit 1
fi
if grep -q EBADENGINE "$tmp/install-g.log"; then
  grep -A4 EBADENGINE "$tmp/install-g.log"
  echo "FAILED: npm install -g printed an engine warning"
  status=1
fi
bin="$prefix/bin/tcpstate-exporter"
echo "installed $(basename "$tarball") ($(du -sh "$prefix" | cut -f1) with its dependencies)"

# run_bin <node dir>: `--version` names that Node.js; then the bin, started with that Node.js
# first on PATH (its shebang is `env node`), serves a successful collection on a loopback port it
# picks itself and exits 0 within 10 s of SIGTERM.
run_bin() {
  local log="$tmp/run.log" pid url="" ok=0 code i
  PATH="$1:$PATH" "$bin" --version | grep -qF "(Node.js $("$1/node" --version))" || { echo "--version: $(PATH="$1:$PATH" "$bin" --version)"; return 1; }
  PATH="$1:$PATH" "$bin" --web.listen-address=127.0.0.1:0 --log.format=json 2>"$log" &
  pid=$!
  for i in $(seq 150); do
    url="$(grep -o '"url":"http://[^"]*"' "$log" | head -1 | cut -d'"' -f4)" || true
    if [ -n "$url" ] || ! kill -0 $pid 2>/dev/null; then break; fi
    sleep 0.2
  done
  for i in $(seq 150); do
    [ -n "$url" ] || break
    if node -e 'fetch(process.argv[1]).then(async (r) => process.exit(/^tcpstate_collector_success\{collector="sockets"\} 1$/m.test(await r.text()) ? 0 : 1), () => process.exit(1))' "$url/metrics"; then
      ok=1
      break
    fi
    sleep 0.2
  done
  kill -TERM $pid 2>/dev/null || true
  for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
  if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid
    echo "still running 10 s after SIGTERM"
    ok=0
  fi
  code=0
  wait $pid || code=$?
  [ $code -eq 0 ] || { echo "exit code $code after SIGTERM"; ok=0; }
  [ $ok -eq 1 ] || cat "$log"
  [ $ok -eq 1 ]
}

majors=("$@")
for dir in "$(dirname "$(command -v node)")" $(for m in "${majors[@]}"; do dirname "$(node_binary "$m")"; done); do
  v="$("$dir/node" --version)"
  if run_bin "$dir"; then
    echo "ok: the installed bin served /metrics and stopped on SIGTERM (Node.js $v)"
  else
    echo "FAILED: the installed bin on Node.js $v"
    status=1
  fi
done
exit $status

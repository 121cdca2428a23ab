#!/usr/bin/env bash
# The container path, for real: builds the image from the unchanged Dockerfile with podman and
# runs it, and runs the pod specs the Helm chart and the Kustomize overlays render
# (test/container/*.test.ts). Needs root; installs podman, buildah, runc, debootstrap and unzip
# with apt-get when missing.
#
# The Dockerfile's base image (node:<version>-bookworm-slim) cannot be pulled on the CI machines,
# so an equivalent is built locally under the same name: Debian bookworm from debootstrap
# (--variant=minbase, slimmed as the official debian:bookworm-slim is), plus the official
# Node.js binary of that version and the npm, corepack and yarn it comes with (all from the npm
# registry), laid out as the official image lays them out. `npm ci` inside the build reaches the
# registry over the host's network; where outbound TLS is re-signed by a CA only the host trusts,
# the host's CA bundle is bind-mounted into the build's RUN steps (with an npmrc naming it), never
# copied into an image.
#
# Everything podman makes lives in a storage root of its own under a temporary directory (images,
# containers, layers, mounts), removed at exit whatever happens; the host's podman storage is not
# touched. Cached between runs (scripts/lib/cache.sh): the debootstrap root filesystem (rebuilt
# when a week old, for security updates), the Node.js, npm, corepack and yarn packages, and helm
# and kubectl. TCPSTATE_CI_KEEP=1 keeps the storage at exit (to rerun the suite by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
source scripts/lib/cache.sh

[ "$(id -u)" -eq 0 ] || { echo "container-test.sh needs root (podman with host namespaces, debootstrap)" >&2; exit 1; }

phase_start=$SECONDS
timings=()
phase() {
  local now=$SECONDS
  [ -z "${phase_name:-}" ] || timings+=("$(printf '  %-34s %4ds' "$phase_name" $((now - phase_start)))")
  phase_name="$1"
  phase_start=$now
  [ -z "$1" ] || echo "--- $1"
}

phase "tools (apt)"
need=()
for tool in podman buildah runc debootstrap unzip nsenter; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=("${need[@]/nsenter/util-linux}")
  echo "installing: ${pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# --- the Dockerfile's base image: every FROM is node:<version>-bookworm-slim, a stage, or scratch
base=""
while read -r from; do
  case "$from" in
    scratch) ;;
    node:*-bookworm-slim) [ -z "$base" ] || [ "$base" = "$from" ] || { echo "Dockerfile uses two base images: $base, $from" >&2; exit 1; }; base="$from" ;;
    *) grep -qiE "^FROM .* AS $from\$" Dockerfile || { echo "no local stand-in for the base image $from" >&2; exit 1; } ;;
  esac
done < <(awk 'toupper($1) == "FROM" { print $2 }' Dockerfile)
node_version="${base#node:}"
node_version="${node_version%-bookworm-slim}"
echo "base image $base (Node.js $node_version)"

# --- a private podman storage, removed at exit
work="$(mktemp -d /var/tmp/tcpstate-container-ci.XXXXXX)"
# podman raises the containers' open-file and process limits (to 1048576 and the maximum);
# without CAP_SYS_RESOURCE (as in CI sandboxes) runc may not raise them, and a container does not
# start. Containers get this shell's open-file limit, and the highest process limit runc may set
# (probed below, once the Debian image is there).
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"  # buildah's temporary files too
ulimits() {
  # netns "none" by default: no container of this script may touch the host's bridge network.
  printf '[containers]\nnetns = "none"\ndefault_ulimits = ["nofile=%s:%s"%s]\n' "$(ulimit -Sn)" "$(ulimit -Hn)" "${1:+, \"nproc=$1:$1\"}" >"$work/containers.conf"
}
ulimits ""
export CONTAINERS_CONF="$work/containers.conf"
podman=(podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp" --runtime runc
        --cgroup-manager cgroupfs --events-backend file --storage-driver overlay)
# containers/image keeps a digest cache outside any storage root: removed at exit if this run made it.
blob_cache=/var/lib/containers/cache
[ -e /var/lib/containers ] && had_var_lib_containers=1 || had_var_lib_containers=""
[ -e "$blob_cache" ] && had_blob_cache=1 || had_blob_cache=""
cleanup() {
  local status=$?
  trap - EXIT
  if [ -n "${TCPSTATE_CI_KEEP:-}" ]; then
    # For working on the suite: keep the storage, and say how to use it and remove it.
    echo "kept $work: export CONTAINERS_CONF=$CONTAINERS_CONF TCPSTATE_PODMAN_ARGS='${TCPSTATE_PODMAN_ARGS:-}' TCPSTATE_IMAGE=${TCPSTATE_IMAGE:-} TCPSTATE_APP_IMAGE=${TCPSTATE_APP_IMAGE:-} TCPSTATE_HELM=${TCPSTATE_HELM:-} TCPSTATE_KUBECTL=${TCPSTATE_KUBECTL:-}"
    echo "remove with: ${podman[*]} system reset --force && rm -rf $work"
    exit $status
  fi
  "${podman[@]}" rm --all --force --time 0 >/dev/null 2>&1 || true
  "${podman[@]}" rmi --all --force >/dev/null 2>&1 || true
  "${podman[@]}" system reset --force >/dev/null 2>&1 || true
  # Whatever is still mounted under the work directory (an interrupted build) goes too.
  findmnt -rn -o TARGET | grep -F "$work" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
  [ -n "$had_blob_cache" ] || rm -rf "$blob_cache"
  [ -n "$had_var_lib_containers" ] || rmdir /var/lib/containers 2>/dev/null || true
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Debian bookworm, minbase, slimmed like the official debian:bookworm-slim
debian_rootfs_into() {
  local out="$1" root="$1/rootfs"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 \
    || { tail -20 "$out/debootstrap.log"; return 1; }
  # As debuerreotype's slimify: no documentation, manuals or translations, now or when installing.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root/usr/share/man"/* "$root/usr/share/groff"/* "$root/usr/share/info"/* "$root/usr/share/lintian"/* "$root/usr/share/linda"/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root/var/lib/apt/lists"/* "$root/var/cache/apt"/*.bin "$root/var/cache/apt/archives"/*.deb "$root/var/log"/*.log "$root/var/log/apt"/*
  tar --numeric-owner -C "$root" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$out/rootfs.tar" .
  rm -rf "$root"
  sha256sum "$out/rootfs.tar" | cut -d' ' -f1 >"$out/rootfs.tar.sha256"
}
phase "debian rootfs (debootstrap, cached)"
rootfs="$(CACHE_MAX_AGE_DAYS=7 cache_entry rootfs bookworm-minbase-amd64 debian_rootfs_into)"
[ "$(sha256sum "$rootfs/rootfs.tar" | cut -d' ' -f1)" = "$(cat "$rootfs/rootfs.tar.sha256")" ] \
  || { echo "cached rootfs.tar is damaged; remove $rootfs" >&2; exit 1; }
"${podman[@]}" import --quiet --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$rootfs/rootfs.tar" localhost/tcpstate-ci/debian:bookworm-slim >/dev/null

started=""
for nproc in "$(ulimit -Hu)" 65536 32768 16384 4096; do
  ulimits "$nproc"
  if "${podman[@]}" run --rm --network none localhost/tcpstate-ci/debian:bookworm-slim true 2>/dev/null; then started=$nproc; break; fi
done
[ -n "$started" ] || { echo "no container starts here (runc cannot set its limits)" >&2; exit 1; }
echo "containers: open files $(ulimit -Sn):$(ulimit -Hn), processes $started"

# --- node:<version>-bookworm-slim: the official layout (docker-node's Dockerfile): Node.js from
# the release tarball under /usr/local (bin, include, share; npm and corepack in
# lib/node_modules, linked from bin), yarn 1 in /opt, a `node` user (uid 1000), the entrypoint
phase "node base image (stand-in)"
node_dir="$(dirname "$(dirname "$(node_binary "$node_version")")")"
# The npm and corepack this release bundles: the newest upgrades its changelog lists.
npm_version="$(grep -m1 -oP 'upgrade npm to \K[0-9]+\.[0-9]+\.[0-9]+' "$node_dir/CHANGELOG.md")"
corepack_version="$(grep -m1 -oP 'update corepack to \K[0-9]+\.[0-9]+\.[0-9]+' "$node_dir/CHANGELOG.md")"
yarn_version=1.22.22
echo "Node.js $node_version with npm $npm_version, corepack $corepack_version, yarn $yarn_version"
ctx="$work/node-base"
mkdir -p "$ctx/usr/local/lib/node_modules" "$ctx/opt"
cp -a "$node_dir/bin" "$node_dir/include" "$node_dir/share" "$ctx/usr/local/"
cp -a "$node_dir/CHANGELOG.md" "$node_dir/README.md" "$node_dir/LICENSE" "$ctx/usr/local/"
cp -a "$(cached_package npm "$npm_version")" "$ctx/usr/local/lib/node_modules/npm"
cp -a "$(cached_package corepack "$corepack_version")" "$ctx/usr/local/lib/node_modules/corepack"
cp -a "$(cached_package yarn "$yarn_version")" "$ctx/opt/yarn-v$yarn_version"
find "$ctx" -name .complete -delete
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$ctx/usr/local/bin/corepack"
ln -s /usr/local/bin/node "$ctx/usr/local/bin/nodejs"
ln -s "/opt/yarn-v$yarn_version/bin/yarn" "$ctx/usr/local/bin/yarn"
ln -s "/opt/yarn-v$yarn_version/bin/yarnpkg" "$ctx/usr/local/bin/yarnpkg"
# Like the official image's entrypoint: run node when the first argument is a flag or no command.
cat >"$ctx/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
case "$1" in
  -*) set -- node "$@" ;;
  *) if [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && [ ! -x "$1" ]; }; then set -- node "$@"; fi ;;
esac
exec "$@"
EOF
chmod 0755 "$ctx/usr/local/bin/docker-entrypoint.sh"
cat >"$work/node-base.Containerfile" <<EOF
FROM localhost/tcpstate-ci/debian:bookworm-slim
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=$node_version YARN_VERSION=$yarn_version
COPY usr /usr
COPY opt /opt
RUN node --version && npm --version && corepack --version && yarn --version
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
"${podman[@]}" build --quiet --pull=never --network none -f "$work/node-base.Containerfile" -t "docker.io/library/$base" "$ctx" >/dev/null

# --- the image, from the unchanged Dockerfile
phase "image build (Dockerfile)"
build_mounts=()
registry="$(npm config get registry)"
# reaches [VAR=value...]: whether Node.js, with only its own CAs (plus those given), reaches the registry.
reaches() { env -u NODE_EXTRA_CA_CERTS "$@" "$node_dir/bin/node" -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$registry"; }
ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
if ! reaches && [ -f "$ca" ] && reaches NODE_EXTRA_CA_CERTS="$ca"; then
  echo "outbound TLS is re-signed by a CA only this host trusts: $ca mounted into the build's RUN steps"
  # npm reads the npmrc in its own directory (its "builtin" config); the Dockerfile ships neither
  # npm's directory nor /run's contents, so the mount points stay out of the image too.
  printf 'cafile=/run/host-ca/ca.pem\nregistry=%s\n' "$registry" >"$work/build-npmrc"
  build_mounts=(-v "$ca:/run/host-ca/ca.pem:ro" -v "$work/build-npmrc:/usr/local/lib/node_modules/npm/npmrc:ro")
fi
image=localhost/tcpstate-exporter:ci
"${podman[@]}" build --pull=never --network host "${build_mounts[@]}" -f Dockerfile -t "$image" . 2>&1 \
  | grep -vE '^(STEP|COPY|--> |Copying|Writing manifest|Storing signatures|Getting image source)' || true
"${podman[@]}" image exists "$image" || { echo "FAILED: the image did not build" >&2; exit 1; }
size="$("${podman[@]}" image inspect --format '{{.Size}}' "$image")"
base_size="$("${podman[@]}" image inspect --format '{{.Size}}' "docker.io/library/$base")"
echo "image $image: $((size / 1000000)) MB (the base stand-in: $((base_size / 1000000)) MB)"

# --- the suite
phase "container suite (vitest)"
tools="$(k8s_tools)"
export TCPSTATE_PODMAN_ARGS="$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "${podman[@]}")"
export TCPSTATE_IMAGE="$image"
export TCPSTATE_APP_IMAGE="docker.io/library/$base"
export TCPSTATE_HELM="$tools/helm/helm"
export TCPSTATE_KUBECTL="$tools/kubectl/kubectl"
status=0
node node_modules/vitest/vitest.mjs run --config vitest.container.config.ts || status=$?

phase ""
echo "--- container stage timings"
printf '%s\n' "${timings[@]}"
exit $status

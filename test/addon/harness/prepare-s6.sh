#!/usr/bin/env bash
# Builds, or validates, the cached Debian sid chroot in which test/addon/s6.test.ts runs the
# add-on's services under real s6 supervision (s6-svscan, s6-supervise, s6-svc, s6-svstat).
#
# Why sid: its s6 (2.15.1) and execline (2.9.9.2) are the release lines s6-overlay 3.2.3.0 bundles
# in the image (s6 2.15.0.0, execline 2.9.9.0); Debian 12 has s6 2.11 and execline 2.9.3. sid's
# binaries need sid's libskarnet and libc, hence a chroot (minbase: about 30 s cold).
# s6-rc is in no Debian suite any more (not sid, experimental, trixie or bookworm), so the test
# plays s6-rc's part itself (test/addon/harness/s6-rc-standin.ts). When Debian ships s6-rc
# again, add it to DEB_PACKAGES and let the test use s6-rc-compile / s6-rc-init / s6-rc.
#
#   bash test/addon/harness/prepare-s6.sh          build if needed, then check; prints the timings
#   bash test/addon/harness/prepare-s6.sh --root   print the chroot path of a complete build (no build)
#
# Cache: /var/cache/iris-edge/s6-<hash of this file>/ (IRIS_EDGE_CACHE moves it), in the style of
# test/e2e/harness/prepare.sh: the stamp file is written LAST; a directory without it, or one
# that fails the quick check, is deleted and rebuilt, never trusted. Other s6-* directories are
# removed. IRIS_EDGE_S6_ROOT=<dir> uses a chroot built elsewhere (checked, never built or deleted).
# IRIS_EDGE_DEBIAN_MIRROR overrides the mirror (default: the host's apt source, else
# deb.debian.org). Needs root (debootstrap, chroot, mount namespaces).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/support/chroot-cache.sh
source "$HERE/../../support/chroot-cache.sh"
CACHE_BASE=${IRIS_EDGE_CACHE:-/var/cache/iris-edge}
# Everything that decides what the chroot contains; a change to it means a new build.
RECIPE_FILES=("$HERE/prepare-s6.sh")
HASH=$(cat "${RECIPE_FILES[@]}" | sha256sum | cut -c1-12)
DIR=$CACHE_BASE/s6-$HASH
ROOT=$DIR/root
STAMP=$DIR/complete.stamp
SUITE=sid
# bash and coreutils are in minbase already; named so that the recipe says what the test needs.
DEB_PACKAGES=s6,execline,bash,jq,coreutils
# What the quick check runs: every tool the test calls inside the chroot.
TOOLS="s6-svscan s6-supervise s6-svc s6-svok s6-svstat execlineb jq bash awk timeout install"

log() { printf '[prepare-s6] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${1:-} == --root ]]; then
  if [[ -n ${IRIS_EDGE_S6_ROOT:-} ]]; then echo "$IRIS_EDGE_S6_ROOT"; exit 0; fi
  [[ -f $STAMP ]] || die "no complete s6 chroot at $DIR; run: bash $HERE/prepare-s6.sh"
  echo "$ROOT"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mount namespaces)"


# Runs "$@" inside the chroot $1 in a private mount namespace (the /dev and /proc mounts vanish
# with the process tree).
in_root() {
  local root=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    r=$1; shift
    mount --rbind /dev "$r/dev"
    mount -t proc proc "$r/proc"
    exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"' bash "$root" "$@"
}

quick_check() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  in_root "$1" /bin/bash -c '
    for tool in $1; do command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }; done
    [ "$(jq -n 1)" = 1 ] && execlineb -Pc "exit 0"' bash "$TOOLS" >/dev/null
}



build() {
  local mirror
  mirror=$(chroot_cache::debian_mirror)
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  mkdir -p "$DIR"
  log "debootstrap --variant=minbase $SUITE from $mirror into $ROOT (+ $DEB_PACKAGES)"
  debootstrap --variant=minbase --include="$DEB_PACKAGES" "$SUITE" "$ROOT" "$mirror" >"$DIR/debootstrap.log" 2>&1 ||
    { tail -n 30 "$DIR/debootstrap.log" >&2; die "debootstrap failed (log above, full log: $DIR/debootstrap.log)"; }
  # Nothing in the chroot needs the package lists or downloaded archives any more.
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
  quick_check "$ROOT" || die "the fresh build fails the quick check ($TOOLS)"
  # LAST: the stamp says the build is complete.
  {
    # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
    in_root "$ROOT" dpkg-query -W -f '${Package}=${Version}\n' s6 execline jq bash
    echo "built=$(date -u +%FT%TZ)"
  } >"$STAMP.tmp"
  mv "$STAMP.tmp" "$STAMP"
}

if [[ -n ${IRIS_EDGE_S6_ROOT:-} ]]; then
  t0=$(chroot_cache::now)
  quick_check "$IRIS_EDGE_S6_ROOT" || die "IRIS_EDGE_S6_ROOT=$IRIS_EDGE_S6_ROOT lacks one of: $TOOLS"
  log "using IRIS_EDGE_S6_ROOT=$IRIS_EDGE_S6_ROOT; warm check: $(chroot_cache::elapsed "$t0") s"
  exit 0
fi

chroot_cache::prepare s6 "the s6 chroot"

#!/usr/bin/env bash
# Builds, or validates, the cached real Home Assistant Core that the e2e tests run.
#
# A Debian sid chroot (Python 3.14, made with debootstrap) holding a venv /opt/ha with
# homeassistant==<ha-version.txt> from PyPI and the requirements of every integration the harness
# configuration loads (computed from that release's manifests by ha-requirements.py), so that
# `hass --skip-pip` runs offline. Needs root.
#
#   bash test/e2e/harness/prepare.sh          build if needed, then check; prints the timings
#   bash test/e2e/harness/prepare.sh --root   print the chroot path of a complete build (no build)
#
# Cache: /var/cache/iris-edge/ha-<version>-<hash of the recipe files>/ (IRIS_EDGE_CACHE moves
# it). The stamp file is written LAST; a directory without it, or one that fails the quick import
# check, is deleted and rebuilt, never trusted. Other ha-* directories are removed.
# IRIS_EDGE_HA_ROOT=<dir> uses a chroot built elsewhere (checked, never built or deleted).
# IRIS_EDGE_DEBIAN_MIRROR overrides the mirror (default: the host's apt source, else
# deb.debian.org).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/support/chroot-cache.sh
source "$HERE/../../support/chroot-cache.sh"
VERSION=$(grep -v '^[[:space:]]*#' "$HERE/ha-version.txt" | tr -d '[:space:]')
CACHE_BASE=${IRIS_EDGE_CACHE:-/var/cache/iris-edge}
# Everything that decides what the chroot contains; a change to any of these means a new build.
RECIPE_FILES=("$HERE/prepare.sh" "$HERE/ha-version.txt" "$HERE/ha-requirements.py")
HASH=$(cat "${RECIPE_FILES[@]}" | sha256sum | cut -c1-12)
DIR=$CACHE_BASE/ha-$VERSION-$HASH
ROOT=$DIR/root
STAMP=$DIR/complete.stamp
PIP_CACHE=$CACHE_BASE/pip-cache
SUITE=sid
# g++ and python3-dev: a few requirements of default integrations (pymicro-vad, pyspeex-noise for
# assist_pipeline) publish no cp314 wheel and build from source (pip's cache keeps the wheels).
# libturbojpeg0: the camera integration (always set up) loads it through PyTurboJPEG.
DEB_PACKAGES=python3,python3-venv,python3-dev,g++,ca-certificates,tzdata,libturbojpeg0

log() { printf '[prepare-ha] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "ha-version.txt must hold one exact version, got '$VERSION'"

if [[ ${1:-} == --root ]]; then
  if [[ -n ${IRIS_EDGE_HA_ROOT:-} ]]; then echo "$IRIS_EDGE_HA_ROOT"; exit 0; fi
  [[ -f $STAMP ]] || die "no complete Home Assistant build at $DIR; run: bash $HERE/prepare.sh"
  echo "$ROOT"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mount namespaces)"


# Runs "$@" inside the chroot $1, in a private mount namespace: the /proc, /dev, /sys (and pip
# cache) mounts exist only for this process tree and vanish when it ends, even on a crash.
in_root() {
  local root=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    r=$1; cache=$2; shift 2
    mount --rbind /dev "$r/dev"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    if [ -n "$cache" ]; then mkdir -p "$r/root/.cache/pip"; mount --bind "$cache" "$r/root/.cache/pip"; fi
    exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/opt/ha/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      PIP_CONFIG_FILE=/etc/pip.conf PIP_DISABLE_PIP_VERSION_CHECK=1 \
      ${http_proxy:+http_proxy=$http_proxy} ${https_proxy:+https_proxy=$https_proxy} \
      ${no_proxy:+no_proxy=$no_proxy} "$@"' bash "$root" "${IN_ROOT_PIP_CACHE:-}" "$@"
}

quick_check() {
  in_root "$1" /opt/ha/bin/python -c 'import homeassistant, paho.mqtt, hassil' >/dev/null 2>&1
}



# The host's effective pip configuration (files and PIP_* variables), as `pip config list` shows it.
host_pip_value() {
  local key=$1 pip_cmd
  pip_cmd=$(command -v pip3 || command -v pip || true)
  [[ -n $pip_cmd ]] || return 0
  "$pip_cmd" config list 2>/dev/null | sed -n "s/^[^=]*\\.$key='\\(.*\\)'\$/\\1/p" | tail -n 1
}

# /etc/pip.conf for the chroot: the host's index, extra indexes (network ones only: local
# file:// indexes do not exist in the chroot), certificate bundle, timeout and proxy.
write_chroot_pip_conf() {
  local root=$1 index extra cert timeout proxy trusted out url kept=""
  index=$(host_pip_value index-url)
  extra=$(host_pip_value extra-index-url)
  cert=$(host_pip_value cert)
  timeout=$(host_pip_value default-timeout)
  [[ -n $timeout ]] || timeout=$(host_pip_value timeout)
  proxy=$(host_pip_value proxy)
  trusted=$(host_pip_value trusted-host)
  out="[global]"$'\n'"timeout = ${timeout:-120}"$'\n'
  [[ $index =~ ^https?:// ]] && out+="index-url = $index"$'\n'
  for url in $extra; do [[ $url =~ ^https?:// ]] && kept+=" $url"; done
  [[ -n $kept ]] && out+="extra-index-url =$kept"$'\n'
  if [[ -n $cert && -f $cert ]]; then
    cp -- "$cert" "$root/etc/ssl/certs/iris-edge-host-ca.crt"
    out+="cert = /etc/ssl/certs/iris-edge-host-ca.crt"$'\n'
  fi
  [[ -n $proxy ]] && out+="proxy = $proxy"$'\n'
  [[ -n $trusted ]] && out+="trusted-host = $trusted"$'\n'
  printf '%s' "$out" >"$root/etc/pip.conf"
  log "pip in the chroot uses: $(tr '\n' ';' <"$root/etc/pip.conf")"
}

build() {
  local mirror reqs constraints
  mirror=$(chroot_cache::debian_mirror)
  command -v debootstrap >/dev/null || {
    log "installing debootstrap on the host"
    apt-get install -y debootstrap >&2 || { apt-get update >&2 && apt-get install -y debootstrap >&2; }
  }
  mkdir -p "$DIR" "$PIP_CACHE"
  log "debootstrap $SUITE from $mirror into $ROOT"
  debootstrap --variant=minbase --include="$DEB_PACKAGES" "$SUITE" "$ROOT" "$mirror" >"$DIR/debootstrap.log" 2>&1 ||
    { tail -n 30 "$DIR/debootstrap.log" >&2; die "debootstrap failed (log above, full log: $DIR/debootstrap.log)"; }
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # The archive snapshot may be past its Valid-Until; apt in the chroot must still work.
  echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99iris-edge"
  write_chroot_pip_conf "$ROOT"

  export IN_ROOT_PIP_CACHE=$PIP_CACHE
  log "python in the chroot: $(in_root "$ROOT" python3 --version)"
  in_root "$ROOT" python3 -m venv /opt/ha
  in_root "$ROOT" /opt/ha/bin/pip install -q --upgrade pip >&2
  log "pip install homeassistant==$VERSION"
  in_root "$ROOT" /opt/ha/bin/pip install -q "homeassistant==$VERSION" >&2
  reqs=$(in_root "$ROOT" /opt/ha/bin/python - <"$HERE/ha-requirements.py")
  constraints=/opt/ha/lib/$(in_root "$ROOT" /opt/ha/bin/python -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')/site-packages/homeassistant/package_constraints.txt
  log "integration requirements: $(echo "$reqs" | tr '\n' ' ')"
  printf '%s\n' "$reqs" >"$ROOT/opt/ha/integration-requirements.txt"
  in_root "$ROOT" /opt/ha/bin/pip install -q -c "$constraints" -r /opt/ha/integration-requirements.txt >&2
  unset IN_ROOT_PIP_CACHE
  in_root "$ROOT" /opt/ha/bin/pip freeze >"$DIR/pip-freeze.txt"
  quick_check "$ROOT" || die "the fresh build fails the import check"
  # LAST: the stamp says the build is complete.
  {
    echo "homeassistant=$VERSION"
    echo "python=$(in_root "$ROOT" /opt/ha/bin/python -c 'import sys; print(sys.version.split()[0])')"
    echo "built=$(date -u +%FT%TZ)"
  } >"$STAMP.tmp"
  mv "$STAMP.tmp" "$STAMP"
}

if [[ -n ${IRIS_EDGE_HA_ROOT:-} ]]; then
  t0=$(chroot_cache::now)
  quick_check "$IRIS_EDGE_HA_ROOT" || die "IRIS_EDGE_HA_ROOT=$IRIS_EDGE_HA_ROOT fails: import homeassistant, paho.mqtt, hassil"
  log "using IRIS_EDGE_HA_ROOT=$IRIS_EDGE_HA_ROOT; warm check: $(chroot_cache::elapsed "$t0") s"
  exit 0
fi

chroot_cache::prepare ha "Home Assistant $VERSION"

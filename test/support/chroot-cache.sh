# shellcheck shell=bash
# The cache of debootstrap'd chroots that tests run in (test/e2e/harness/prepare.sh for Home
# Assistant, test/addon/harness/prepare-s6.sh for s6). Sourced, never executed. The sourcing script
# defines log, die, build and quick_check, and the variables CACHE_BASE, DIR (the cache directory
# of this recipe, <CACHE_BASE>/<prefix>-...), ROOT (the chroot in it) and STAMP (written last by
# build: a directory without it, or one that fails the quick check, is never trusted).

chroot_cache::now() { date +%s.%N; }
chroot_cache::elapsed() { awk -v a="$1" -v b="$(chroot_cache::now)" 'BEGIN { printf "%.1f", b - a }'; }

# Refuses to delete anything that still has a mount under it (a leaked bind of /dev or /sys would
# make rm -rf reach the host's devices).
chroot_cache::safe_rm() {
  local d=$1
  if findmnt -rn -o TARGET | grep -q -F -- "$d/"; then
    die "refusing to delete $d: something is still mounted below it (see: findmnt | grep $d)"
  fi
  rm -rf --one-file-system -- "$d"
}

# Some Debian mirror: IRIS_EDGE_DEBIAN_MIRROR, else the host's apt sources, else deb.debian.org.
chroot_cache::debian_mirror() {
  if [[ -n ${IRIS_EDGE_DEBIAN_MIRROR:-} ]]; then echo "$IRIS_EDGE_DEBIAN_MIRROR"; return; fi
  local m=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    m=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $m && -f /etc/apt/sources.list ]]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# True when a running process (a test still running) is chrooted into $1.
chroot_cache::root_in_use() {
  local link
  for link in /proc/[0-9]*/root; do
    [[ $(readlink "$link" 2>/dev/null) == "$1" ]] && return 0
  done
  return 1
}

# chroot_cache::prepare PREFIX WHAT: one prepare at a time per PREFIX (parallel test runs share
# the cache); removes the PREFIX-* caches of other recipes unless a test still runs in one; then
# uses the cache of this recipe when it is complete and passes the quick check, and otherwise
# deletes what is there and builds it anew. WHAT names the chroot in the log.
chroot_cache::prepare() {
  local prefix=$1 what=$2 old t0 t1
  mkdir -p "$CACHE_BASE"
  exec 9>"$CACHE_BASE/.lock-$prefix"
  flock 9
  for old in "$CACHE_BASE/$prefix"-*; do
    [[ -d $old && $old != "$DIR" ]] || continue
    if chroot_cache::root_in_use "$old/root"; then
      log "old cache $old is in use by a running test; it is removed next time"
      continue
    fi
    log "removing old cache $old"
    chroot_cache::safe_rm "$old"
  done
  t0=$(chroot_cache::now)
  if [[ -f $STAMP ]] && quick_check "$ROOT"; then
    log "cached $what at $ROOT ($(tr '\n' ' ' <"$STAMP"))"
    log "warm check: $(chroot_cache::elapsed "$t0") s"
    return 0
  fi
  if [[ -e $DIR ]]; then
    log "cache $DIR is incomplete or broken; deleting it"
    chroot_cache::safe_rm "$DIR"
  fi
  log "cold build of $what (recipe $(basename "$DIR"))"
  build
  log "cold build: $(chroot_cache::elapsed "$t0") s"
  t1=$(chroot_cache::now)
  quick_check "$ROOT" || die "the fresh build fails the quick check"
  log "warm check: $(chroot_cache::elapsed "$t1") s"
  log "ready: $ROOT ($(tr '\n' ' ' <"$STAMP"))"
}

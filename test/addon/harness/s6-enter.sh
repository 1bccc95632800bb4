#!/usr/bin/env bash
# Runs a command inside the s6 chroot that prepare-s6.sh built, for test/addon/s6.test.ts, with the
# test's sandbox directory visible at the same path inside as outside (the rewritten scripts and
# the test then agree on every path).
#
#   s6-enter.sh ROOT SANDBOX -- COMMAND...
#
# Everything happens in a private mount namespace (a tmpfs on ROOT/tmp with the sandbox bound below
# it, /dev and /proc), so the cached chroot is never written to and the mounts vanish with the
# process, and in a PID namespace whose init is COMMAND: when COMMAND ends (s6-svscan, killed by
# the test), the kernel ends and reaps everything that ran under it. COMMAND is also killed when
# the process that started this script (the test) dies. The exit status is COMMAND's.
set -euo pipefail
root=$1 sandbox=$2
shift 2
[[ ${1:-} == -- ]] && shift
if [[ $sandbox != /tmp/?* || $sandbox == *..* ]]; then
  echo "s6-enter: the sandbox must be a directory under /tmp, not $sandbox" >&2
  exit 100
fi
# shellcheck disable=SC2016 # expanded by the inner bash
exec setpriv --pdeathsig KILL -- unshare --mount --propagation private --pid --fork --kill-child -- /bin/bash -c '
  set -e
  r=$1 s=$2
  shift 2
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  mkdir -p "$r$s"
  mount --bind "$s" "$r$s"
  mount --rbind /dev "$r/dev"
  mount -t proc proc "$r/proc"
  exec chroot "$r" "$@"' bash "$root" "$sandbox" "$@"

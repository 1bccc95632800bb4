# shellcheck shell=bash
# Shared by the stand-ins of test/addon/s6.test.ts. Each stand-in lives in <sandbox>/fake (with-contenv
# in <sandbox>/command), so the sandbox is the parent of its directory. Sourced, never executed.
SANDBOX=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly SANDBOX

# One line per event, in the order they happen, for the test to read: "<epoch seconds> <what>".
event() {
  printf '%s %s\n' "$(date +%s.%N)" "$*" >>"${SANDBOX}/events.log"
}

# shellcheck shell=bash
# The body of /usr/bin/backup_pre and /usr/bin/backup_post (sourced by both).
# Home Assistant runs those hooks as root with `docker exec` around its hot backup of /data:
# backup_pre freezes IRIS database writes, the Supervisor tars /data, backup_post thaws.
# Backup.General.ExternalFreeze()/ExternalThaw() run through `iris session IRIS -U %SYS` as
# irisowner; the session's exit status is 5 on success and 3 on failure (research iris.md §5.1).
#
# IRIS Edge's own backups (src/backups) freeze the same IRIS, and a second freeze fails, so the
# marker /data/iris-edge/freeze.json = {"by":"iris-edge"|"home-assistant","at":"<ISO-8601 UTC>"}
# records who holds the freeze (src/backups/freeze.ts). backup_pre waits for an IRIS Edge backup
# to let go, and records Home Assistant's freeze once IRIS holds it; backup_post removes the
# record once IRIS has thawed. The Supervisor runs backup_post only after a successful
# backup_pre. If backup_post never comes (the Supervisor restarted mid-backup), the bridge's
# watchdog thaws a Home Assistant freeze older than 30 minutes and notifies the user.
# IRIS_EDGE_FREEZE_WAIT_SECONDS (default 120) shortens backup_pre's wait in tests.

# shellcheck source=rootfs/usr/share/iris-edge/setup/functions.sh
source /usr/share/iris-edge/setup/functions.sh

# iris_edge::backup_method ExternalFreeze|ExternalThaw "verb for messages": 0 on success.
iris_edge::backup_method() {
  local method="$1" what="$2" status=0

  iris_edge::log info "Backup: ${what} IRIS database writes (Backup.General.${method})..."
  iris_edge::as_owner 300 "$(iris_edge::iris_bin)" session "${IRIS_EDGE_INSTANCE}" -U %SYS \
    "##Class(Backup.General).${method}()" </dev/null || status=$?

  case "${status}" in
    5)
      iris_edge::log info "Backup: ${method} succeeded."
      return 0
      ;;
    3)
      iris_edge::log error "Backup: IRIS reported that ${method} failed (see messages.log above); the backup of this add-on fails."
      ;;
    124)
      iris_edge::log error "Backup: ${method} did not finish within 300 s; the backup of this add-on fails."
      ;;
    *)
      iris_edge::log error "Backup: ${method} ended with unexpected status ${status}; the backup of this add-on fails."
      ;;
  esac
  return 1
}

# Prints who holds the freeze according to the marker, nothing without one. Like the bridge, an
# unreadable marker counts as an IRIS Edge freeze, so it is waited for rather than frozen over.
iris_edge::freeze_holder() {
  [[ -e "${IRIS_EDGE_FREEZE_MARKER}" ]] || return 0
  jq -r 'if .by == "home-assistant" then .by else "iris-edge" end' "${IRIS_EDGE_FREEZE_MARKER}" 2>/dev/null \
    || echo "iris-edge"
}

iris_edge::freeze_since() {
  jq -r '.at // "an unknown time"' "${IRIS_EDGE_FREEZE_MARKER}" 2>/dev/null || echo "an unknown time"
}

# Written by root into the bridge's directory: owned by irisowner so the bridge can read it, and
# renamed into place so the bridge never reads half a file.
iris_edge::record_ha_freeze() {
  local tmp="${IRIS_EDGE_FREEZE_MARKER}.hook.tmp"
  (umask 077 && printf '{"by":"home-assistant","at":"%s"}\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >"${tmp}") \
    && chown "$(id -u "${IRIS_EDGE_OWNER}"):$(id -g "${IRIS_EDGE_OWNER}")" "${tmp}" \
    && mv -f "${tmp}" "${IRIS_EDGE_FREEZE_MARKER}"
}

# The body of backup_pre.
iris_edge::hook_freeze() {
  local wait="${IRIS_EDGE_FREEZE_WAIT_SECONDS:-120}" start=${SECONDS}

  if ! iris_edge::iris_running; then
    # Nothing writes to the databases while IRIS is down, so the copy is consistent as it is.
    iris_edge::log info "Backup: IRIS is not running, nothing to freeze."
    return 0
  fi

  if [[ "$(iris_edge::freeze_holder)" == "iris-edge" ]]; then
    iris_edge::log info "Backup: an IRIS Edge backup has IRIS frozen (since $(iris_edge::freeze_since)); waiting up to ${wait} s for it to finish..."
    while [[ "$(iris_edge::freeze_holder)" == "iris-edge" ]]; do
      if ((SECONDS - start >= wait)); then
        iris_edge::log error "Backup: an IRIS Edge backup still holds the IRIS freeze after ${wait} s (since $(iris_edge::freeze_since)); the backup of this add-on fails. Run the Home Assistant backup again once the IRIS Edge backup has finished. If none is running, restart the add-on: IRIS Edge then clears the leftover freeze."
        return 1
      fi
      sleep 1
    done
  fi

  iris_edge::backup_method ExternalFreeze "freezing" || return 1
  if ! iris_edge::record_ha_freeze; then
    # Without the record nobody would thaw IRIS if backup_post never came, and the Supervisor
    # does not run backup_post after a failed backup_pre: thaw now.
    iris_edge::log error "Backup: could not write ${IRIS_EDGE_FREEZE_MARKER} (see the message above); thawing IRIS again, the backup of this add-on fails."
    iris_edge::backup_method ExternalThaw "thawing"
    return 1
  fi
}

# The body of backup_post.
iris_edge::hook_thaw() {
  if iris_edge::iris_running; then
    # A failed thaw keeps the marker, so the bridge's watchdog thaws IRIS later.
    iris_edge::backup_method ExternalThaw "thawing" || return 1
  else
    iris_edge::log info "Backup: IRIS is not running, nothing to thaw."
  fi
  rm -f "${IRIS_EDGE_FREEZE_MARKER}"
}

# shellcheck shell=bash
# The body of /usr/bin/backup_pre and /usr/bin/backup_post (sourced by both).
# Home Assistant runs those hooks with `docker exec` around its hot backup of /data:
# backup_pre freezes IRIS database writes, the Supervisor tars /data, backup_post thaws.
# Backup.General.ExternalFreeze()/ExternalThaw() run through `iris session IRIS -U %SYS` as
# irisowner; the session's exit status is 5 on success and 3 on failure (research iris.md §5.1).

# shellcheck source=rootfs/usr/share/iris-edge/setup/functions.sh
source /usr/share/iris-edge/setup/functions.sh

# iris_edge::freeze_or_thaw ExternalFreeze|ExternalThaw "verb for messages"
iris_edge::freeze_or_thaw() {
  local method="$1" what="$2" status=0

  if ! iris_edge::iris_running; then
    # Nothing writes to the databases while IRIS is down, so the copy is consistent as it is.
    iris_edge::log info "Backup: IRIS is not running, nothing to ${what}."
    return 0
  fi

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

# shellcheck shell=bash disable=SC2034
# (SC2034: the constants below are used by the scripts that source this file.)
# Shared paths and helpers of the IRIS Edge service scripts, backup hooks and health check.
# Sourced, never executed. Works with and without bashio (docker exec hooks have no s6 env).

# Sourcing twice would trip over the readonly variables below.
if [[ -n "${IRIS_EDGE_FUNCTIONS_LOADED:-}" ]]; then
  return 0
fi
IRIS_EDGE_FUNCTIONS_LOADED=1

# --- Paths and names (the bridge reads the same values from its environment) -----------------
readonly IRIS_EDGE_INSTANCE="IRIS"
readonly IRIS_EDGE_OWNER="irisowner"                     # uid/gid 51773 in the IRIS image
readonly IRIS_EDGE_OWNER_HOME="/home/irisowner"
readonly IRIS_EDGE_DURABLE_DIR="/data/iris"              # durable %SYS (ISC_DATA_DIRECTORY)
readonly IRIS_EDGE_STATE_DIR="/data/iris-edge"           # the bridge's own durable files
readonly IRIS_EDGE_IRIS_HOLD="${IRIS_EDGE_STATE_DIR}/iris.hold" # IRIS held down during a restore
readonly IRIS_EDGE_FREEZE_MARKER="${IRIS_EDGE_STATE_DIR}/freeze.json" # who holds the IRIS freeze
readonly IRIS_EDGE_BACKUP_DIR="/backup/iris-edge"         # IRIS Edge backup archives
readonly IRIS_EDGE_SECRETS_DIR="/data/secrets"
readonly IRIS_EDGE_SYSTEM_PASSWORD_FILE="${IRIS_EDGE_SECRETS_DIR}/iris_password"
readonly IRIS_EDGE_BRIDGE_PASSWORD_FILE="${IRIS_EDGE_SECRETS_DIR}/iris_edge_password"
readonly IRIS_EDGE_SYSTEM_PASSWORD_APPLIED="${IRIS_EDGE_SECRETS_DIR}/.iris_password_applied"
readonly IRIS_EDGE_BRIDGE_USER="iris_edge"
# The IRIS user that runs user-defined SQL, global and method sensors: only the role
# IrisEdgeSensors, never the bridge's (bridge-role.json "sensors"; DOCS.md "Your own sensors").
readonly IRIS_EDGE_SENSORS_USER="iris_edge_sensors"
readonly IRIS_EDGE_SENSORS_PASSWORD_FILE="${IRIS_EDGE_SECRETS_DIR}/iris_edge_sensors_password"
# The IRIS account for people (%All), its generated or chosen password, and the marker that
# IRIS has the password the file holds (removed when init-iris generates a new file).
readonly IRIS_EDGE_ADMIN_USER="ha_admin"
readonly IRIS_EDGE_ADMIN_PASSWORD_FILE="${IRIS_EDGE_SECRETS_DIR}/iris_admin_password"
readonly IRIS_EDGE_ADMIN_PASSWORD_APPLIED="${IRIS_EDGE_SECRETS_DIR}/.iris_admin_password_applied"
readonly IRIS_EDGE_RUN_DIR="/run/iris-edge"
readonly IRIS_EDGE_PASSWORD_ONCE="${IRIS_EDGE_RUN_DIR}/iris-password-once"
readonly IRIS_EDGE_MERGE_FILE="${IRIS_EDGE_RUN_DIR}/merge.cpf"
readonly IRIS_EDGE_OPTIONS_COPY="${IRIS_EDGE_RUN_DIR}/options.json"
readonly IRIS_EDGE_HEARTBEAT="${IRIS_EDGE_RUN_DIR}/heartbeat"
readonly IRIS_EDGE_SETUP_DIR="/usr/share/iris-edge/setup"
readonly IRIS_EDGE_AGENT_DIR_PATH="/usr/share/iris-edge/agent"  # the classes IRIS loads, bridge-role.json
readonly IRIS_EDGE_OPTIONS="/data/options.json"

# --- Logging: bashio when it is loaded, plain lines otherwise ----------------------------------
iris_edge::log() {
  local level="$1"
  shift
  if declare -F bashio::log.info >/dev/null; then
    case "${level}" in
      error) bashio::log.error "$*" ;;
      warning) bashio::log.warning "$*" ;;
      *) bashio::log.info "$*" ;;
    esac
  else
    printf '[%s] %s: %s\n' "$(date '+%H:%M:%S')" "${level^^}" "$*"
  fi
}

# --- IRIS helpers -------------------------------------------------------------------------------
iris_edge::iris_bin() {
  command -v iris 2>/dev/null || echo /usr/irissys/bin/iris
}

# iris_edge::as_owner SECONDS COMMAND...: runs COMMAND as irisowner (OS authentication makes it
# an IRIS superuser in the IRIS image), killed after SECONDS (exit status 124 then).
iris_edge::as_owner() {
  local seconds="$1"
  shift
  (cd "${IRIS_EDGE_OWNER_HOME}" && HOME="${IRIS_EDGE_OWNER_HOME}" \
    timeout "${seconds}" s6-setuidgid "${IRIS_EDGE_OWNER}" "$@")
}

# True when `iris qlist` reports the instance as running (4th ^-field "running, since ...").
iris_edge::iris_running() {
  local line state
  line="$("$(iris_edge::iris_bin)" qlist "${IRIS_EDGE_INSTANCE}" 2>/dev/null | head -n 1)" || return 1
  IFS='^' read -r _ _ _ state _ <<<"${line}"
  [[ "${state}" == running* ]]
}

# True when something accepts TCP connections on host:port.
iris_edge::port_open() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Waits until IRIS runs and its superserver accepts connections; gives up after $1 seconds.
iris_edge::wait_for_iris() {
  local limit="${1:-900}" start=${SECONDS}
  until iris_edge::iris_running && iris_edge::port_open 127.0.0.1 1972; do
    if ((SECONDS - start >= limit)); then
      return 1
    fi
    sleep 2
  done
}

# True while a restore holds IRIS down: the hold file names the bridge's pid and it still runs.
# (init-iris empties a hold left by an earlier container, whose pids mean nothing here.)
iris_edge::hold_owner_alive() {
  local owner
  owner="$(cat "${IRIS_EDGE_IRIS_HOLD}" 2>/dev/null)" || return 1
  [[ "${owner}" =~ ^[0-9]+$ ]] && kill -0 "${owner}" 2>/dev/null
}

# Reads one option from /data/options.json with a default (jq; bashio is not always loaded).
iris_edge::option() {
  local key="$1" default="$2" value=""
  if [[ -r "${IRIS_EDGE_OPTIONS}" ]]; then
    value="$(jq -r --arg k "${key}" '.[$k] // empty' "${IRIS_EDGE_OPTIONS}" 2>/dev/null || true)"
  fi
  printf '%s\n' "${value:-${default}}"
}

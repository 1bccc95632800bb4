#!/usr/bin/env bash
# One command: a real Home Assistant with the frontend, mosquitto, and the bridge on its IRIS
# simulator, for a person to click through. Prints the URL, username and password; Ctrl-C stops
# everything. Needs root (the Home Assistant chroot). DEMO_HA_PORT picks the HTTP port (8123).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
bash "$HERE/prepare.sh"
command -v mosquitto >/dev/null || { echo "demo: mosquitto is not installed (apt-get install mosquitto)" >&2; exit 1; }
cd "$REPO"
exec node --import tsx "$HERE/demo.ts"

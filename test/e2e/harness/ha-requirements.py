"""Print the pip requirements of the integrations the e2e harness makes Home Assistant load.

Runs with the venv's python inside the chroot, after `homeassistant` itself is installed. It reads
the installed release's own manifests, so the pins (paho-mqtt, hassil, home-assistant-intents,
home-assistant-frontend, ...) are exactly the ones this release asks for, and HA can then run
with --skip-pip.
"""

import json
import sys
from pathlib import Path

import homeassistant
from homeassistant import bootstrap
from homeassistant.const import Platform

COMPONENTS = Path(homeassistant.__file__).parent / "components"

# What home-assistant.ts writes into configuration.yaml (with and without the frontend), the MQTT
# entity platforms a discovery payload can create, and the integrations Assist needs.
CONFIGURED = {
    "homeassistant", "http", "api", "config", "websocket_api", "conversation", "intent",
    "logger", "mqtt", "frontend", "onboarding", "auth",
    "binary_sensor", "button", "event", "number", "select", "sensor", "switch", "text",
    "update", "device_automation", "diagnostics", "tag",
    # aiohttp_fast_zlib warns at every start without isal or zlib_ng.
    "isal",
    # The "Model Context Protocol" integration, added by its config flow (mcp.e2e.test.ts): its
    # client library (mcp, with application_credentials) must be installed for --skip-pip.
    "mcp",
}

wanted = set(CONFIGURED)
# Integrations Home Assistant sets up whatever configuration.yaml says (this release: analytics,
# backup, frontend, every base entity platform, assist_satellite -> assist_pipeline, ...), and all
# base platforms, which bootstrap resolves up front.
for name in ("CORE_INTEGRATIONS", "DEFAULT_INTEGRATIONS"):
    wanted |= set(getattr(bootstrap, name, ()))
wanted |= {platform.value for platform in Platform}

seen: set[str] = set()
requirements: dict[str, None] = {}
todo = sorted(wanted)
while todo:
    domain = todo.pop()
    if domain in seen:
        continue
    seen.add(domain)
    manifest_path = COMPONENTS / domain / "manifest.json"
    if not manifest_path.is_file():
        print(f"ha-requirements: no integration {domain!r} in this release", file=sys.stderr)
        continue
    manifest = json.loads(manifest_path.read_text())
    for req in manifest.get("requirements", []):
        requirements[req] = None
    # after_dependencies too: their modules get imported when present (the MQTT config flow
    # imports hassio, whose client library is aiohasupervisor).
    todo.extend(manifest.get("dependencies", []))
    todo.extend(manifest.get("after_dependencies", []))

print(f"ha-requirements: {len(seen)} integrations, {len(requirements)} requirements",
      file=sys.stderr)
for req in requirements:
    print(req)

"""Create the harness's Home Assistant owner and a long-lived access token, offline.

Runs with /opt/ha/bin/python inside the chroot BEFORE Home Assistant starts on the config dir:
    create-auth.py <config dir> <username> <password>
Prints {"token": "..."} on stdout. Also marks onboarding as done, so the frontend shows the login
page instead of the onboarding wizard.
"""

import asyncio
import inspect
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.core import HomeAssistant

ONBOARDING_STEPS = ["user", "core_config", "analytics", "integration"]


async def main(config_dir: str, username: str, password: str) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    hass = HomeAssistant(config_dir)
    # The auth store looks refresh tokens' devices up in the device registry (HA >= 2026.5); set
    # the registries up when this release has that helper (sync or async depending on release).
    from homeassistant.helpers import device_registry as dr
    from homeassistant.helpers import entity_registry as er

    for registry in (dr, er):
        setup = getattr(registry, "async_setup", None)
        if setup is not None:
            result = setup(hass)
            if inspect.isawaitable(result):
                await result

    hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = hass.auth.auth_providers[0]
    await provider.async_initialize()

    user = await hass.auth.async_create_user(username, group_ids=[GROUP_ID_ADMIN])
    await provider.async_add_auth(username, password)
    credentials = await provider.async_get_or_create_credentials({"username": username})
    await hass.auth.async_link_user(user, credentials)

    refresh_token = await hass.auth.async_create_refresh_token(
        user,
        client_name="iris-edge-e2e",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=3650),
    )
    token = hass.auth.async_create_access_token(refresh_token)

    # Flush every delayed store write (auth, auth_provider.homeassistant) before exiting.
    await hass.async_stop(force=True)

    storage = Path(config_dir) / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "onboarding").write_text(
        json.dumps(
            {"version": 4, "minor_version": 1, "key": "onboarding", "data": {"done": ONBOARDING_STEPS}}
        )
    )
    print(json.dumps({"token": token, "owner": user.is_owner}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))

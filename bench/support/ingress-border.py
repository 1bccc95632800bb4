"""
The panel bench's stand-in for Home Assistant's ingress border, run with the aiohttp of the cached
Home Assistant chroot (bench/panel.ts starts it). It does what decides the bytes a browser gets
behind ingress, as read in home-assistant/core homeassistant/components/hassio/ingress.py and
home-assistant/supervisor supervisor/api/ingress.py:

- Core drops the browser's Accept-Encoding and Sec-WebSocket-Extensions before forwarding;
  aiohttp's client then asks upstream for its own default encodings and decodes the answer, and
  the Supervisor drops Content-Encoding from what it relays. So whatever the add-on compresses is
  undone before the border.
- Core compresses at the border: enable_compression() on any compressible answer over 128 bytes,
  in the coding aiohttp picks from the browser's Accept-Encoding.
- Websockets: the browser side is a default aiohttp WebSocketResponse (compress=True: it accepts
  the browser's permessage-deflate offer); the upstream side is ws_connect without compress, so
  the add-on's feed is never deflated on that hop. Messages are relayed one by one.

Home Assistant's http component switches aiohttp to zlib-ng/isal (aiohttp_fast_zlib); so does this.

usage: python ingress-border.py <upstream base url>; prints "ready <port>" once listening
"""

import asyncio
import sys

import aiohttp
from aiohttp import hdrs, web

try:
    import aiohttp_fast_zlib

    aiohttp_fast_zlib.enable()
except ImportError:
    pass

UPSTREAM = sys.argv[1].rstrip("/")

NOT_FORWARDED = {
    h.lower()
    for h in (
        hdrs.HOST,
        hdrs.CONTENT_LENGTH,
        hdrs.CONTENT_ENCODING,
        hdrs.TRANSFER_ENCODING,
        hdrs.ACCEPT_ENCODING,
        hdrs.SEC_WEBSOCKET_EXTENSIONS,
        hdrs.SEC_WEBSOCKET_PROTOCOL,
        hdrs.SEC_WEBSOCKET_VERSION,
        hdrs.SEC_WEBSOCKET_KEY,
        hdrs.CONNECTION,
        hdrs.UPGRADE,
    )
}
NOT_RELAYED = {h.lower() for h in (hdrs.TRANSFER_ENCODING, hdrs.CONTENT_LENGTH, hdrs.CONTENT_TYPE, hdrs.CONTENT_ENCODING)}


def compressible(content_type: str) -> bool:
    if content_type.startswith("image/"):
        return "svg" in content_type
    if content_type.startswith("application/"):
        return any(k in content_type for k in ("json", "xml", "javascript"))
    return not content_type.startswith(("video/", "audio/", "font/"))


async def relay(source, sink) -> None:
    async for msg in source:
        if msg.type is aiohttp.WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type is aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        elif msg.type is aiohttp.WSMsgType.PING:
            await sink.ping()
        elif msg.type is aiohttp.WSMsgType.PONG:
            await sink.pong()
    if not sink.closed:
        await sink.close()


async def handle(request: web.Request) -> web.StreamResponse:
    session: aiohttp.ClientSession = request.app["session"]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
    url = UPSTREAM + request.rel_url.raw_path_qs
    if request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
        browser = web.WebSocketResponse(autoclose=False, autoping=False)
        await browser.prepare(request)
        async with session.ws_connect(url, headers=headers, autoclose=False, autoping=False) as addon:
            tasks = [asyncio.ensure_future(relay(browser, addon)), asyncio.ensure_future(relay(addon, browser))]
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in pending:
                t.cancel()
        return browser
    async with session.request(request.method, url, headers=headers, data=await request.read(), allow_redirects=False) as r:
        body = await r.read()
        content_type = (r.headers.get(hdrs.CONTENT_TYPE) or "application/octet-stream").partition(";")[0].strip()
        out_headers = {k: v for k, v in r.headers.items() if k.lower() not in NOT_RELAYED}
        if r.status in (204, 304):
            return web.Response(status=r.status, headers=out_headers)
        response = web.Response(status=r.status, headers=out_headers, body=body, content_type=content_type)
        if len(body) > 128 and compressible(content_type):
            response.enable_compression()
        return response


async def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)

    async def session_ctx(a: web.Application):
        a["session"] = aiohttp.ClientSession()
        yield
        await a["session"].close()

    app.cleanup_ctx.append(session_ctx)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"ready {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())

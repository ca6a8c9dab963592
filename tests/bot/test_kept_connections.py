"""Rasa's calls to the action server reuse one open connection (run in Rasa's
environment, ``.venv-rasa``)."""

from __future__ import annotations

import json
import subprocess

from tests.support.stack import RASA_BIN, ROOT

PROBE = r"""
import asyncio, json
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig, ClientResponseError
from bot import kept_connections

async def main():
    peers, seen = [], []
    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        seen.append(request.headers.get("Authorization"))
        body = await request.json()
        if body.get("fail"):
            return web.json_response({"error": "no"}, status=400)
        return web.json_response({"events": [], "echo": body["n"]})
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook",
                              headers={"Authorization": "Bearer t"})

    async def calls():
        del peers[:]
        echoes = [(await endpoint.request(json={"n": n}, method="post"))["echo"]
                  for n in range(5)]
        try:
            await endpoint.request(json={"n": 5, "fail": True}, method="post")
            status = None
        except ClientResponseError as e:
            status = e.status
        echoes.append((await endpoint.request(json={"n": 6}, method="post"))["echo"])
        return {"connections": len(set(peers)), "echoes": echoes, "status": status}

    before = await calls()
    kept_connections.install()
    after = await calls()
    await runner.cleanup()
    return {"before": before, "after": after, "auth": sorted(set(seen))}

print(json.dumps(asyncio.run(main())))
"""


def test_action_calls_reuse_one_connection() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    r = json.loads(result.stdout.strip().splitlines()[-1])
    # Rasa's own: a new connection per call; kept: one for all, errors raised as before.
    assert r["before"]["connections"] == 7
    assert r["after"]["connections"] == 1
    assert r["before"]["echoes"] == r["after"]["echoes"] == [0, 1, 2, 3, 4, 6]
    assert r["before"]["status"] == r["after"]["status"] == 400
    assert r["auth"] == ["Bearer t"]  # the endpoint's headers on every call

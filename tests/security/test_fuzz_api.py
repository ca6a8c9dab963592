"""schemathesis against the app's own OpenAPI: not signed in and as each console role.

Every documented operation gets a bounded number of generated requests (positive and
negative). The check is that no request gets a server error (5xx). ``/api/events`` is fuzzed
too: its address's stream places are taken first, so valid requests get 429 instead of an
endless stream.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.security.conftest import PASSWORD, build_app, security_settings

MAX_EXAMPLES = int(os.environ.get("YINFA_FUZZ_EXAMPLES", "20"))
ROLES = [None, "op1", "officer_a", "admin1", "editor1"]  # None: not signed in
ASGI_CLIENT = "testclient"  # the peer address schemathesis's ASGI client reports


def _without_lifespan(app: Any) -> Any:
    """The app, answering lifespan events itself (Rasa and the model are not started)."""

    async def asgi(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        await app(scope, receive, send)

    return asgi


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, real_retriever: object) -> Iterator[Any]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = build_app(security_settings(tmp), real_retriever)
    gate = app.state.stream_gate
    for _ in range(gate.per_address):
        assert gate.acquire(ASGI_CLIENT) is None
    yield app
    app.state.database.dispose()


@pytest.fixture(scope="module")
def operations(fuzz_app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_dict(fuzz_app.openapi())
    schema.app = _without_lifespan(fuzz_app)
    ops = [result.ok() for result in schema.get_all_operations()]
    # Logout would end the role's session; it is fuzzed not signed in only.
    return ops


@pytest.fixture(scope="module")
def cookies(fuzz_app: Any) -> dict[str | None, dict[str, str]]:
    from fastapi.testclient import TestClient

    jar: dict[str | None, dict[str, str]] = {None: {}}
    client = TestClient(fuzz_app)  # not entered: no lifespan
    for username in ROLES[1:]:
        client.cookies.clear()
        r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        jar[username] = dict(client.cookies)
    return jar


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_server_errors(role: str | None, operations: list[Any], cookies: dict) -> None:  # type: ignore[type-arg]
    """Positive and negative examples of every operation; any 5xx fails the test."""
    calls = 0
    statuses: dict[int, int] = {}
    for operation in operations:
        if role and operation.path == "/api/operator/logout":
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: Any) -> None:
                nonlocal calls
                response = case.call(cookies=cookies[role])
                calls += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path} as {role or 'anonymous'}: "
                    f"{response.status_code} {response.text[:300]}"
                )

            try:
                run()
            except Unsatisfiable:
                # nothing invalid to generate (an operation without parameters or body)
                assert mode is GenerationMode.NEGATIVE
    print(f"{role or 'anonymous'}: {calls} requests, statuses {dict(sorted(statuses.items()))}")
    assert calls >= len(operations) * 2  # the generator did run

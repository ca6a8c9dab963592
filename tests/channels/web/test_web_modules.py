"""The page's script is a set of native ES modules under ``static/js/`` (no build step)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.web import router as web_router

JS_DIR = web_router.STATIC_DIR / "js"
MODULES = sorted(p.name for p in JS_DIR.glob("*.js"))
IMPORT_RE = re.compile(r"""^\s*(?:import|export)\b[^"']*?\bfrom\s+["']([^"']+)["']""", re.M)


@pytest.fixture
def client() -> TestClient:
    """Only the web router: static files need neither settings nor a database."""
    app = FastAPI()
    app.include_router(web_router.router)
    return TestClient(app)


def test_the_page_loads_the_entry_module_only(client: TestClient) -> None:
    html = (web_router.STATIC_DIR / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html)
    assert scripts == ['<script type="module" src="/static/js/main.js">']
    assert client.get("/static/app.js").status_code == 404


@pytest.mark.parametrize("name", MODULES)
def test_every_module_is_served_as_javascript(client: TestClient, name: str) -> None:
    r = client.get(f"/static/js/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "text/javascript"
    assert "https://" not in r.text and "http://" not in r.text


@pytest.mark.parametrize("name", MODULES)
def test_imports_are_local_files_and_modules_stay_small(name: str) -> None:
    source = (JS_DIR / name).read_text(encoding="utf-8")
    for spec in IMPORT_RE.findall(source):
        assert re.fullmatch(r"\./[a-z]+\.js", spec), f"{name}: {spec}"
        assert (JS_DIR / spec[2:]).is_file(), f"{name}: {spec}"
    assert len(source.splitlines()) < 400


def test_every_module_is_reachable_from_main() -> None:
    seen, todo = set(), ["main.js"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [s[2:] for s in IMPORT_RE.findall((JS_DIR / name).read_text(encoding="utf-8"))]
    assert seen == set(MODULES)


def test_module_path_traversal_is_refused(client: TestClient) -> None:
    assert client.get("/static/js/../../router.py").status_code == 404
    assert client.get("/static/js/%2e%2e/%2e%2e/router.py").status_code == 404
    assert client.get("/static/js/..%2f..%2frouter.py").status_code == 404


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize("name", MODULES)
def test_every_module_parses_as_a_module(name: str) -> None:
    source = (JS_DIR / name).read_bytes()
    done = subprocess.run(
        ["node", "--input-type=module", "--check"],
        input=source,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()

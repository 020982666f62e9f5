"""The layer rules of ARCHITECTURE.md, checked by importing each layer in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "csm_tui"


def _modules(layer: str) -> list[str]:
    root = PACKAGE / layer
    return sorted(
        "csm_tui."
        + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for p in root.rglob("*.py")
    )


def _imported_by(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def _forbidden(loaded: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if m.startswith(prefixes))


def test_domain_imports_nothing_else_of_the_package() -> None:
    loaded = _imported_by(_modules("domain"))
    own = {m for m in loaded if m.startswith("csm_tui.")}
    assert {m for m in own if not m.startswith("csm_tui.domain")} == set()
    assert _forbidden(loaded, ("textual", "httpx", "fastapi", "uvicorn", "keyring")) == []


@pytest.mark.parametrize("layer", ["store", "sync", "server"])
def test_store_sync_and_server_never_import_textual(layer: str) -> None:
    assert _forbidden(_imported_by(_modules(layer)), ("textual",)) == []


def test_server_shares_only_domain_and_wire_schemas() -> None:
    loaded = _imported_by(_modules("server"))
    assert (
        _forbidden(
            loaded,
            (
                "csm_tui.store",
                "csm_tui.sync.client",
                "csm_tui.sync.engine",
                "csm_tui.desk",
                "csm_tui.app",
                "csm_tui.screens",
                "csm_tui.widgets",
                "httpx",
            ),
        )
        == []
    )


def test_screens_and_widgets_reach_data_only_through_the_desk() -> None:
    banned = (
        "sqlalchemy",
        "sqlmodel",
        "httpx",
        "csm_tui.store",
        "csm_tui.sync.client",
        "csm_tui.sync.engine",
        "csm_tui.server",
    )
    offenders = []
    for layer in ("screens", "widgets"):
        for path in (PACKAGE / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert offenders == []


def test_importing_the_package_builds_no_engine_or_client() -> None:
    code = (
        "import sys, csm_tui.cli, csm_tui.desk\n"
        "import sqlalchemy.engine.base as b\n"
        "print('httpx' in sys.modules, 'textual.app' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # The CLI defers Textual to the commands that open the desk.
    assert out.stdout.split()[1] == "False"


def test_the_desk_and_its_commands_need_no_orm_or_http_client() -> None:
    # Commands run on the UI thread: they write with plain sqlite3, so the first edit does
    # not pay for importing SQLAlchemy or httpx, and neither does the first paint.
    code = (
        "import sys, csm_tui.desk, csm_tui.store.outbox\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'httpx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The layering the README promises: the core never imports the edge or the doors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "matchsvc"
CORE = [
    "bounds.py",
    "profiles.py",
    "scoring",
    "problem.py",
    "assignment",
    "explain.py",
    "audit.py",
    "learning.py",
    "_learning_kernel.py",
    "pipelines",
]
FORBIDDEN = (
    "fastapi",
    "starlette",
    "pydantic",
    "matchsvc.schemas",
    "matchsvc.service",
    "matchsvc.api",
    "matchsvc.cli",
    "matchsvc.jobs",
    "matchsvc.fileio",
    "matchsvc.engine",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _files(entry: str) -> list[Path]:
    path = SRC / entry
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


@pytest.mark.parametrize("entry", CORE)
def test_the_core_never_imports_the_edge(entry: str) -> None:
    bad = {
        f"{path.relative_to(SRC)}: {name}"
        for path in _files(entry)
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert bad == set()


def test_the_cli_and_the_http_api_do_not_reach_into_each_other() -> None:
    cli = {name for path in [SRC / "cli.py", *_files("fileio")] for name in _imports(path)}
    serve = {"matchsvc.api", "matchsvc.api.create_app"}  # `matchsvc serve` starts the app
    assert not {n for n in cli - serve if n.startswith("matchsvc.api")}
    api = {name for path in _files("api") for name in _imports(path)}
    assert not {n for n in api if n.startswith(("matchsvc.cli", "matchsvc.fileio"))}

"""Shared fixtures. Tests that need the embedded model, a kernel, a server or a browser are marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picoagent.config import Config


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path: Path, runs_dir: Path) -> Config:
    """A config that writes traces into the test's own directory and works in a fresh workspace."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return Config(model="scripted", runs_dir=runs_dir, workspace=workspace)


def action(tool: str, thought: str = "next step", **args) -> str:
    """One JSON action as a model would write it."""
    return json.dumps({"thought": thought, "tool": tool, "args": args})

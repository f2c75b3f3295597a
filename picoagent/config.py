"""Run configuration: one pydantic object with defaults that work; CLI flags and env map onto it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


def default_runs_dir() -> Path:
    return Path(os.environ.get("PICOAGENT_RUNS_DIR") or Path.home() / ".picoagent" / "runs")


class Config(BaseModel):
    model: str = Field(default_factory=lambda: os.environ.get("PICOAGENT_MODEL", "local"))
    # Action format; None means the model's best: json for the embedded model, code over the API.
    actions: str | None = None
    workspace: Path | None = None
    # Tool sets beyond the built-ins, e.g. ["web"]; see picoagent/tools/toolsets.py.
    toolsets: list[str] = Field(default_factory=list)
    runs_dir: Path = Field(default_factory=default_runs_dir)

    # Limits of one run.
    max_steps: int = Field(default=20, ge=1)
    max_total_tokens: int = Field(default=400_000, ge=1)
    max_wall_s: float = Field(default=900.0, gt=0)
    step_max_tokens: int = Field(default=512, ge=16)
    # Consecutive outputs that fail to parse before the run gives up.
    max_format_errors: int = Field(default=3, ge=1)
    # The same action this many times in a row ends the run as stuck (one warning first).
    repeat_limit: int = Field(default=3, ge=2)

    # Execution.
    shell_timeout_s: float = Field(default=30.0, gt=0)
    output_limit_chars: int = Field(default=6000, ge=200)

    # Context: the embedded model's window, and the share of it the transcript may use
    # before old observations are condensed.
    context_tokens: int = Field(default=8192, ge=1024)
    context_fill: float = Field(default=0.75, gt=0.1, le=0.95)

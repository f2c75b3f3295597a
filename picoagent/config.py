"""Run configuration: one pydantic object with defaults that work; CLI flags and env map onto it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

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
    # Tokens one model reply may use: enough for a thought and a bounded argument at one
    # token per character, so a constrained action is never cut off mid-string.
    step_max_tokens: int = Field(default=1024, ge=16)
    # Consecutive outputs that fail to parse before the run gives up.
    max_format_errors: int = Field(default=3, ge=1)
    # The same action this many times in a row ends the run as stuck (one warning first).
    repeat_limit: int = Field(default=3, ge=2)
    # A run about to end at max_steps or stuck gets one more model call, constrained to give
    # the final answer (so `steps` can reach max_steps + 1); it ends answered if that works.
    answer_at_limit: bool = True
    # The critic that reviews an answer before the run ends with it (picoagent/agent/critic.py):
    # off, rules (no model), model (the run's own model) or model:SPEC (another model).
    critic: str = Field(
        default_factory=lambda: os.environ.get("PICOAGENT_CRITIC", "off"), pattern=r"^(off|rules|model(:.+)?)$", validate_default=True
    )
    # Reviews per run at most; the answer rejected by the last one ends the run `rejected`.
    critic_max_reviews: int = Field(default=2, ge=1)

    # Execution.
    # Shell commands and the Python kernel under bubblewrap (picoagent/exec/sandbox.py):
    # "auto" wherever it works, "on" or fail, "off" never.
    sandbox: Literal["auto", "on", "off"] = Field(
        default_factory=lambda: os.environ.get("PICOAGENT_SANDBOX", "auto"), validate_default=True  # a bad env value is an error
    )
    shell_timeout_s: float = Field(default=30.0, gt=0)
    # Each shell command, with everything it starts: address space per process (RLIMIT_AS),
    # CPU seconds per process (RLIMIT_CPU), processes plus threads at once (pids cgroup,
    # else RLIMIT_NPROC).
    shell_memory_mb: int = Field(default=4096, ge=256)
    shell_cpu_s: int = Field(default=60, ge=1)
    shell_max_processes: int = Field(default=128, ge=16)
    # Largest file a shell command or the kernel may write (RLIMIT_FSIZE); also the size of
    # the sandbox's private /tmp.
    max_file_mb: int = Field(default=1024, ge=1)
    output_limit_chars: int = Field(default=6000, ge=200)
    # The code format's Python kernel (one per run). A step longer than the timeout is
    # interrupted; a kernel that ignores the interrupt for the grace period is restarted.
    kernel_timeout_s: float = Field(default=60.0, gt=0)
    kernel_interrupt_grace_s: float = Field(default=3.0, gt=0)
    kernel_start_timeout_s: float = Field(default=30.0, gt=0)
    # Address space per kernel process (RLIMIT_AS) and CPU seconds per kernel lifetime (RLIMIT_CPU).
    kernel_memory_mb: int = Field(default=4096, ge=256)
    kernel_cpu_s: int = Field(default=600, ge=1)
    # Processes plus threads the kernel and its children may have (pids cgroup): stops fork bombs.
    kernel_max_processes: int = Field(default=128, ge=16)

    # Worked examples shown before the task (picoagent/memory/examples.py); None means the
    # model's best: a few for the embedded model, none over the API.
    examples: int | None = Field(default=None, ge=0, le=8)

    # Context: the embedded model's window, and the share of it the transcript may use
    # before old observations are condensed.
    context_tokens: int = Field(default=8192, ge=1024)
    context_fill: float = Field(default=0.75, gt=0.1, le=0.95)

    # Web tools (`--tools web`). Page text is data: it is framed as untrusted in observations.
    web_timeout_s: float = Field(default=20.0, gt=0)
    web_max_bytes: int = Field(default=5_000_000, ge=10_000)
    # Characters of page text per observation: longer pages are split into numbered chunks.
    web_chunk_chars: int = Field(default=4000, ge=500)
    searxng_url: str | None = Field(default_factory=lambda: os.environ.get("PICOAGENT_SEARXNG_URL") or None)
    # The Chromium the browser tools drive; Playwright never downloads its own.
    browser_executable: str = Field(default_factory=lambda: os.environ.get("PICOAGENT_CHROMIUM", "chromium"))

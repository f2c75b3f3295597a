"""Run configuration: one pydantic object with defaults that work.

Flags, env and config files map onto it (load_config): a flag beats env, env beats a
file, the project's picoagent.toml beats the user's ~/.config/picoagent/config.toml.
"""

from __future__ import annotations

import os
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from picoagent.errors import ConfigError


def default_runs_dir() -> Path:
    return Path(os.environ.get("PICOAGENT_RUNS_DIR") or Path.home() / ".picoagent" / "runs")


class Config(BaseModel):
    model: str = Field(default_factory=lambda: os.environ.get("PICOAGENT_MODEL", "local"))
    # Action format; None means the model's best: json for the embedded model, code over the API.
    actions: str | None = None
    # Where the agent works. None or "fresh": a new empty folder beside the run's trace. The
    # CLI and the Python API default to the current directory (load_config).
    workspace: Path | Literal["fresh"] | None = None
    # Built-in tools the run gets, by name (BUILTIN_TOOLS); None means all of them.
    # final_answer is always there: it is how a run ends.
    builtin_tools: list[str] | None = None
    # Tool sets beyond the built-ins, e.g. ["web"]; see picoagent/tools/toolsets.py.
    toolsets: list[str] = Field(default_factory=list)
    runs_dir: Path = Field(default_factory=default_runs_dir)
    # MCP servers whose tools the run gets (`--mcp`, picoagent/tools/mcp.py): a command line,
    # started over stdio, or an http(s) URL. Each is shut down when the run (or chat) ends.
    mcp: list[str] = Field(default_factory=list)
    # Seconds an MCP server may take to start and list its tools, and a tool call at most.
    mcp_timeout_s: float = Field(default=60.0, gt=0)
    # OpenTelemetry spans of each run over OTLP/HTTP (`--otel`, picoagent/trace/otel.py); on
    # when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set.
    otel: bool = Field(default_factory=lambda: bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")))

    # Read timeout of one request to an OpenAI-compatible server (a run's deadline still
    # cuts it shorter). Slow servers on long prompts need more than the default.
    api_timeout_s: float = Field(default=120.0, gt=0)

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

    # Planning formats (picoagent/actions/plan.py, dag.py). The model that writes a plan
    # step's arguments in `--actions plan`; None: the run's own model (on the embedded
    # backend, a second context on the same weights, so each keeps its own KV cache).
    caller_model: str | None = None
    # Invalid argument objects the caller may write for one step before the step fails.
    caller_attempts: int = Field(default=3, ge=1, le=10)
    # `--actions dag`: calls one reply may plan, and how many of them run at once.
    dag_max_calls: int = Field(default=8, ge=1, le=32)
    dag_workers: int = Field(default=4, ge=1, le=32)

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

    # `picoagent serve` (picoagent/server/): where it listens, the token that any address but
    # loopback requires (checked on every request), runs in flight at once, and where eval
    # results (directories `picoagent eval --out` wrote) are found.
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8765, ge=0, le=65535)
    serve_token: str | None = Field(default_factory=lambda: os.environ.get("PICOAGENT_SERVE_TOKEN") or None)
    serve_workers: int = Field(default=2, ge=1, le=32)
    evals_dir: Path = Field(default_factory=lambda: Path(os.environ.get("PICOAGENT_EVALS_DIR") or "eval-results"))
    @field_validator("builtin_tools")
    @classmethod
    def _known_builtins(cls, names: list[str] | None) -> list[str] | None:
        unknown = [name for name in names or () if name not in BUILTIN_TOOLS]
        if unknown:
            raise ValueError(f"unknown built-in tool {unknown[0]!r}: choose from {', '.join(BUILTIN_TOOLS)}")
        return names


# The built-in tools a run can choose from (picoagent/tools/builtin.py); final_answer is always on.
BUILTIN_TOOLS = ("shell", "read_file", "write_file", "edit_file")

PROJECT_FILE = "picoagent.toml"
ENV_PREFIX = "PICOAGENT_"
# Settings whose env name came before the PICOAGENT_<SETTING> rule.
ENV_NAMES = {"browser_executable": "PICOAGENT_CHROMIUM"}


def env_name(setting: str) -> str:
    return ENV_NAMES.get(setting, ENV_PREFIX + setting.upper())


def user_config_file() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "picoagent" / "config.toml"


def config_files(cwd: Path | None = None) -> list[Path]:
    """The config files that exist, weakest first: the user's, then the project's."""
    candidates = [user_config_file(), Path(cwd or Path.cwd()) / PROJECT_FILE]
    return [path for path in candidates if path.is_file()]


def _takes_path(annotation: Any) -> bool:
    return annotation is Path or any(_takes_path(arg) for arg in typing.get_args(annotation))


def _takes_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or (
        typing.get_origin(annotation) in (typing.Union, types.UnionType) and any(_takes_list(arg) for arg in typing.get_args(annotation))
    )


def _read_file(path: Path) -> dict[str, Any]:
    """A config file's settings; paths in it are relative to its folder. One-line errors."""
    import difflib
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    settings: dict[str, Any] = {}
    for key, value in data.items():
        field = Config.model_fields.get(key)
        if field is None:
            close = difflib.get_close_matches(key, Config.model_fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else "; `picoagent config show` lists them"
            raise ConfigError(f"{path}: unknown setting {key!r}{hint}")
        if isinstance(value, str) and value != "fresh" and _takes_path(field.annotation):
            value = str(path.parent / Path(value).expanduser())
        settings[key] = value
    return settings


def _from_env() -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, field in Config.model_fields.items():
        value = os.environ.get(env_name(key))
        if value:  # an empty variable counts as unset
            settings[key] = [item.strip() for item in value.split(",") if item.strip()] if _takes_list(field.annotation) else value
    return settings


def load_config(flags: dict[str, Any] | None = None, *, cwd: Path | None = None) -> tuple[Config, dict[str, str]]:
    """The effective Config, and where each setting came from ("flag", "env NAME", a file, "default").

    Flags (None values are flags not given) beat env, env beats the project's picoagent.toml,
    which beats the user's config file. Unless something sets it, the workspace is the
    current directory. Any bad value is one ConfigError naming its source.
    """
    cwd = Path(cwd or Path.cwd())
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers = [(str(path), _read_file(path)) for path in config_files(cwd)]
    layers.append(("env", _from_env()))
    layers.append(("flag", {key: value for key, value in (flags or {}).items() if value is not None}))
    for origin, settings in layers:
        for key, value in settings.items():
            values[key] = value
            sources[key] = f"env {env_name(key)}" if origin == "env" else origin
    if "workspace" not in values:
        values["workspace"], sources["workspace"] = cwd, "default: the current directory"
    try:
        config = Config(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "settings"
        source = sources.get(key, "default")
        where = "option" if source == "flag" else "setting"
        origin = "" if source in ("flag", "default") else f" ({source})"
        raise ConfigError(f"invalid {where} {key}{origin}: {first['msg'].removeprefix('Value error, ')}") from None
    return config, {key: sources.get(key, "default") for key in Config.model_fields}

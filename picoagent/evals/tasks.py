"""Eval tasks: the schema of a task, and loading suites of them from YAML files and Python modules.

The format is documented in docs/evals.md; this module is its single source of truth.
A suite is a directory: every top-level `*.yaml`/`*.yml` file holds one task or a list,
every top-level `*.py` file that defines `TASKS` holds tasks with their own Python tools.
Subdirectories hold data the tasks copy into their workspaces.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from picoagent.actions.json_format import THOUGHT_MAX
from picoagent.errors import ConfigError

SUITES_DIR = Path(__file__).parent / "suites"
TASK_ID = r"[a-z0-9][a-z0-9_.-]*"


class _Strict(BaseModel):
    # A typo in a task file must be an error, not a silently ignored key.
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Limits(_Strict):
    max_steps: int = Field(default=15, ge=1)
    timeout: float = Field(default=300.0, gt=0, description="seconds for the whole task, model calls included")


class Commit(_Strict):
    message: str
    files: dict[str, str] = Field(default_factory=dict)
    delete: list[str] = Field(default_factory=list)


class Setup(_Strict):
    """How a fresh workspace is prepared, in this order: repo, copy, files, commands, fixture."""

    repo: list[Commit] = Field(default_factory=list, description="commits of a git repository built in the workspace")
    copy_: list[str] = Field(default_factory=list, alias="copy", description="paths relative to the task file, copied in")
    files: dict[str, str] = Field(default_factory=dict)
    commands: list[str] = Field(default_factory=list)
    fixture: str | None = Field(default=None, description="'file.py:function' or 'package.module:function'")


class AnswerCheck(_Strict):
    type: Literal["answer"]
    expected: str | list[str]
    match: Literal["exact", "normalized", "contains"] = "normalized"


class NumericCheck(_Strict):
    type: Literal["numeric"]
    expected: float
    tolerance: float = Field(default=1e-6, ge=0)


class RegexCheck(_Strict):
    type: Literal["regex"]
    pattern: str


class FileCheck(_Strict):
    type: Literal["file"]
    path: str
    equals: str | None = None
    contains: str | None = None
    not_contains: str | None = None
    regex: str | None = None


class CommandCheck(_Strict):
    type: Literal["command"]
    run: str
    exit_code: int = 0
    timeout: float = Field(default=120.0, gt=0)


class UnchangedCheck(_Strict):
    type: Literal["unchanged"]
    paths: list[str]


class JudgeCheck(_Strict):
    type: Literal["judge"]
    rubric: str


class PythonCheck(_Strict):
    """Only in Python task modules: function(answer, workspace) -> bool or (bool, detail)."""

    type: Literal["python"]
    function: Callable[[str | None, Path], Any]


Check = Annotated[
    AnswerCheck | NumericCheck | RegexCheck | FileCheck | CommandCheck | UnchangedCheck | JudgeCheck | PythonCheck,
    Field(discriminator="type"),
]


class ReferenceStep(_Strict):
    """One format-neutral tool call of a reference solution, as the model would write it.

    Mirrors memory.examples.ExampleStep without the observation: replaying the step with
    the real tools produces it. `expect_error` marks a deliberate mistake (a wrong path, a
    wrong column) that the next steps repair; the step must then fail (see reference.py).
    """

    thought: str = Field(min_length=1, max_length=THOUGHT_MAX)
    tool: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)
    expect_error: bool = False


class Reference(_Strict):
    """A known-good solution: the checker tests run it and expect every check to pass.

    Either shell `commands` (and/or a `patch`), or `steps`: tool calls replayed with the
    built-in tools, the last one calling final_answer, whose argument is the answer.
    """

    patch: str | None = Field(default=None, description="a unified diff applied with `git apply`")
    commands: list[str] = Field(default_factory=list)
    answer: str | None = Field(default=None, description="default: the last command's standard output, stripped")
    steps: list[ReferenceStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _steps_stand_alone(self) -> Reference:
        if not self.steps:
            return self
        if self.patch or self.commands or self.answer is not None:
            raise ValueError("a reference has either steps or commands/patch/answer, not both")
        finals = [index for index, step in enumerate(self.steps) if step.tool == "final_answer"]
        if finals != [len(self.steps) - 1]:
            raise ValueError("the last reference step, and only the last, must call final_answer")
        return self


class Task(_Strict):
    id: Annotated[str, Field(pattern=f"^{TASK_ID}$")]
    instruction: str = Field(min_length=1)
    toolsets: list[str] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    setup: Setup = Field(default_factory=Setup)
    checks: list[Check] = Field(min_length=1)
    reference: Reference | None = None
    # Python task modules only: workspace -> tool functions for one run (fresh state each run).
    tools: Callable[[Path], list[Callable[..., Any]]] | None = None
    # Filled in by the loader.
    suite: str = ""
    source: Path = Path()

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"


def _parse_task(data: Any, suite: str, source: Path) -> Task:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a task must be a mapping, got {type(data).__name__}")
    try:
        return Task.model_validate({**data, "suite": suite, "source": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{source}: task {data.get('id', '?')!r}: {where}: {first['msg']}") from None


def _yaml_tasks(path: Path, suite: str) -> list[Task]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return [_parse_task(item, suite, path) for item in items if item is not None]


def import_file(path: Path) -> Any:
    """Import a Python file from a suite directory under a name no other suite uses."""
    name = "picoagent_eval_" + re.sub(r"\W", "_", str(path.resolve().with_suffix("")))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(f"{path}: failed to import: {type(exc).__name__}: {exc}") from None
    return module


def _python_tasks(path: Path, suite: str) -> list[Task]:
    module = import_file(path)
    items = getattr(module, "TASKS", None)
    if items is None:  # a helper module (fixtures, tools) the tasks refer to
        return []
    return [_parse_task(item, suite, path) for item in items]


def load_suite(directory: Path, name: str | None = None) -> list[Task]:
    """Every task of a suite directory, in file order; ids must be unique within the suite."""
    suite = name or directory.name
    tasks: list[Task] = []
    for path in sorted(directory.iterdir()):
        if path.suffix in (".yaml", ".yml"):
            tasks.extend(_yaml_tasks(path, suite))
        elif path.suffix == ".py" and not path.name.startswith("_"):
            tasks.extend(_python_tasks(path, suite))
    seen: dict[str, Path] = {}
    for task in tasks:
        if task.id in seen:
            raise ConfigError(f"suite {suite!r}: task id {task.id!r} is defined twice ({seen[task.id].name} and {task.source.name})")
        seen[task.id] = task.source
    if not tasks:
        raise ConfigError(f"no tasks in {directory}: expected *.yaml files or *.py modules defining TASKS")
    return tasks


def builtin_suites() -> list[str]:
    return sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def resolve_suite(spec: str) -> tuple[str, list[Task]]:
    """A built-in suite name, a suite directory, or a single task file."""
    path = Path(spec)
    if path.is_dir():
        return path.resolve().name, load_suite(path)
    if path.is_file() and path.suffix in (".yaml", ".yml", ".py"):
        suite = path.resolve().parent.name
        tasks = _yaml_tasks(path, suite) if path.suffix != ".py" else _python_tasks(path, suite)
        if not tasks:
            raise ConfigError(f"no tasks in {path}")
        return suite, tasks
    if (SUITES_DIR / spec).is_dir() and "/" not in spec:
        return spec, load_suite(SUITES_DIR / spec, spec)
    raise ConfigError(f"no suite {spec!r}: give a built-in suite ({', '.join(builtin_suites())}), a directory or a task file")


def load_tasks(specs: list[str], only: list[str] | None = None) -> list[Task]:
    """The tasks of several suites, optionally only those whose id or suite/id matches a glob."""
    import fnmatch

    tasks: list[Task] = []
    seen_suites: set[str] = set()
    for spec in specs:
        suite, suite_tasks = resolve_suite(spec)
        if suite in seen_suites:
            raise ConfigError(f"suite {suite!r} is given twice")
        seen_suites.add(suite)
        tasks.extend(suite_tasks)
    if only:
        tasks = [t for t in tasks if any(fnmatch.fnmatch(t.id, p) or fnmatch.fnmatch(t.key, p) for p in only)]
        if not tasks:
            raise ConfigError(f"no task matches {', '.join(only)}")
    return tasks

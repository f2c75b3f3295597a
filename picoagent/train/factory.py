"""The task factory: eval-format tasks with reference steps, generated from a seed, for training.

Each family writes tasks of one kind (files, CSV, SQLite, a Python bug, ...) from a seeded
random generator: names, contents, column orders, values, the instruction's wording and the
answer form all vary, so a family yields thousands of distinct tasks. Every task is a regular
eval Task (setup, checks, reference steps), so `picoagent eval verify` checks it like any
suite, and the reference steps, replayed through the real loop, become training trajectories.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from picoagent.errors import ConfigError
from picoagent.evals.tasks import Task
from picoagent.train.builder import Draft
from picoagent.train.families import code, data, docs, files, sqlite, system, text


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    make: Callable[[random.Random], Draft]


_FAMILY_LIST = [
    Family("files", "files and folders: find, count, sizes, which file (of one type) holds a word, renaming by extension", files.files),
    Family("text", "counting and text: grep, sed, awk, sort, uniq; distinct lines into a new file", text.text),
    Family("csv", "CSV files: sums, groups, distinct values, filtered copies", data.csv),
    Family("json", "JSON files with jq: fields, counts, sums (also over nested lists), maxima, conversion to CSV", data.json_data),
    Family("sqlite", "SQLite databases of two or four tables, schema first, with the sqlite3 CLI: filters, joins, groups", sqlite.sqlite),
    Family("logs", "application and access logs: levels, status codes, addresses, times", system.logs),
    Family("archives", "tar, gzip and zip: list, count, read one member, create, extract", system.archives),
    Family("permissions", "file modes: find, read, set, make executable and run", system.permissions),
    Family("processes", "exit codes, timeout, environment variables, stdout and stderr, background jobs", system.processes),
    Family("git", "a repository's history: commits, who added what, earlier values, restoring a file", code.git_history),
    Family("write-file", "writing a file to a spec: lines, JSON, CSV, an executable script", code.write_spec),
    Family("config-edit", "changing one setting of an INI, env, YAML or TOML file, read first", code.config_edit),
    Family("python-fix", "fixing a Python bug until python3 -m unittest passes, tests untouched", code.python_fix),
    Family("documents", "questions over a folder of documents: search for the fact, or sum a stock list among them", docs.documents),
    Family("multi-step", "two skills in a row: find a file then count in it, unpack an archive then sum a CSV inside", docs.multi_step),
]
FAMILIES: dict[str, Family] = {family.name: family for family in _FAMILY_LIST}


def _task(family: str, seed: int, number: int, draft: Draft) -> Task:
    data = {
        "id": f"{family}-s{seed}-{number}",
        "instruction": draft.instruction,
        "limits": {"max_steps": draft.max_steps},
        "setup": {"repo": draft.repo, "files": draft.files, "commands": draft.commands},
        "checks": draft.checks,
        "reference": {"steps": draft.steps},
        "suite": family,
    }
    try:
        return Task.model_validate(data)
    except ValueError as exc:  # a family wrote an invalid task: a bug in the factory, said plainly
        raise ConfigError(f"family {family!r} wrote an invalid task (seed {seed}, number {number}): {exc}") from None


def generate_tasks(families: list[str] | None, count: int, seed: int) -> list[Task]:
    """`count` tasks spread evenly over the families (None: all), the same ones for the same seed.

    Task i goes to family i mod len(families); each task has its own generator seeded by
    (family, seed, number), so adding families or raising `count` keeps the earlier tasks.
    """
    names = list(FAMILIES) if families is None else list(dict.fromkeys(families))
    unknown = [name for name in names if name not in FAMILIES]
    if unknown:
        raise ConfigError(f"unknown task families: {', '.join(unknown)} (known: {', '.join(FAMILIES)})")
    if not names:
        raise ConfigError("no task families given")
    tasks = []
    for index in range(count):
        name = names[index % len(names)]
        number = index // len(names)
        rng = random.Random(f"{name}/{seed}/{number}")
        tasks.append(_task(name, seed, number, FAMILIES[name].make(rng)))
    return tasks


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (file contents) as literal blocks, so a task file reads like a hand-written one."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) and " \n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def task_data(task: Task) -> dict:
    """A task as the mapping a suite's YAML file holds (what load_suite reads back)."""
    return task.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"suite", "source", "tools"})


def write_suites(tasks: list[Task], directory: Path) -> list[Path]:
    """One suite per family: `directory/<family>/tasks.yaml`, loadable by load_suite and `eval verify`."""
    by_family: dict[str, list[Task]] = {}
    for task in tasks:
        by_family.setdefault(task.suite, []).append(task)
    paths = []
    for family, family_tasks in by_family.items():
        path = directory / family / "tasks.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.dump([task_data(task) for task in family_tasks], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths

"""An eval's results directory: results.jsonl (one line per finished task run) and meta.json.

Lines are appended and flushed as runs finish, so a killed eval loses only the runs in
flight; re-running the same command reads the file and skips what is done.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from picoagent.errors import ConfigError

RESULTS_NAME = "results.jsonl"
META_NAME = "meta.json"
# Statuses that say nothing about the agent (server down, broken setup): retried on resume.
RETRY_STATUSES = {"error", "model_error"}
# What must match for new results to join old ones in the same directory.
META_KEYS = ("model", "actions", "max_steps", "timeout", "critic", "reflect")
# What a key missing from an older meta.json meant then.
META_DEFAULTS = {"critic": "off", "reflect": False}


def record_key(record: dict[str, Any]) -> tuple[str, int]:
    return f"{record['suite']}/{record['task']}", int(record["run"])


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a results file or directory; a later line for the same (task, run) wins."""
    file = Path(path)
    if file.is_dir():
        file = file / RESULTS_NAME
    if not file.is_file():
        raise ConfigError(f"no results at {path}: expected a results directory or {RESULTS_NAME}")
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            latest[record_key(record)] = record
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a line torn by a kill mid-write
    return list(latest.values())


class ResultsDir:
    def __init__(self, path: Path, meta: dict[str, Any]):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.file = self.path / RESULTS_NAME
        self.meta = self._check_meta(meta)
        self._lock = threading.Lock()

    def _check_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        meta_file = self.path / META_NAME
        if meta_file.is_file():
            old = json.loads(meta_file.read_text())
            differs = [k for k in META_KEYS if old.get(k, META_DEFAULTS.get(k)) != meta.get(k, META_DEFAULTS.get(k))]
            if differs:
                what = ", ".join(f"{k} was {old.get(k)!r}, now {meta.get(k)!r}" for k in differs)
                raise ConfigError(f"{self.path} holds results of a different setup ({what}): use another --out")
            meta = {**old, "suites": sorted(set(old.get("suites", [])) | set(meta.get("suites", [])))}
        meta_file.write_text(json.dumps(meta, indent=2))
        return meta

    def finished(self) -> set[tuple[str, int]]:
        """(suite/task, run) pairs that need no re-run."""
        if not self.file.is_file():
            return set()
        return {record_key(r) for r in read_records(self.file) if r.get("status") not in RETRY_STATUSES}

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock, self.file.open("ab+") as file:
            # A kill mid-write can leave a torn last line; start ours on a fresh one.
            end = file.seek(0, 2)
            if end > 0:
                file.seek(end - 1)
                if file.read(1) != b"\n":
                    line = b"\n" + line
            file.write(line)
            file.flush()

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.file) if self.file.is_file() else []

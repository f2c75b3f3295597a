"""Checkers: decide whether a finished task passed, from its answer and its workspace."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from picoagent.answers import normalize, numbers_in
from picoagent.evals.tasks import (
    AnswerCheck,
    Check,
    CommandCheck,
    FileCheck,
    JudgeCheck,
    NumericCheck,
    PythonCheck,
    RegexCheck,
    Task,
    UnchangedCheck,
)
from picoagent.evals.workspace import run_command
from picoagent.models.base import Constraint, Model

JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"reason": {"type": "string", "maxLength": 400}, "verdict": {"enum": ["pass", "fail"]}},
    "required": ["reason", "verdict"],
}


@dataclass
class CheckResult:
    type: str
    passed: bool
    detail: str = ""
    # Only a judge check can be skipped (no --judge model); a skipped check does not pass.
    skipped: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _answer(check: AnswerCheck, answer: str | None) -> CheckResult:
    if answer is None:
        return CheckResult(check.type, False, "no answer")
    expected = [check.expected] if isinstance(check.expected, str) else check.expected
    if check.match == "exact":
        ok = answer.strip() in [e.strip() for e in expected]
    elif check.match == "normalized":
        ok = normalize(answer) in [normalize(e) for e in expected]
    else:  # contains: the expected text as a whole word or phrase, ignoring case
        ok = any(re.search(rf"(?<!\w){re.escape(normalize(e))}(?!\w)", normalize(answer)) for e in expected)
    return CheckResult(check.type, ok, f"expected {check.match} {expected!r}, got {answer[:200]!r}")


def _numeric(check: NumericCheck, answer: str | None) -> CheckResult:
    if answer is None:
        return CheckResult(check.type, False, "no answer")
    found = numbers_in(answer)
    # One number in the answer, or several that all agree: "7" and "7 lines" pass, "1 2 3 ... 9" does not.
    ok = bool(found) and len(set(found)) == 1 and abs(found[0] - check.expected) <= check.tolerance
    return CheckResult(check.type, ok, f"expected {check.expected} ± {check.tolerance}, got {answer[:200]!r}")


def _regex(check: RegexCheck, answer: str | None) -> CheckResult:
    ok = answer is not None and re.search(check.pattern, answer) is not None
    return CheckResult(check.type, ok, f"pattern {check.pattern!r} against {(answer or '')[:200]!r}")


def _strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _file(check: FileCheck, workspace: Path) -> CheckResult:
    path = workspace / check.path
    if not path.is_file():
        return CheckResult(check.type, False, f"{check.path} does not exist")
    text = path.read_text(encoding="utf-8", errors="replace")
    problems = []
    if check.equals is not None and _strip_lines(text) != _strip_lines(check.equals):
        problems.append(f"content differs from the expected {len(check.equals)} characters")
    if check.contains is not None and check.contains not in text:
        problems.append(f"does not contain {check.contains!r}")
    if check.not_contains is not None and check.not_contains in text:
        problems.append(f"still contains {check.not_contains!r}")
    if check.regex is not None and re.search(check.regex, text, re.MULTILINE) is None:
        problems.append(f"does not match {check.regex!r}")
    return CheckResult(check.type, not problems, f"{check.path}: " + ("; ".join(problems) or "ok"))


def _command(check: CommandCheck, workspace: Path) -> CheckResult:
    done = run_command(check.run, workspace, timeout=check.timeout)
    tail = (done.stdout + done.stderr).strip()[-300:]
    return CheckResult(check.type, done.returncode == check.exit_code, f"{check.run!r} exited {done.returncode} (want {check.exit_code}): {tail}")


def _unchanged(check: UnchangedCheck, workspace: Path, before: dict[str, str | None]) -> CheckResult:
    changed = []
    for relative in check.paths:
        path = workspace / relative
        now = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        if now != before.get(relative):
            changed.append(relative)
    return CheckResult(check.type, not changed, f"changed: {', '.join(changed)}" if changed else "unchanged")


def _python(check: PythonCheck, answer: str | None, workspace: Path) -> CheckResult:
    try:
        verdict = check.function(answer, workspace)
    except Exception as exc:  # a checker crashing on a strange answer is a failed check
        return CheckResult(check.type, False, f"checker raised {type(exc).__name__}: {exc}")
    ok, detail = verdict if isinstance(verdict, tuple) else (verdict, "")
    return CheckResult(check.type, bool(ok), str(detail))


def _judge(check: JudgeCheck, task: Task, answer: str | None, judge: Model | None) -> CheckResult:
    if judge is None:
        return CheckResult(check.type, False, "skipped: the LLM judge is off (use --judge MODEL)", skipped=True)
    if answer is None:
        return CheckResult(check.type, False, "no answer")
    prompt = (
        "You grade an assistant's answer against a rubric. Reply with JSON: a short reason, then a verdict "
        '"pass" or "fail".\n\n'
        f"Task:\n{task.instruction}\n\nRubric:\n{check.rubric}\n\nAnswer:\n{answer[:4000]}"
    )
    completion = judge.complete([{"role": "user", "content": prompt}], constraint=Constraint(schema=JUDGE_SCHEMA), max_tokens=300)
    try:
        verdict = json.loads(completion.text)["verdict"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return CheckResult(check.type, False, f"judge ({judge.name}) gave no verdict: {completion.text[:200]!r}")
    return CheckResult(check.type, verdict == "pass", f"judge {judge.name}: {completion.text[:300]}")


def run_check(check: Check, task: Task, answer: str | None, workspace: Path, before: dict[str, str | None], judge: Model | None) -> CheckResult:
    if isinstance(check, AnswerCheck):
        return _answer(check, answer)
    if isinstance(check, NumericCheck):
        return _numeric(check, answer)
    if isinstance(check, RegexCheck):
        return _regex(check, answer)
    if isinstance(check, FileCheck):
        return _file(check, workspace)
    if isinstance(check, CommandCheck):
        return _command(check, workspace)
    if isinstance(check, UnchangedCheck):
        return _unchanged(check, workspace, before)
    if isinstance(check, PythonCheck):
        return _python(check, answer, workspace)
    return _judge(check, task, answer, judge)


def check_task(task: Task, answer: str | None, workspace: Path, before: dict[str, str | None], judge: Model | None = None) -> list[CheckResult]:
    """Every check of the task; the task passes when all of them pass."""
    return [run_check(check, task, answer, workspace.resolve(), before, judge) for check in task.checks]

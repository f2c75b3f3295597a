"""The rules critic measured: it must accept every right answer, and how many wrong ones it catches.

1. Reference answers: every task of every shipped suite is solved by its reference solution
   in a fresh workspace. The rules critic reviews that answer with what the solution saw
   (each step's or command's output) and the worked examples the embedded model would be
   shown. Rejections must be 0; any is listed.
2. Recorded answers (`--results DIR...`, eval results directories): each run that ended with
   an answer is reviewed again from its trace, as the loop would have reviewed it. Wrong
   answers rejected are catches; right answers rejected are false rejections.
3. Cost (`--results` of evals run with `--critic rules`): pass rate, steps, tokens and
   statuses per results directory, to set beside the same eval without the critic.

No model runs here: part 2 and 3 read traces an eval wrote. Example (one suite, both ways):

    .venv/bin/picoagent eval terminal --task 'json-*' --out /tmp/crit-off
    .venv/bin/picoagent eval terminal --task 'json-*' --critic rules --out /tmp/crit-rules
    .venv/bin/python benchmarks/bench_critic.py --results /tmp/crit-off /tmp/crit-rules
"""

from __future__ import annotations

import argparse
import json
import statistics
import string
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from picoagent.agent.critic import Evidence, RulesCritic
from picoagent.errors import PicoagentError
from picoagent.evals.reference import replay_steps
from picoagent.evals.results import read_records
from picoagent.evals.tasks import Task, builtin_suites, load_tasks
from picoagent.evals.workspace import prepared, run_command
from picoagent.memory.examples import default_library
from picoagent.trace.recorder import read_events

BUILTIN_TOOLS = ("shell", "read_file", "write_file", "edit_file", "final_answer")
EMBEDDED_EXAMPLES = 2


def reference_evidence(task: Task) -> tuple[Evidence, str | None]:
    """What the reference solution saw and the answer it gave, from a fresh workspace."""
    reference = task.reference
    assert reference is not None
    with tempfile.TemporaryDirectory(prefix="bench-critic-") as tmp:
        workspace = Path(tmp).resolve()
        with prepared(task, workspace) as variables:
            instruction = string.Template(task.instruction).safe_substitute(variables)
            examples = default_library().select(instruction, EMBEDDED_EXAMPLES, tools=BUILTIN_TOOLS)
            evidence = Evidence(instruction, examples=examples)
            if reference.steps:
                observations = replay_steps(task, workspace)
                for step, observation in zip(reference.steps[:-1], observations):
                    evidence.steps.append((json.dumps({"tool": step.tool, "args": step.args}, sort_keys=True), observation.text))
                return evidence, observations[-1].final_answer
            if reference.patch:
                (workspace / ".reference.patch").write_text(reference.patch)
                run_command("git apply .reference.patch && rm .reference.patch", workspace)
            stdout = None
            for command in reference.commands:
                stdout = run_command(command, workspace).stdout
                evidence.steps.append((command, stdout))
            answer = reference.answer if reference.answer is not None else (stdout.strip() if stdout is not None else None)
            return evidence, answer


def review_references() -> int:
    critic = RulesCritic()
    reviewed = 0
    unanswered: list[str] = []
    rejected: list[tuple[str, str, str]] = []
    for task in load_tasks(builtin_suites()):
        if task.reference is None:
            unanswered.append(task.key)
            continue
        try:
            evidence, answer = reference_evidence(task)
        except PicoagentError as exc:  # a reference that needs a tool set the replay lacks
            unanswered.append(f"{task.key} (not replayed: {str(exc)[:60]})")
            continue
        if not answer:  # a task that changes files: its reference gives no answer to review
            unanswered.append(task.key)
            continue
        if not evidence.steps:  # an answer-only reference (custom tools, web pages): no run to review it against
            unanswered.append(f"{task.key} (answer-only reference)")
            continue
        reviewed += 1
        verdict = critic.verdict(evidence, answer)
        if not verdict.accept:
            rejected.append((task.key, answer, verdict.critique))
    print(f"reference answers reviewed: {reviewed}; rejected: {len(rejected)} (must be 0)")
    for key, answer, critique in rejected:
        print(f"  REJECTED {key}: {answer!r}: {critique}")
    print(f"tasks whose reference gives no answer (file changes), gives only the answer, or cannot be replayed: {len(unanswered)}")
    return len(rejected)


def trace_evidence(events: list[dict[str, Any]]) -> tuple[Evidence, str | None]:
    """The evidence the loop had when the run gave its final answer, rebuilt from its trace."""
    start = next(event for event in events if event["type"] == "run_start")
    by_task = {example.task: example for example in default_library().examples}
    evidence = Evidence(start["task"], examples=[by_task[task] for task in start.get("examples", []) if task in by_task])
    answer = None
    for step in (event for event in events if event["type"] == "step"):
        action, observation = step.get("action"), step.get("observation")
        if action is None or observation is None:
            continue
        if "final_answer" in observation:
            answer = observation["final_answer"]
            break
        key = action["code"].strip() if action["kind"] == "code" else json.dumps({"tool": action["tool"], "args": action["args"]}, sort_keys=True, default=str)
        evidence.steps.append((key, observation["text"]))
    return evidence, answer


def review_recorded(directory: Path) -> None:
    critic = RulesCritic()
    counts: Counter[tuple[bool, bool, bool]] = Counter()  # (passed, forced, rejected)
    reasons: Counter[str] = Counter()
    for record in read_records(directory):
        trace = record.get("trace_path")
        if record.get("answer") is None or not trace or not Path(trace).is_file():
            continue
        evidence, answer = trace_evidence(read_events(Path(trace)))
        if answer is None:
            continue
        verdict = critic.verdict(evidence, answer)
        counts[(bool(record["passed"]), bool(record.get("last_call")), not verdict.accept)] += 1
        if not verdict.accept:
            reasons[verdict.critique.split(".")[0][:50]] += 1

    def total(passed: bool, forced: bool | None = None, rejected: bool | None = None) -> int:
        return sum(n for (p, f, r), n in counts.items() if p == passed and forced in (None, f) and rejected in (None, r))

    print(f"{directory}: answers reviewed again from their traces")
    print(f"  wrong answers: {total(False)}, rejected (caught): {total(False, rejected=True)}"
          f" (forced by the last call: {total(False, True)}, caught {total(False, True, True)})")
    print(f"  right answers: {total(True)}, rejected (false rejections): {total(True, rejected=True)}")
    for reason, count in reasons.most_common():
        print(f"    {count} x {reason}")


def cost(directory: Path) -> None:
    records = read_records(directory)
    if not records:
        return
    meta_file = directory / "meta.json"
    critic = json.loads(meta_file.read_text()).get("critic", "off") if meta_file.is_file() else "?"
    statuses = Counter(record["status"] for record in records)
    print(
        f"{directory} (critic {critic}): {len(records)} runs, passed {sum(r['passed'] for r in records)}, "
        f"median steps {statistics.median(r['steps'] for r in records):g}, "
        f"mean tokens {statistics.fmean(r['prompt_tokens'] + r['completion_tokens'] for r in records):.0f}, "
        f"mean wall {statistics.fmean(r['wall_s'] for r in records):.1f}s, statuses {dict(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", nargs="*", type=Path, default=[], help="eval results directories to review again and to cost")
    parser.add_argument("--skip-references", action="store_true", help="only the recorded answers")
    args = parser.parse_args()
    rejected = 0 if args.skip_references else review_references()
    for directory in args.results:
        review_recorded(directory)
    for directory in args.results:
        cost(directory)
    raise SystemExit(1 if rejected else 0)


if __name__ == "__main__":
    main()

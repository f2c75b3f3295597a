"""DAG latency: tasks whose tool calls are independent, in sequential json against dag.

Each task needs several calls that do not depend on each other: reading four files,
fetching three pages of the web suite's local site, four calls of a tool with a fixed
delay, three shell commands that each take a while. With `--model scripted` both formats
follow an ideal script (json: one call per reply, then the answer; dag: one plan with every
call, then the answer), so the figures isolate what the format and its executor cost. The
scripted model waits `--model-delay` seconds per reply, standing in for generation time
(the embedded model's median is about 3 s per step on 2 shared cores: 12.2 s per task over
4.0 steps in docs/evals.md). With `--model local` the embedded model writes its own actions.

    .venv/bin/python benchmarks/bench_dag.py --model scripted --model-delay 0 --repeat 5
    .venv/bin/python benchmarks/bench_dag.py --model scripted --model-delay 3 --repeat 3
    .venv/bin/python benchmarks/bench_dag.py --model local
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.evals.suites.web.site_server import serve_site
from picoagent.models import load_model
from picoagent.models.scripted import ScriptedModel

DELAY_S = 0.5
FILES = {f"part{i}.txt": f"{i * 11}\n" for i in range(1, 5)}
PAGES = ("about.html", "team.html", "news.html")


def slow_lookup(key: str) -> str:
    """Look up a value in a slow registry (takes half a second).

    Args:
        key: The name to look up.
    """
    time.sleep(DELAY_S)
    return f"{key}={len(key)}"


@dataclass
class Task:
    name: str
    prompt: str
    # (tool, args) per independent call, and the final answer, for the ideal scripts.
    calls: list[tuple[str, dict]]
    answer: str
    toolsets: tuple[str, ...] = ()


def tasks(site: str) -> list[Task]:
    return [
        Task("read-4-files", "Add up the numbers in part1.txt, part2.txt, part3.txt and part4.txt.", [("read_file", {"path": name}) for name in FILES], "110"),
        Task("fetch-3-pages", f"Which of these pages mention the word founded: {', '.join(f'{site}/{page}' for page in PAGES)}?",
             [("fetch_url", {"url": f"{site}/{page}"}) for page in PAGES], "about.html", ("web",)),
        Task("4-slow-lookups", "Look up alpha, beta, gamma and delta in the slow registry and list the values.",
             [("slow_lookup", {"key": key}) for key in ("alpha", "beta", "gamma", "delta")], "alpha=5, beta=4, gamma=5, delta=5"),
        Task("3-slow-commands", "Run the three checks check1.sh, check2.sh and check3.sh and say which fail.",
             [("shell", {"command": f"sleep {DELAY_S}; bash check{i}.sh"}) for i in (1, 2, 3)], "check2.sh"),
    ]


def scripts(task: Task) -> dict[str, list[str]]:
    json_script = [json.dumps({"thought": "next", "tool": tool, "args": args}) for tool, args in task.calls]
    json_script.append(json.dumps({"thought": "done", "tool": "final_answer", "args": {"answer": task.answer}}))
    plan = [{"id": i, "tool": tool, "args": args, "after": []} for i, (tool, args) in enumerate(task.calls, 1)]
    dag_script = [
        json.dumps({"thought": "all at once", "calls": plan}),
        json.dumps({"thought": "done", "calls": [{"id": 1, "tool": "final_answer", "args": {"answer": task.answer}, "after": []}]}),
    ]
    return {"json": json_script, "dag": dag_script}


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        for name, text in FILES.items():
            (path / name).write_text(text)
        for i in (1, 2, 3):
            (path / f"check{i}.sh").write_text("exit 1\n" if i == 2 else "exit 0\n")
        yield path


def run_once(task: Task, actions: str, model_factory: Callable[[Task, str], object], max_steps: int) -> dict:
    with workspace() as path, tempfile.TemporaryDirectory() as runs:
        config = Config(model="local", actions=actions, workspace=path, runs_dir=Path(runs), toolsets=list(task.toolsets), max_steps=max_steps)
        started = time.perf_counter()
        result = run_task(task.prompt, config, model=model_factory(task, actions), extra_tools=[slow_lookup])
        wall = time.perf_counter() - started
        events = [json.loads(line) for line in Path(result.trace_path).read_text().splitlines()]
        steps = [event for event in events if event["type"] == "step"]
        calls = sum(len(step.get("observation", {}).get("tool_calls", [])) for step in steps)
        return {
            "wall_s": wall,
            "model_s": sum(step["timings"]["total_s"] for step in steps),
            "exec_s": sum(step.get("exec_s", 0.0) for step in steps),
            "steps": result.steps,
            "calls": calls,
            "status": result.status,
            "passed": result.ok and task.answer.split(",")[0].lower() in (result.answer or "").lower(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="scripted", help="scripted (ideal scripts) or a model spec such as local")
    parser.add_argument("--model-delay", type=float, default=0.0, help="seconds per scripted reply, standing in for generation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-steps", type=int, default=6)
    options = parser.parse_args()

    if options.model == "scripted":
        def model_factory(task: Task, actions: str) -> object:
            return ScriptedModel(scripts(task)[actions], delay_s=options.model_delay)
    else:
        shared = load_model(options.model)

        def model_factory(task: Task, actions: str) -> object:
            return shared

    print(f"model={options.model} model_delay={options.model_delay}s repeat={options.repeat} (medians)")
    print(f"{'task':16} {'mode':5} {'wall s':>7} {'model s':>8} {'tools s':>8} {'steps':>5} {'calls':>5} {'passed':>6}   json/dag")
    with serve_site() as site:
        for task in tasks(site):
            medians = {}
            for actions in ("json", "dag"):
                runs = [run_once(task, actions, model_factory, options.max_steps) for _ in range(options.repeat)]
                median = {key: statistics.median(run[key] for run in runs) for key in ("wall_s", "model_s", "exec_s", "steps", "calls")}
                passed = sum(run["passed"] for run in runs)
                medians[actions] = median
                ratio = f"   {medians['json']['wall_s'] / median['wall_s']:.2f}x" if actions == "dag" else ""
                print(
                    f"{task.name:16} {actions:5} {median['wall_s']:7.2f} {median['model_s']:8.2f} {median['exec_s']:8.2f} "
                    f"{median['steps']:5.0f} {median['calls']:5.0f} {passed:>3}/{len(runs)}{ratio}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

"""The same small tasks in each action format: steps, tokens and success per format.

With the scripted model every format follows an ideal script, which isolates what the
format itself costs (prompt size, steps a solution needs). With the embedded model
(Gemma 3 270M, constrained decoding) it measures what a small model actually manages.

    .venv/bin/python benchmarks/bench_formats.py --model scripted
    .venv/bin/python benchmarks/bench_formats.py --model local --max-steps 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.models import load_model
from picoagent.models.scripted import ScriptedModel

FORMATS = ("json", "code", "text")


def json_action(tool: str, thought: str, **args: object) -> str:
    return json.dumps({"thought": thought, "tool": tool, "args": args})


def text_action(tool: str, thought: str, **args: object) -> str:
    return f"Thought: {thought}\nAction: {tool}\nAction Input: {json.dumps(args)}"


def code_action(thought: str, code: str) -> str:
    return f"{thought}\n```python\n{code}\n```"


@dataclass
class Task:
    name: str
    prompt: str
    files: dict[str, str]
    # Passed the answer and the workspace; True when the task was done.
    check: Callable[[str, Path], bool]
    # An ideal solution per format, for the scripted model.
    scripts: dict[str, list[str]] = field(default_factory=dict)


def answer_is(expected: str) -> Callable[[str, Path], bool]:
    return lambda answer, workspace: expected.lower() in (answer or "").lower()


def tool_script(tool: str, thought: str, args: dict, answer: str) -> dict[str, list[str]]:
    """The two-step tool-then-answer script, written in the json and text formats."""
    return {
        "json": [json_action(tool, thought, **args), json_action("final_answer", "I have it.", answer=answer)],
        "text": [text_action(tool, thought, **args), text_action("final_answer", "I have it.", answer=answer)],
    }


TASKS = [
    Task(
        "arithmetic",
        "What is 17 * 23? Answer with the number only.",
        {},
        answer_is("391"),
        {
            "json": [json_action("final_answer", "17 * 23 = 391.", answer="391")],
            "text": [text_action("final_answer", "17 * 23 = 391.", answer="391")],
            "code": [code_action("I compute it.", "final_answer(17 * 23)")],
        },
    ),
    Task(
        "count_lines",
        "How many lines does the file data.txt have? Answer with the number only.",
        {"data.txt": "".join(f"row {i}\n" for i in range(7))},
        answer_is("7"),
        {
            **tool_script("shell", "Count with wc.", {"command": "wc -l data.txt"}, "7"),
            "code": [code_action("I count the lines.", "final_answer(len(open('data.txt').read().splitlines()))")],
        },
    ),
    Task(
        "sum_numbers",
        "The file numbers.txt has one number per line. What is their sum? Answer with the number only.",
        {"numbers.txt": "12\n30\n8\n50\n50\n"},
        answer_is("150"),
        {
            **tool_script("read_file", "Read the numbers.", {"path": "numbers.txt"}, "150"),
            "code": [code_action("I add them up.", "final_answer(sum(int(x) for x in open('numbers.txt').read().split()))")],
        },
    ),
    Task(
        "write_file",
        "Create a file greeting.txt that contains exactly: hello world. Then answer: done.",
        {},
        lambda answer, workspace: (workspace / "greeting.txt").is_file()
        and (workspace / "greeting.txt").read_text().strip() == "hello world",
        {
            **tool_script("write_file", "Write the file.", {"path": "greeting.txt", "content": "hello world"}, "done"),
            "code": [code_action("I write it and finish.", "write_file('greeting.txt', 'hello world')\nfinal_answer('done')")],
        },
    ),
    Task(
        "find_csv",
        "Which file in the workspace has the .csv extension? Answer with its file name only.",
        {"notes.md": "# notes\n", "sales.csv": "a,b\n1,2\n", "readme.txt": "hi\n"},
        answer_is("sales.csv"),
        {
            **tool_script("shell", "List the files.", {"command": "ls"}, "sales.csv"),
            "code": [code_action("I look for it.", "import glob\nfinal_answer(glob.glob('*.csv')[0])")],
        },
    ),
]


def run_one(task: Task, action_format: str, model, args: argparse.Namespace, root: Path) -> dict:
    workspace = root / f"{task.name}-{action_format}-{time.monotonic_ns()}"
    workspace.mkdir()
    for name, content in task.files.items():
        (workspace / name).write_text(content)
    config = Config(
        model="bench",
        actions=action_format,
        workspace=workspace,
        runs_dir=root / "runs",
        max_steps=args.max_steps,
        step_max_tokens=args.step_tokens,
        context_tokens=args.context_tokens,
        examples=args.examples,
    )
    if model is None:
        model = ScriptedModel(task.scripts[action_format])
    started = time.perf_counter()
    result = run_task(task.prompt, config, model=model)
    return {
        "ok": result.ok and task.check(result.answer or "", workspace),
        "steps": result.steps,
        "tokens": result.usage.total_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "invalid": result.invalid_actions,
        "status": result.status,
        "answer": result.answer,
        "wall_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="scripted", help="scripted, or a model spec such as local")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--step-tokens", type=int, default=256)
    parser.add_argument("--context-tokens", type=int, default=4096)
    parser.add_argument("--examples", type=int, default=None, help="worked examples per task (default: the model's default)")
    parser.add_argument("--tasks", default=",".join(task.name for task in TASKS), help="comma-separated task names")
    parser.add_argument("--verbose", action="store_true", help="print each run's outcome")
    args = parser.parse_args()
    model = None if args.model == "scripted" else load_model(args.model, n_ctx=args.context_tokens)
    formats = args.formats.split(",")
    tasks = [task for task in TASKS if task.name in args.tasks.split(",")]

    examples = "default" if args.examples is None else args.examples
    print(f"model: {args.model}; {len(tasks)} tasks; max {args.max_steps} steps of {args.step_tokens} tokens; examples: {examples}")
    print(f"{'format':<7}{'success':>9}{'steps':>8}{'tokens':>9}{'out tok':>9}{'invalid':>9}{'s/task':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for action_format in formats:
            rows = []
            for task in tasks:
                row = run_one(task, action_format, model, args, Path(tmp))
                rows.append(row)
                if args.verbose:
                    print(f"  {action_format:<5} {task.name:<12} {row['status']:<15} steps={row['steps']} ok={row['ok']} answer={row['answer']!r}")
            print(
                f"{action_format:<7}"
                f"{sum(r['ok'] for r in rows):>5}/{len(rows):<3}"
                f"{statistics.mean(r['steps'] for r in rows):>8.1f}"
                f"{statistics.mean(r['tokens'] for r in rows):>9.0f}"
                f"{statistics.mean(r['completion_tokens'] for r in rows):>9.0f}"
                f"{sum(r['invalid'] for r in rows):>9}"
                f"{statistics.mean(r['wall_s'] for r in rows):>8.1f}"
            )


if __name__ == "__main__":
    main()

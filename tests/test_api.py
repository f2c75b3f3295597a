"""The Python API as a user writes it: `from picoagent import Agent, tool`, and the README's snippets."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from picoagent import Agent, Event, tool
from picoagent.errors import ConfigError
from picoagent.tools.registry import ToolDefinitionError
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events
from tests.conftest import action

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs go to the test's folder, the agent works there, and no user config file is read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PICOAGENT_RUNS_DIR", str(runs_dir))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@tool(name="max")
def largest(*numbers: float) -> float:
    """The largest of some numbers.

    Args:
        *numbers: The numbers to compare.
    """
    return max(numbers)


def test_tool_makes_a_tool_that_stays_callable() -> None:
    assert largest.name == "max" and largest(2, 9, 4) == 9
    assert largest.parameters_schema()["properties"]["numbers"]["type"] == "array"
    with pytest.raises(ToolDefinitionError, match="has no type hint"):

        @tool
        def untyped(x):  # noqa: ANN001
            """Nothing.

            Args:
                x: Anything.
            """


def test_a_run_with_only_my_tools_returns_the_result(tmp_path: Path) -> None:
    model = ScriptedModel([action("max", numbers=[3, 11, 7]), action("final_answer", answer="11")])
    agent = Agent(model, tools=[largest], builtins=[], actions="json")
    result = agent.run("Which is largest: 3, 11 or 7?")
    assert result.ok and result.answer == "11" and result.steps == 2
    events = read_events(Path(result.trace_path))
    assert next(e for e in events if e["type"] == "workspace")["tools"] == ["final_answer", "max"]
    step = next(e for e in events if e["type"] == "step")
    assert step["observation"]["text"] == "11.0"
    assert "- max(numbers: list[float] = [])" in model.calls[0][0]["content"] and "shell" not in model.calls[0][0]["content"]
    assert agent.config.workspace == tmp_path, "the current directory, as on the command line"


def test_on_event_sees_each_event_as_it_happens() -> None:
    seen: list[Event] = []
    model = ScriptedModel([action("shell", command="echo hi"), action("final_answer", answer="hi")])
    result = Agent(model, builtins=["shell"], actions="json").run("say hi", on_event=seen.append)
    assert [event.type for event in seen] == ["sandbox", "run_start", "step", "step", "run_end"]
    assert seen[2].data["observation"]["text"].startswith("hi") and seen[-1].data["result"]["answer"] == result.answer


def test_stream_yields_events_live_and_then_holds_the_result() -> None:
    model = ScriptedModel([action("shell", command="echo 1"), action("final_answer", answer="done")], delay_s=0.3)
    run = Agent(model, builtins=["shell"], actions="json").stream("count")
    arrived: list[tuple[str, bool]] = []
    for event in run:
        arrived.append((event.type, run.result is None))
    assert [kind for kind, _ in arrived] == ["sandbox", "run_start", "step", "step", "run_end"]
    assert all(unfinished for _, unfinished in arrived[:3]), "the first step came while the model was at work on the second"
    assert run.result is not None and run.result.answer == "done"
    assert list(run) == [], "the events came once; a second loop does not wait for more"


def test_leaving_the_stream_early_cancels_the_run() -> None:
    model = ScriptedModel([action("shell", command=f"echo {i}") for i in range(50)], delay_s=0.2)
    run = Agent(model, builtins=["shell"], actions="json", max_steps=50).stream("loop")
    for event in run:
        if event.type == "step":
            break
    assert run.result is not None and run.result.status == "timeout" and run.result.error == "the run was cancelled"
    assert run.result.steps <= 3 and not any(thread.name == "picoagent-run" for thread in threading.enumerate())


def test_errors_reach_the_caller() -> None:
    with pytest.raises(ConfigError, match="unknown built-in tool 'sh'"):
        Agent(ScriptedModel([]), builtins=["sh"])
    with pytest.raises(TypeError, match="unexpected setting 'max_step'"):
        Agent(ScriptedModel([]), max_step=3)
    with pytest.raises(TypeError, match="name built-ins in builtins="):
        Agent(ScriptedModel([]), tools=["shell"])
    run = Agent(ScriptedModel([])).stream("   ")
    with pytest.raises(ConfigError, match="the task is empty"):
        list(run)


@pytest.mark.slow
def test_a_tool_named_max_with_varargs_in_code_mode() -> None:
    code = "```python\nprint(max_(3, 11, 7), max([1, 2]))\n```"
    model = ScriptedModel([code, '```python\nfinal_answer("11")\n```'])
    result = Agent(model, tools=[largest], builtins=[], actions="code").run("Which is largest: 3, 11 or 7?")
    assert result.ok and result.answer == "11"
    step = next(e for e in read_events(Path(result.trace_path)) if e["type"] == "step")
    assert step["observation"]["text"] == "11.0 2", "the tool is max_ in the kernel, and Python's max is untouched"
    assert "def max_(*numbers: float) -> float:" in model.calls[0][0]["content"]


def readme_snippets() -> list[str]:
    section = README.read_text().split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def run_snippet(code: str) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    return printed.getvalue()


def test_the_readme_snippets_run(tmp_path: Path) -> None:
    first, second = readme_snippets()
    assert len(first.strip().splitlines()) == 5, "five lines, the blank one included"
    outputs = tmp_path / "first.json"
    outputs.write_text(json.dumps([action("shell", command="wc -l < /etc/passwd"), action("final_answer", answer="42")]))
    assert 'model="local"' in first and 'model="local"' in second
    assert run_snippet(first.replace('model="local"', f'model="scripted:{outputs}"')) == "answered 42\n"
    outputs.write_text(json.dumps([action("word_count", text="the quick brown fox jumps"), action("final_answer", answer="5")]))
    printed = run_snippet(second.replace('model="local"', f'model="scripted:{outputs}"'))
    assert printed.splitlines() == [
        str({"kind": "tool_call", "thought": "next step", "tool": "word_count", "args": {"text": "the quick brown fox jumps"}}),
        str({"kind": "tool_call", "thought": "next step", "tool": "final_answer", "args": {"answer": "5"}}),
        "5",
    ]


@pytest.mark.slow
def test_the_readme_snippets_run_on_the_embedded_model(tmp_path: Path) -> None:
    """As written: the embedded model, loaded by the snippet, in a fresh interpreter (at most 3 steps, from env)."""
    env = {**os.environ, "PICOAGENT_MAX_STEPS": "3"}
    for code in readme_snippets():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip(), "it printed the result"


def test_import_picoagent_stays_light() -> None:
    """The package imports its parts on first use; the figure is in benchmarks/bench_import.py."""
    code = "import sys, picoagent; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'rich', 'typer', 'openai', 'llama_cpp')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
    assert subprocess.run([sys.executable, "-c", "from picoagent import Agent, tool, Result, Config"], timeout=60).returncode == 0

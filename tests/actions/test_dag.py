"""The dag format: one reply plans several calls; the independent ones run at once, results come back together."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from picoagent.actions.base import DagCall, DagPlan
from picoagent.actions.dag import DagFormat, plan_problem, reference_value, substitute
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.models.scripted import ScriptedModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events

NAP_S = 0.6


def nap(seconds: float, label: str) -> str:
    """Wait, then say so: a tool with a fixed delay.

    Args:
        seconds: How long to wait.
        label: What to report when done.
    """
    time.sleep(seconds)
    return f"{label} done"


def plan(*calls: dict, thought: str = "plan") -> str:
    return json.dumps({"thought": thought, "calls": list(calls)})


def call(id: int, tool: str, after: tuple[int, ...] = (), **args: object) -> dict:
    return {"id": id, "tool": tool, "args": args, "after": list(after)}


@pytest.fixture
def dag_config(config: Config) -> Config:
    return config.model_copy(update={"actions": "dag"})


def test_independent_sleeping_calls_run_at_once_and_dependents_wait_for_their_inputs(dag_config: Config) -> None:
    model = ScriptedModel(
        [
            plan(
                call(1, "nap", seconds=NAP_S, label="a"),
                call(2, "nap", seconds=NAP_S, label="b"),
                call(3, "nap", seconds=NAP_S, label="c"),
                call(4, "nap", after=(1, 2), seconds=0.01, label="$1 and $2"),
            ),
            plan(call(1, "final_answer", answer="all done")),
        ]
    )
    started = time.perf_counter()
    result = run_task("Nap three times.", dag_config, model=model, extra_tools=[nap])
    wall = time.perf_counter() - started
    assert (result.status, result.answer, result.steps) == ("answered", "all done", 2)
    assert wall < 2 * NAP_S, f"three {NAP_S}s naps took {wall:.2f}s: they did not overlap"
    step = next(e for e in read_events(result.trace_path) if e["type"] == "step")
    assert step["exec_s"] < 2 * NAP_S
    records = {record["id"]: record for record in step["observation"]["tool_calls"]}
    assert max(records[i]["start_s"] for i in (1, 2, 3)) < min(records[i]["end_s"] for i in (1, 2, 3)), "all three were running at one moment"
    assert records[4]["start_s"] >= max(records[1]["end_s"], records[2]["end_s"])
    assert records[4]["args"]["label"] == "a done and b done"
    shown = model.calls[1][-1]["content"]
    assert shown.startswith("Observation:\n[1] nap (0.0") and "[4] nap (" in shown and "a done and b done done" in shown


def test_workers_bound_how_many_calls_run_at_once(dag_config: Config) -> None:
    model = ScriptedModel([plan(*(call(i, "nap", seconds=0.3, label=str(i)) for i in (1, 2, 3))), plan(call(1, "final_answer", answer="ok"))])
    result = run_task("Nap.", dag_config.model_copy(update={"dag_workers": 1}), model=model, extra_tools=[nap])
    records = next(e for e in read_events(result.trace_path) if e["type"] == "step")["observation"]["tool_calls"]
    spans = sorted((record["start_s"], record["end_s"]) for record in records)
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:])), "one worker runs one call at a time"


@pytest.mark.parametrize(
    ("calls", "problem"),
    [
        ([call(1, "nap", after=(2,), seconds=0, label="x"), call(2, "nap", after=(1,), seconds=0, label="y")], "in a cycle (1 -> 2 -> 1)"),
        ([call(1, "nap", after=(7,), seconds=0, label="$7")], "Call 1 waits for call 7, which is not in the plan"),
        ([call(1, "nap", seconds=0, label="x"), call(1, "nap", seconds=0, label="y")], "Call ids must be unique"),
        ([call(i, "nap", seconds=0, label="x") for i in range(1, 10)], "The plan has 9 calls; at most 8"),
        ([call(1, "teleport")], "Call 1 uses the unknown tool 'teleport'"),
        ([call(1, "final_answer", answer="a"), call(2, "final_answer", answer="b")], "give one final answer"),
    ],
)
def test_a_plan_that_cannot_run_gets_a_corrective_observation_and_nothing_runs(dag_config: Config, calls: list[dict], problem: str) -> None:
    ran: list[str] = []

    def nap(seconds: float, label: str) -> str:
        """Record a call.

        Args:
            seconds: Ignored.
            label: Recorded.
        """
        ran.append(label)
        return label

    model = ScriptedModel([plan(*calls), plan(call(1, "final_answer", answer="fixed"))])
    result = run_task("Plan.", dag_config, model=model, extra_tools=[nap])
    assert (result.status, result.answer) == ("answered", "fixed")
    shown = model.calls[1][-1]["content"]
    assert shown.startswith("Error:\n") and problem in shown and shown.endswith("Nothing was run; send a corrected plan.")
    assert ran == []


def test_a_call_whose_input_failed_is_skipped_and_the_others_still_run(dag_config: Config) -> None:
    model = ScriptedModel(
        [
            plan(call(1, "shell", command="exit 3"), call(2, "shell", after=(1,), command="echo $1"), call(3, "shell", command="echo fine")),
            plan(call(1, "final_answer", answer="done")),
        ]
    )
    result = run_task("Try.", dag_config, model=model)
    assert result.answer == "done"
    shown = model.calls[1][-1]["content"]
    assert "[2] shell error:\nskipped: call 1 failed" in shown and "fine\n[exit code 0]" in shown


def test_the_final_answer_waits_for_every_other_call_of_its_plan(dag_config: Config) -> None:
    (dag_config.workspace / "a.txt").write_text("41\n")
    model = ScriptedModel([plan(call(1, "read_file", path="a.txt"), call(2, "shell", after=(), command="echo 42"), call(3, "final_answer", after=(2,), answer="$2"))])
    result = run_task("What?", dag_config, model=model)
    assert (result.status, result.answer, result.steps) == ("answered", "42", 1)
    records = next(e for e in read_events(result.trace_path) if e["type"] == "step")["observation"]["tool_calls"]
    assert records[2]["start_s"] >= max(records[0]["end_s"], records[1]["end_s"])


def test_the_same_plan_with_the_same_results_is_a_repeat_whatever_the_timings(dag_config: Config) -> None:
    same = plan(call(1, "nap", seconds=0.01, label="x"))
    model = ScriptedModel([same, same, same, plan(call(1, "final_answer", answer="x"))])
    result = run_task("Nap.", dag_config, model=model, extra_tools=[nap])
    assert (result.status, result.last_call) == ("answered", "stuck")


def test_references_are_replaced_only_for_calls_waited_for() -> None:
    results = {1: "notes.txt", 2: "9"}
    assert substitute({"command": "awk '{print $2}' $1"}, results, {1}) == {"command": "awk '{print $2}' notes.txt"}
    assert substitute({"items": ["$1", "$10"]}, results, {1, 2}) == {"items": ["notes.txt", "$10"]}
    assert reference_value("42\n[exit code 0]") == "42" and reference_value("oops\n[exit code 1]") == "oops\n[exit code 1]"


def test_the_schema_bounds_calls_and_a_plan_either_works_or_answers_once(tmp_path: Path) -> None:
    dag_format = DagFormat(ToolRegistry(builtin_tools(tmp_path)), config=Config(dag_max_calls=5))
    working, answering = dag_format.constraint().schema["anyOf"]
    calls = working["properties"]["calls"]
    assert calls["maxItems"] == 5 and [v["properties"]["tool"]["const"] for v in calls["items"]["anyOf"]] == ["shell", "read_file", "write_file", "edit_file"]
    assert answering == dag_format.constraint(finish=True).schema, "an answer is a plan of its own: one final_answer call"
    finish = dag_format.constraint(finish=True).schema["properties"]["calls"]
    assert finish["maxItems"] == 1 and [v["properties"]["tool"]["const"] for v in finish["items"]["anyOf"]] == ["final_answer"]
    parsed = dag_format.parse('Plan: {"thought": "t", "calls": [{"id": 1, "tool": "shell", "args": {"command": "ls"}, "after": [2, 2]}]}')
    assert parsed == DagPlan("t", [DagCall(1, "shell", {"command": "ls"}, [2])])
    assert plan_problem(parsed, dag_format.registry, 5) == "Call 1 waits for call 2, which is not in the plan. Ids in the plan: 1."


STATUSES = {"answered", "max_steps", "stuck", "invalid_output", "max_tokens", "timeout"}


@pytest.mark.slow
def test_a_dag_run_on_the_embedded_model_ends_with_a_status(dag_config: Config, local_model) -> None:
    (dag_config.workspace / "notes.txt").write_text("a\nb\nc\n")
    result = run_task("How many lines does notes.txt have?", dag_config.model_copy(update={"max_steps": 4}), model=local_model)
    assert result.status in STATUSES and result.steps >= 1
    steps = [event for event in read_events(result.trace_path) if event["type"] == "step"]
    assert any(step.get("action", {}).get("kind") == "dag" for step in steps), "the grammar makes replies valid plans"


@pytest.mark.slow
def test_a_dag_run_over_the_openai_api_ends_with_a_status(llama_server: str, dag_config: Config) -> None:
    from picoagent.models.openai_compat import OpenAIModel

    (dag_config.workspace / "notes.txt").write_text("a\nb\nc\n")
    config = dag_config.model_copy(update={"model": "openai:gemma-3-270m", "max_steps": 2, "step_max_tokens": 256})
    result = run_task("How many lines does notes.txt have?", config, model=OpenAIModel("gemma-3-270m", base_url=llama_server))
    assert result.status in STATUSES and result.steps >= 1 and result.usage.prompt_tokens > 0

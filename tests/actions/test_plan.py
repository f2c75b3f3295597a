"""The plan format: a planner names the step and the tool, a caller writes the arguments, one loop runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picoagent.actions import make_format
from picoagent.actions.base import ActionParseError, PlanStep
from picoagent.actions.plan import CALLER_INSTRUCTIONS, PlanFormat
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.models.scripted import ScriptedModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events


def step(task: str, tool: str, thought: str = "next") -> str:
    return json.dumps({"thought": thought, "task": task, "tool": tool})


def args(**values: object) -> str:
    return json.dumps(values)


@pytest.fixture
def plan_config(config: Config) -> Config:
    (config.workspace / "notes.txt").write_text("a\nb\nc\n")
    return config.model_copy(update={"actions": "plan"})


def test_a_plan_step_and_the_callers_arguments_run_the_tool_and_answer(plan_config: Config) -> None:
    model = ScriptedModel(
        [
            step("Count the lines of notes.txt with wc -l.", "shell"),
            args(command="wc -l notes.txt"),
            step("Give the final answer: 3", "final_answer"),
            args(answer="3"),
        ]
    )
    result = run_task("How many lines does notes.txt have?", plan_config, model=model)
    assert (result.status, result.answer, result.steps) == ("answered", "3", 2)
    planner_calls, caller_calls = model.calls[0::2], model.calls[1::2]
    assert planner_calls[1][-1]["content"] == "Observation:\n3 notes.txt\n[exit code 0]"
    # The caller's prompt: the same instructions first every time (a cached prefix), then the step.
    assert [call[0] for call in caller_calls] == [{"role": "system", "content": CALLER_INSTRUCTIONS}] * 2
    assert caller_calls[0][-1]["content"].endswith("Task: Count the lines of notes.txt with wc -l.\nArguments:")
    assert "Result of the previous step:\n3 notes.txt" in caller_calls[1][-1]["content"]
    assert "How many lines" not in caller_calls[0][-1]["content"], "the caller sees the step's task, not the whole run"
    # Planner constrained to the tool names; caller to the chosen tool's own schema.
    assert model.constraints[0].schema["properties"]["tool"]["enum"] == ["shell", "read_file", "write_file", "edit_file", "final_answer"]
    assert model.constraints[1].schema["properties"] == {"command": pytest.approx(model.constraints[1].schema["properties"]["command"])}
    assert set(model.constraints[1].schema["required"]) == {"command"}
    # The run's usage counts the caller's tokens too.
    assert result.usage.total_tokens == sum(len(m["content"].split()) for call in model.calls for m in call) + sum(len(o.split()) for o in model.outputs)
    steps = [event for event in read_events(result.trace_path) if event["type"] == "step"]
    assert steps[0]["action"] == {"kind": "plan_step", "thought": "next", "task": "Count the lines of notes.txt with wc -l.", "tool": "shell"}
    caller = steps[0]["observation"]["tool_calls"][0]["caller"]
    assert caller["args"] == {"command": "wc -l notes.txt"} and caller["replies"] == [args(command="wc -l notes.txt")]
    assert caller["messages"] == caller_calls[0]


def test_an_unknown_tool_from_the_planner_is_corrected_before_any_caller_runs(plan_config: Config) -> None:
    model = ScriptedModel([step("Teleport to the answer.", "teleport"), step("Give the final answer: 3", "final_answer"), args(answer="3")])
    result = run_task("How many lines does notes.txt have?", plan_config, model=model)
    assert (result.status, result.answer, result.invalid_actions) == ("answered", "3", 1)
    assert model.calls[1][-1]["content"].startswith("Unknown tool 'teleport'. Choose one of: shell, read_file")


def test_invalid_arguments_from_the_caller_get_a_repair_message_and_a_second_try(plan_config: Config) -> None:
    model = ScriptedModel(
        [
            step("Show notes.txt.", "read_file"),
            args(file="notes.txt"),
            "path is notes.txt",
            args(path="notes.txt"),
            step("Give the final answer: a", "final_answer"),
            args(answer="a"),
        ]
    )
    result = run_task("What is the first line of notes.txt?", plan_config, model=model)
    assert (result.status, result.answer, result.steps) == ("answered", "a", 2)
    repair = model.calls[2][-1]["content"]
    assert repair.startswith("Those arguments are invalid: path: Field required") and repair.endswith("Arguments:")
    assert "not a JSON object" in model.calls[3][-1]["content"]
    assert model.calls[3][:2] == model.calls[1], "a repair extends the caller's own prompt"
    assert model.calls[4][-1]["content"].startswith("Observation:\n[notes.txt: lines 1-3 of 3]\na\nb\nc")
    record = next(e for e in read_events(result.trace_path) if e["type"] == "step")["observation"]["tool_calls"][0]["caller"]
    assert len(record["replies"]) == 3 and record["args"] == {"path": "notes.txt"}


def test_a_caller_that_never_writes_valid_arguments_fails_the_step_not_the_run(plan_config: Config) -> None:
    config = plan_config.model_copy(update={"caller_attempts": 2})
    model = ScriptedModel([step("Show notes.txt.", "read_file"), "no", "still no", step("Give the final answer: unknown", "final_answer"), args(answer="unknown")])
    result = run_task("Show notes.txt", config, model=model)
    assert (result.status, result.answer) == ("answered", "unknown")
    shown = model.calls[3][-1]["content"]
    assert shown.startswith("Error:\nThe arguments for read_file could not be written: not a JSON object")
    assert "Say the task more precisely" in shown


def test_the_last_call_allows_only_the_final_answer_tool(plan_config: Config) -> None:
    config = plan_config.model_copy(update={"max_steps": 1})
    model = ScriptedModel([step("List files.", "shell"), args(command="ls"), step("Give the final answer: notes.txt", "final_answer"), args(answer="notes.txt")])
    result = run_task("Which file is there?", config, model=model)
    assert (result.status, result.answer, result.last_call) == ("answered", "notes.txt", "max_steps")
    assert model.constraints[2].schema["properties"]["tool"]["enum"] == ["final_answer"]


def test_worked_examples_show_a_task_sentence_and_the_answer_in_the_final_task(tmp_path: Path) -> None:
    plan_format = PlanFormat(ToolRegistry(builtin_tools(tmp_path)), config=Config())
    from picoagent.actions.base import ToolCall

    assert json.loads(plan_format.render_call(ToolCall("Count with wc.", "shell", {"command": "wc -l a"}))) == {
        "thought": "Count with wc.", "task": "Count with wc.", "tool": "shell"
    }
    assert json.loads(plan_format.render_call(ToolCall("wc said 14.", "final_answer", {"answer": "14"})))["task"] == "Give the final answer: 14"
    prompt = plan_format.caller_prompt(PlanStep("", "Count the words of essay.txt with wc -w.", "shell"), plan_format.registry.get("shell"), None)
    assert 'Task: Count the words of report.txt with wc -w.\nArguments: {"command": "wc -w report.txt"}' in prompt[-1]["content"]


def test_plan_parse_errors_name_what_is_missing(tmp_path: Path) -> None:
    plan_format = PlanFormat(ToolRegistry(builtin_tools(tmp_path)), config=Config())
    with pytest.raises(ActionParseError, match="task"):
        plan_format.parse('{"thought": "x", "tool": "shell"}')
    with pytest.raises(ActionParseError, match="not a plan step"):
        plan_format.parse("I would run ls")


def test_a_caller_model_with_another_format_is_a_one_line_error(config: Config, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--caller-model .* use it with --actions plan, not json"):
        make_format("json", ToolRegistry(), workspace=tmp_path, config=config.model_copy(update={"caller_model": "scripted:x.json"}))


STATUSES = {"answered", "max_steps", "stuck", "invalid_output", "max_tokens", "timeout"}


@pytest.mark.slow
def test_a_plan_run_on_the_embedded_model_ends_with_a_status_and_keeps_both_caches(plan_config: Config, local_model) -> None:
    config = plan_config.model_copy(update={"max_steps": 4})
    result = run_task("How many lines does notes.txt have?", config, model=local_model)
    assert result.status in STATUSES and result.steps >= 1
    steps = [event for event in read_events(result.trace_path) if event["type"] == "step" and "action" in event]
    assert steps, "the grammar makes every planner reply a valid plan step"
    callers = [call["caller"] for step in steps for call in step["observation"].get("tool_calls", []) if "caller" in call]
    assert callers and all(caller["model"] == local_model.name for caller in callers)
    assert local_model.sibling(n_ctx=4096) is local_model.sibling(n_ctx=4096), "one caller context, made once"
    if len(steps) >= 2:  # the planner's transcript stayed cached while the caller ran in its own context
        later = steps[1]["usage"]
        assert later["prompt_tokens_evaluated"] < later["prompt_tokens"] / 2
    if len(callers) >= 2:  # the caller's constant instructions stayed cached between its calls
        assert callers[1]["usage"]["prompt_tokens_evaluated"] < callers[1]["usage"]["prompt_tokens"]


@pytest.mark.slow
def test_a_plan_run_over_the_openai_api_ends_with_a_status(llama_server: str, plan_config: Config) -> None:
    from picoagent.models.openai_compat import OpenAIModel

    config = plan_config.model_copy(update={"model": "openai:gemma-3-270m", "max_steps": 2, "step_max_tokens": 256})
    result = run_task("How many lines does notes.txt have?", config, model=OpenAIModel("gemma-3-270m", base_url=llama_server))
    assert result.status in STATUSES and result.steps >= 1 and result.usage.prompt_tokens > 0
    assert result.error is None or "Traceback" not in result.error

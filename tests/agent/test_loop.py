"""The loop against scripted model outputs: every way model output can go wrong, and every limit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from picoagent.agent.loop import LAST_CALL
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.models.base import Completion, Usage
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events
from tests.conftest import action


def run(config: Config, outputs: list[str], task: str = "do the thing", **kwargs):
    model = ScriptedModel(outputs)
    return run_task(task, config, model=model, **kwargs), model


def test_answers_after_a_tool_call(config: Config) -> None:
    result, model = run(config, [action("shell", command="echo hello > f.txt && cat f.txt"), action("final_answer", answer="hello")])
    assert result.status == "answered" and result.ok
    assert result.answer == "hello"
    assert result.steps == 2
    assert (config.workspace / "f.txt").read_text() == "hello\n"
    # The second call saw the first observation.
    assert "hello" in model.calls[1][-1]["content"] and "[exit code 0]" in model.calls[1][-1]["content"]


def test_messages_are_append_only_between_steps(config: Config) -> None:
    outputs = [action("shell", command=f"echo {i}") for i in range(4)] + [action("final_answer", answer="done")]
    _, model = run(config, outputs)
    for before, after in zip(model.calls, model.calls[1:]):
        assert after[: len(before)] == before, "a later prompt must extend the earlier one unchanged (prefix cache)"


def test_malformed_json_gets_a_repair_message_and_the_run_goes_on(config: Config) -> None:
    result, model = run(config, ['{"thought": "oops", "tool": "shell", "args": {', action("final_answer", answer="ok")])
    assert result.status == "answered"
    assert result.invalid_actions == 1
    assert "not a JSON action" in model.calls[1][-1]["content"]


def test_prose_and_fences_around_json_are_tolerated(config: Config) -> None:
    fenced = "Sure! Here is my action:\n```json\n" + action("final_answer", answer="42") + "\n```\nHope that helps."
    result, _ = run(config, [fenced])
    assert result.answer == "42" and result.invalid_actions == 0


def test_too_many_invalid_outputs_in_a_row_end_the_run(config: Config) -> None:
    result, _ = run(config, ["no json here"] * 3)
    assert result.status == "invalid_output"
    assert result.invalid_actions == 3
    assert "invalid outputs in a row" in result.error


def test_unknown_tool_is_a_corrective_observation(config: Config) -> None:
    result, model = run(config, [action("teleport", place="mars"), action("final_answer", answer="fine")])
    assert result.status == "answered"
    shown = model.calls[1][-1]["content"]
    assert "Unknown tool 'teleport'" in shown and "shell" in shown


def test_bad_arguments_are_a_corrective_observation(config: Config) -> None:
    result, model = run(config, [action("read_file", file="x"), action("final_answer", answer="fine")])
    assert result.status == "answered"
    shown = model.calls[1][-1]["content"]
    assert "Invalid arguments for 'read_file'" in shown and "path" in shown and "Usage: read_file(" in shown


def test_a_raising_tool_is_an_error_observation(config: Config) -> None:
    def explode(reason: str) -> str:
        """Always fails.

        Args:
            reason: Why it fails.
        """
        raise RuntimeError(f"boom: {reason}")

    result, model = run(config, [action("explode", reason="testing"), action("final_answer", answer="survived")], extra_tools=[explode])
    assert result.status == "answered" and result.answer == "survived"
    assert "Tool 'explode' failed: RuntimeError: boom: testing" in model.calls[1][-1]["content"]


def test_step_limit(config: Config) -> None:
    config.max_steps = 3
    config.answer_at_limit = False
    result, model = run(config, [action("shell", command=f"echo {i}") for i in range(10)])
    assert result.status == "max_steps" and result.steps == 3 and not result.ok
    assert len(model.calls) == 3


def test_at_the_step_limit_the_model_is_asked_once_for_the_answer(config: Config) -> None:
    config.max_steps = 2
    result, model = run(config, [action("shell", command="echo 41"), action("shell", command="echo 42"), action("final_answer", answer="42")])
    assert result.status == "answered" and result.answer == "42" and result.steps == 3
    assert LAST_CALL["max_steps"] in model.calls[2][-1]["content"]
    # The last call may only answer: its schema offers final_answer and no other tool.
    assert [variant["properties"]["tool"]["const"] for variant in model.constraints[2].schema["anyOf"]] == ["final_answer"]
    assert len(model.constraints[0].schema["anyOf"]) > 1


def test_a_last_call_that_does_not_answer_keeps_the_limit_status(config: Config) -> None:
    config.max_steps = 1
    result, model = run(config, [action("shell", command="echo 1"), action("shell", command="touch late")])
    assert result.status == "max_steps" and result.steps == 2 and result.answer is None
    assert "asked for a final answer" in result.error
    last_step = [event for event in read_events(result.trace_path) if event["type"] == "step"][-1]
    assert last_step["last_call"] == "max_steps" and last_step["error"] == "no final answer in the last call"


def test_token_limit(config: Config) -> None:
    config.max_total_tokens = 50  # the scripted model counts words; the system prompt alone is more
    result, _ = run(config, [action("shell", command=f"echo {i}") for i in range(10)])
    assert result.status == "max_tokens"
    assert result.steps == 1


def test_wall_time_limit(config: Config) -> None:
    config.max_wall_s = 1.0
    result, _ = run(config, [action("shell", command="sleep 3"), action("shell", command="echo late")])
    assert result.status == "timeout" and result.error == "the run's time limit of 1s was reached"
    assert result.steps == 1
    assert result.wall_s < 1.5, "the shell command is cut at the run's remaining time"
    [step] = [e for e in read_events(Path(result.trace_path)) if e["type"] == "step"]
    assert "the run's time limit was reached" in step["observation"]["text"], "not the command's own timeout"
    assert "timed out after" not in step["observation"]["text"]


def test_a_model_call_is_cut_off_at_the_deadline_and_the_trace_is_complete(config: Config) -> None:
    config.max_wall_s = 0.2
    model = ScriptedModel([action("shell", command="echo never")], delay_s=30)
    result = run_task("do the thing", config, model=model)
    assert result.status == "timeout" and result.wall_s < 0.7
    assert result.error == "the run's time limit of 0.2s was reached"
    events = read_events(Path(result.trace_path))
    [step] = [e for e in events if e["type"] == "step"]
    assert step["cut_off"] is True and "action" not in step and "observation" not in step
    assert events[-1]["type"] == "run_end" and events[-1]["result"]["status"] == "timeout"
    assert not (config.workspace / "never").exists()


def test_a_reply_after_the_deadline_is_recorded_but_not_acted_on(config: Config) -> None:
    config.max_wall_s = 0.1

    class LateModel(ScriptedModel):
        def complete(self, messages, **options):  # ignores its deadline, as a model from outside might
            time.sleep(0.2)
            return super().complete(messages, constraint=options.get("constraint"))

    result = run_task("do the thing", config, model=LateModel([action("shell", command="touch acted")]))
    assert result.status == "timeout" and result.steps == 1
    assert not (config.workspace / "acted").exists()
    [step] = [e for e in read_events(Path(result.trace_path)) if e["type"] == "step"]
    assert step["cut_off"] is True and "touch acted" in step["raw"]


def test_cancelling_the_deadline_from_another_thread_ends_the_run(config: Config) -> None:
    deadline = Deadline()
    threading.Timer(0.3, deadline.cancel).start()
    model = ScriptedModel([action("shell", command="echo 1"), action("shell", command="sleep 20")], delay_s=0.1)
    result = run_task("do the thing", config, model=model, deadline=deadline)
    assert result.status == "timeout" and result.error == "the run was cancelled"
    assert result.wall_s < 1.5, "the shell command in flight was cut too"


def test_repeated_action_is_warned_then_stopped(config: Config) -> None:
    config.answer_at_limit = False
    same = action("shell", command="ls")
    result, model = run(config, [same, same, same, action("final_answer", answer="never")])
    assert result.status == "stuck" and len(model.calls) == 3
    assert "exact action 2 times" in model.calls[2][-1]["content"]


def test_a_repeating_model_is_asked_once_for_the_answer(config: Config) -> None:
    same = action("shell", command="echo 7")
    result, model = run(config, [same, same, same, action("final_answer", answer="7")])
    assert result.status == "answered" and result.answer == "7" and result.steps == 4
    last_prompt = model.calls[3][-1]["content"]
    assert "7" in last_prompt and LAST_CALL["stuck"] in last_prompt, "the third result is shown, then the request"
    events = read_events(result.trace_path)
    assert [event.get("last_call") for event in events if event["type"] == "step"] == [None, None, None, "stuck"]


def test_the_same_action_with_new_results_is_progress_not_a_loop(config: Config) -> None:
    poll = action("shell", command="echo x >> log && wc -l < log")
    result, _ = run(config, [poll] * 4 + [action("final_answer", answer="4 lines")])
    assert result.status == "answered"


def test_no_last_call_when_the_token_budget_is_spent(config: Config) -> None:
    same = action("shell", command="echo 7")
    first, _ = run(config, [same, same, same, action("final_answer", answer="7")])
    steps = [event for event in read_events(first.trace_path) if event["type"] == "step"][:3]
    config.max_total_tokens = sum(step["usage"]["prompt_tokens"] + step["usage"]["completion_tokens"] for step in steps)
    result, model = run(config, [same, same, same, action("final_answer", answer="7")])
    assert result.status == "stuck" and len(model.calls) == 3, "a run out of tokens is not asked once more"


def test_changing_the_thought_does_not_hide_a_repeat(config: Config) -> None:
    outputs = [action("shell", thought=f"try {i}", command="ls") for i in range(3)]
    result, _ = run(config, outputs)
    # The script has no fourth output for the last call: the run stays stuck and says why.
    assert result.status == "stuck" and "asking for a final answer failed" in result.error


def test_model_error_ends_the_run_with_its_message(config: Config) -> None:
    result, _ = run(config, [action("shell", command="echo 1")])  # the script runs out on step 2
    assert result.status == "model_error"
    assert "ran out of outputs" in result.error


def test_trace_records_every_step(config: Config) -> None:
    result, _ = run(config, [action("shell", command="echo traced"), "garbage", action("final_answer", answer="x")])
    events = read_events(result.trace_path)
    kinds = [event["type"] for event in events]
    assert kinds[0] == "workspace" and kinds[1] == "run_start" and kinds[-1] == "run_end"
    steps = [event for event in events if event["type"] == "step"]
    assert [step["step"] for step in steps] == [1, 2, 3]
    assert steps[0]["action"] == {"kind": "tool_call", "thought": "next step", "tool": "shell", "args": {"command": "echo traced"}}
    assert "traced" in steps[0]["observation"]["text"]
    assert steps[0]["messages"][0]["role"] == "system" and steps[0]["messages"][1]["content"] == "do the thing"
    assert "error" in steps[1] and steps[1]["raw"] == "garbage"
    assert set(steps[0]["usage"]) >= {"prompt_tokens", "completion_tokens"}
    assert events[-1]["result"]["status"] == "answered"
    # Each message is stored once across the trace: no step repeats the transcript.
    all_messages = [m["content"] for step in steps for m in step["messages"]]
    assert len(all_messages) == len(set(all_messages))


class LongContextModel:
    """Reports a large prompt so the loop must condense; records what it was sent."""

    name = "long-context"

    def __init__(self, outputs: list[str]):
        self.outputs = outputs
        self.calls: list[list[dict]] = []

    def complete(self, messages, *, constraint=None, stop=None, max_tokens=512, deadline=None):
        self.calls.append([dict(m) for m in messages])
        chars = sum(len(m["content"]) for m in messages)
        return Completion(text=self.outputs[len(self.calls) - 1], usage=Usage(prompt_tokens=chars // 3, completion_tokens=10))


def test_context_is_condensed_not_silently_dropped(config: Config) -> None:
    config.context_tokens = 4000
    config.output_limit_chars = 5000
    big = "python3 -c \"print('x' * 4000)\""
    outputs = [action("shell", command=big + f" # {i}") for i in range(7)] + [action("final_answer", answer="ok")]
    model = LongContextModel(outputs)
    result = run_task("print lots", config, model=model)
    assert result.status == "answered"
    last_prompt = model.calls[-1]
    condensed = [m for m in last_prompt if "observation condensed" in m["content"]]
    assert condensed, "old long observations are replaced by a digest that says what was cut"
    assert last_prompt[1]["content"] == "print lots", "the task itself is never condensed"
    events = read_events(result.trace_path)
    rewrites = [rewrite for event in events if event["type"] == "context_condensed" for rewrite in event["rewritten"]]
    assert rewrites and all("observation condensed" in rewrite["content"] for rewrite in rewrites)
    assert {rewrite["content"] for rewrite in rewrites} == {m["content"] for m in condensed}


def test_result_serializes(config: Config) -> None:
    result, _ = run(config, [action("final_answer", answer="7")])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "answered" and data["answer"] == "7" and data["usage"]["prompt_tokens"] > 0


def test_lone_surrogates_in_a_reply_are_replaced_not_fatal(config: Config) -> None:
    result, model = run(config, ['{"thought": "\ud800", "tool": "final_answer", "args": {"answer": "a\ud800b"}}'])
    assert result.status == "answered" and result.answer == "a\ufffdb"
    (step,) = [e for e in read_events(result.trace_path) if e["type"] == "step"]
    assert step["raw"].startswith('{"thought": "\ufffd"')


def test_surrogates_in_an_observation_reach_the_model_as_valid_unicode(config: Config) -> None:
    from picoagent.tools.registry import Tool

    def emit() -> str:
        """Return text with a lone surrogate."""
        return "out \udcff"

    result, model = run(config, [action("emit"), action("final_answer", answer="ok")], extra_tools=[Tool.from_function(emit)])
    assert result.ok
    assert "out \ufffd" in model.calls[1][-1]["content"]

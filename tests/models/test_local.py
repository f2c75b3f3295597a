"""The embedded backend with the real default model (Gemma 3 270M through llama.cpp)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from picoagent.actions.json_format import JsonFormat
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ModelError
from picoagent.models.base import DEADLINE_REACHED, Constraint, ContextOverflowError
from picoagent.models.local import LocalModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events

pytestmark = pytest.mark.slow


def test_a_constrained_step_is_a_schema_valid_action(local_model, tmp_path: Path) -> None:
    registry = ToolRegistry(builtin_tools(tmp_path))
    json_format = JsonFormat(registry)
    messages = [{"role": "system", "content": json_format.instructions()}, {"role": "user", "content": "How many lines does /etc/passwd have?"}]
    budget = Config().step_max_tokens
    completion = local_model.complete(messages, constraint=json_format.constraint(), max_tokens=budget)
    assert completion.finish_reason == "stop", "the bounds keep a whole action inside the step's token budget"
    action = json_format.parse(completion.text)  # raises if the grammar let anything else through
    tool = registry.get(action.tool)
    assert tool is not None
    tool.args_model.model_validate(action.args)
    assert completion.usage.prompt_tokens > 300, "the system prompt reached the model (Gemma has no system role)"
    assert 0 < completion.usage.completion_tokens <= budget
    assert completion.timings.total_s > 0 and completion.timings.prompt_s is not None


def test_the_finishing_constraint_makes_the_real_model_answer(local_model, tmp_path: Path) -> None:
    json_format = JsonFormat(ToolRegistry(builtin_tools(tmp_path)))
    messages = [
        {"role": "system", "content": json_format.instructions()},
        {"role": "user", "content": "How many lines does notes.txt have?"},
        {"role": "assistant", "content": '{"thought": "count", "tool": "shell", "args": {"command": "wc -l notes.txt"}}'},
        {"role": "user", "content": "Observation:\n7 notes.txt\n[exit code 0]\n\nGive your final answer now."},
    ]
    completion = local_model.complete(messages, constraint=json_format.constraint(finish=True), max_tokens=Config().step_max_tokens)
    action = json_format.parse(completion.text)
    assert action.tool == "final_answer" and action.args["answer"].strip()


def test_the_system_prompt_is_folded_not_dropped(local_model) -> None:
    marker = "The secret word is PELICAN. " * 20
    with_system = local_model.render([{"role": "system", "content": marker}, {"role": "user", "content": "hi"}])[0]
    without = local_model.render([{"role": "user", "content": "hi"}])[0]
    assert len(with_system) > len(without) + 100


def test_the_prefix_cache_is_reused_between_steps(local_model) -> None:
    messages = [{"role": "user", "content": "List three colours. " * 30}]
    first = local_model.complete(messages, max_tokens=8)
    messages += [{"role": "assistant", "content": first.text}, {"role": "user", "content": "And three animals."}]
    second = local_model.complete(messages, max_tokens=8)
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert second.usage.prompt_tokens_evaluated < 40, "only the new turn is evaluated, not the whole prompt again"


def test_max_tokens_bounds_the_completion(local_model) -> None:
    completion = local_model.complete([{"role": "user", "content": "Count from 1 to 500."}], max_tokens=12)
    assert completion.usage.completion_tokens <= 13
    assert completion.finish_reason == "length"


def test_a_call_that_waits_for_the_shared_model_reports_the_wait_apart(local_model) -> None:
    busy: list = []
    thread = threading.Thread(target=lambda: busy.append(local_model.complete([{"role": "user", "content": "Count from 1 to 500."}], max_tokens=64)))
    thread.start()
    time.sleep(0.05)  # the other call has the model by now
    waited = local_model.complete([{"role": "user", "content": "Name a colour."}], max_tokens=4)
    thread.join()
    assert waited.timings.wait_s > busy[0].timings.total_s - 0.1, "it queued behind the whole of the other call"
    assert waited.timings.total_s < waited.timings.wait_s, "the wait is not counted as the call's own time"
    assert local_model.complete([{"role": "user", "content": "Name a colour."}], max_tokens=4).timings.wait_s < 0.05


def test_a_prompt_larger_than_the_context_is_refused(local_model) -> None:
    with pytest.raises(ContextOverflowError, match="exceeds the context"):
        local_model.complete([{"role": "user", "content": "word " * 6000}], max_tokens=16)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        LocalModel(tmp_path / "absent.gguf")
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF" + b"\xff" * 512)
    with pytest.raises(ModelError, match="could not load GGUF model"):
        LocalModel(corrupt)


def test_a_full_cli_run_ends_with_a_status_and_an_exit_code(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run(
        [sys.executable, "-m", "picoagent.cli", "run", "How many lines does /etc/passwd have?", "--max-steps", "3", "--json"],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["status"] in {"answered", "max_steps", "stuck", "invalid_output", "max_tokens", "timeout"}
    assert done.returncode == (0 if result["status"] == "answered" else 1)
    assert 1 <= result["steps"] <= 3 + 1, "three steps, and one last call for the answer"
    assert result["invalid_actions"] == 0, "grammar-constrained output always parses"


# How far past its deadline a call may end in these tests: one token or prompt batch. That is
# well under a second here when the cores are free (benchmarks/bench_deadline.py measures it),
# but with a training job on one of our 2 cores, llama.cpp's 2 threads collapsed and one batch
# took up to 30 s. So these tests show where the call stopped (part way through the prompt,
# or the generation), and bound the time only loosely: in full, either takes minutes.
SHARED_MACHINE_SLACK_S = 10.0
LONG_GRAMMAR = Constraint(grammar="root ::= line{500}\nline ::= [a-z ]{8} \"\\n\"")  # longer than the token budget


@pytest.mark.parametrize("constraint", [None, LONG_GRAMMAR], ids=["free", "constrained"])
def test_the_deadline_stops_generation_between_tokens(base_model, constraint) -> None:
    messages = [{"role": "user", "content": "Count from 1 to 2000, one number per line."}]
    base_model.complete(messages, max_tokens=1)  # the prompt is now cached: the deadline falls in generation
    started = time.monotonic()
    completion = base_model.complete(messages, constraint=constraint, max_tokens=2000, deadline=Deadline(1.5))
    elapsed = time.monotonic() - started
    assert completion.finish_reason == DEADLINE_REACHED
    assert 1.5 <= elapsed < 1.5 + SHARED_MACHINE_SLACK_S, "stopped near the deadline, not 2000 tokens later"
    assert 0 < completion.usage.completion_tokens < 2000 and completion.text, "what came before the deadline is kept"


def test_the_deadline_stops_prompt_evaluation_and_the_cache_stays_sound(local_model) -> None:
    short = [{"role": "user", "content": "Name a colour."}]
    before = local_model.complete(short, max_tokens=12).text
    long = [{"role": "user", "content": " ".join(f"item {i} is {i * 7 % 13}." for i in range(300))}]
    started = time.monotonic()
    cut = local_model.complete(long, max_tokens=16, deadline=Deadline(0.5))
    assert cut.finish_reason == DEADLINE_REACHED and cut.text == "" and cut.usage.completion_tokens == 0
    assert local_model.llm.n_tokens < cut.usage.prompt_tokens, "prompt evaluation stopped part way"
    assert time.monotonic() - started < 0.5 + SHARED_MACHINE_SLACK_S
    assert local_model.complete(short, max_tokens=12).text == before, "a cut prompt leaves the KV cache consistent"


def test_an_embedded_run_with_a_tiny_time_limit_ends_on_time_with_a_complete_trace(base_model, tmp_path: Path) -> None:
    # The base model: the tuned default can finish its short first step and meet the deadline
    # between steps, where no call is in flight to cut off. One second, not two: with its prompt
    # already in the KV cache from earlier tests, the base once finished a step within two.
    config = Config(model="local:base", runs_dir=tmp_path / "runs", workspace=tmp_path, max_wall_s=1.0, context_tokens=4096, step_max_tokens=3000)
    result = run_task("Write a very long story about the sea into story.txt.", config, model=base_model)
    assert result.status == "timeout" and result.error == "the run's time limit of 1s was reached"
    assert result.wall_s < 1.0 + SHARED_MACHINE_SLACK_S
    events = read_events(Path(result.trace_path))
    assert events[-1]["type"] == "run_end" and events[-1]["result"]["status"] == "timeout"
    assert events[-2]["type"] == "step" and events[-2]["cut_off"] is True


def test_local_is_the_base_with_picoagents_adapter_and_local_base_is_without(tmp_path: Path) -> None:
    from picoagent.models import load_model

    tuned, base = load_model("local", n_ctx=512), load_model("local:base", n_ctx=512)
    assert tuned.name == "local:gemma-3-270m-q4_k_m.gguf+adapter:gemma3-270m-picoagent-lora.gguf"
    assert base.name == "local:gemma-3-270m-q4_k_m.gguf"
    prompt = [{"role": "user", "content": "How many lines does notes.txt have?"}]
    assert tuned.complete(prompt, max_tokens=16).text != base.complete(prompt, max_tokens=16).text, "the adapter changes what the model writes"


def test_the_default_model_looks_counts_and_stops_by_itself_without_worked_examples(tmp_path: Path) -> None:
    (tmp_path / "pantry.txt").write_text("flour\nrice\nbeans\nlentils\noats\n")
    config = Config(runs_dir=tmp_path / "runs", workspace=tmp_path, max_steps=4)
    result = run_task("How many lines are in pantry.txt? Reply with just the number.", config)
    assert result.status == "answered" and result.answer.strip() == "5"
    assert result.last_call is None, "it answered on its own, not in a forced last call"
    commands = [e["action"]["args"].get("command", "") for e in read_events(Path(result.trace_path)) if e["type"] == "step" and e.get("action")]
    assert any("pantry.txt" in command for command in commands), "it ran a command on the file"


@pytest.mark.parametrize("constrained", [False, True], ids=["free", "constrained"])
def test_streamed_text_is_the_completion_token_by_token(local_model, tmp_path: Path, constrained: bool) -> None:
    registry = ToolRegistry(builtin_tools(tmp_path))
    constraint = JsonFormat(registry).constraint() if constrained else None
    messages = [{"role": "user", "content": "Count the lines of notes.txt."}]
    pieces: list[str] = []
    streamed = local_model.complete(messages, constraint=constraint, max_tokens=40, on_text=pieces.append)
    plain = local_model.complete(messages, constraint=constraint, max_tokens=40)
    assert len(pieces) > 5 and "".join(pieces) == streamed.text == plain.text

"""The critic: its rules on their own, and as a step of the loop with scripted models."""

from __future__ import annotations

import json

import pytest

from picoagent.agent.critic import Evidence, ModelCritic, RulesCritic, make_critic, parse_critic_spec
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.memory.examples import Example, ExampleStep
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events
from tests.conftest import action

EXAMPLE = Example(
    task="How many rows does prices.csv have, not counting the header?",
    steps=(
        ExampleStep(thought="count", tool="shell", args={"command": "python3 -c 'print(103.0)'"}, observation="103.0\n[exit code 0]"),
        ExampleStep(thought="done", tool="final_answer", args={"answer": "103.0"}),
    ),
)


def verdict(task: str, answer: str, steps=(), examples=()):
    return RulesCritic().verdict(Evidence(task, list(steps), [], examples), answer)


@pytest.mark.parametrize("answer", ["", "  ", "answer", "<answer>", "{answer}", "...", "str", "Your answer here."])
def test_placeholders_are_rejected(answer: str) -> None:
    result = verdict("What is in notes.txt?", answer, [("cat notes.txt", "hello")])
    assert not result.accept and "placeholder" in result.critique


def test_a_number_no_observation_shows_is_rejected() -> None:
    steps = [('{"command": "grep -c x log.txt"}', "grep: log.txt: No such file or directory\n[exit code 2]")]
    result = verdict("How many lines of log.txt contain x? Answer with the number only.", "27", steps)
    assert not result.accept and "27" in result.critique


def test_the_shells_exit_code_grounds_nothing() -> None:
    steps = [('{"command": "cut -d, -f2 sales.csv | paste -sd+"}', "12+30\n[exit code 0]")]
    assert not verdict("What is the total? Answer with the number only.", "0", steps).accept
    assert verdict("What is the total? Answer with the number only.", "12", steps).accept


def test_a_number_an_observation_shows_is_accepted_in_any_spelling() -> None:
    steps = [('{"command": "wc -l notes.txt"}', "1234 notes.txt\n[exit code 0]")]
    assert verdict("How many lines does notes.txt have?", "1,234", steps).accept
    assert verdict("How many lines does notes.txt have?", "There are 1234.0 lines", steps).accept


def test_a_number_the_action_wrote_itself_grounds_nothing() -> None:
    steps = [("print(27)", "27")]
    assert not verdict("How many users are active?", "27", steps).accept
    assert verdict("How many users are active?", "27", [*steps, ("print(sum(active))", "27")]).accept
    # Digits in a name are not a number the action wrote.
    assert verdict("How many users are active?", "3", [("python3 -c 'import sqlite3; print(count())'", "3")]).accept


def test_a_copied_example_answer_is_rejected_unless_the_run_found_it() -> None:
    copied = [("{\"command\": \"python3 -c 'print(103.0)'\"}", "103.0\n[exit code 0]")]
    result = verdict("What is the total of the amount column of sales.csv?", "103.0", copied, [EXAMPLE])
    assert not result.accept and "worked example" in result.critique
    found = [('{"command": "awk -F, \'{s+=$2} END {print s}\' sales.csv"}', "103.0\n[exit code 0]")]
    assert verdict("What is the total of the amount column of sales.csv?", "103.0", found, [EXAMPLE]).accept


def test_the_kind_of_answer_the_task_asks_for() -> None:
    steps = [("ls", "a.py b.txt")]
    assert not verdict("How many files are there? Answer with the number only.", "several", steps).accept
    assert verdict("How many files are there? Answer with the number only.", "two", steps).accept
    assert not verdict("Which file has TODO? Answer with its path relative to the workspace.", "the first one", steps).accept
    assert verdict("Which file has TODO? Answer with its path relative to the workspace.", "a.py", steps).accept
    assert verdict("Which script is not executable? Answer with its file name only.", "deploy", [("ls -l", "deploy")]).accept
    assert verdict("Which region sells most? Answer with the region name only.", "north", steps).accept


def test_critic_specs() -> None:
    assert parse_critic_spec("off") == ("off", None)
    assert parse_critic_spec("model:openai:gpt") == ("model", "openai:gpt")
    for bad in ("rule", "rules:x", "model:", "judge"):
        with pytest.raises(ConfigError):
            parse_critic_spec(bad)
    model = ScriptedModel([])
    assert make_critic("off", model, n_ctx=1024) is None
    assert isinstance(make_critic("model", model, n_ctx=1024), ModelCritic)


def run(config: Config, outputs: list[str], task: str, **kwargs):
    model = ScriptedModel(outputs)
    return run_task(task, config, model=model, **kwargs), model


TASK = "How many lines does notes.txt have? Answer with the number only."


def test_the_critic_rejects_a_copied_example_answer_then_accepts_a_grounded_one(config: Config, monkeypatch) -> None:
    (config.workspace / "notes.txt").write_text("a\nb\nc\n")
    monkeypatch.setattr("picoagent.memory.examples.ExampleLibrary.select", lambda self, task, k, **tools: [EXAMPLE])
    config = config.model_copy(update={"critic": "rules", "examples": 1})
    outputs = [
        action("shell", command="python3 -c 'print(103.0)'"),
        action("final_answer", answer="103.0"),
        action("shell", command="wc -l < notes.txt"),
        action("final_answer", answer="3"),
    ]
    result, model = run(config, outputs, TASK)
    assert result.status == "answered" and result.answer == "3" and result.review == "accepted"
    critique = model.calls[2][-1]["content"]
    assert critique.startswith("Your answer was not accepted:") and "worked example" in critique
    reviews = [event["review"] for event in read_events(result.trace_path) if event["type"] == "step" and "review" in event]
    assert [review["accept"] for review in reviews] == [False, True]
    assert read_events(result.trace_path)[-1]["result"]["review"] == "accepted"


def test_reviews_are_bounded_and_the_last_rejection_ends_the_run(config: Config) -> None:
    config = config.model_copy(update={"critic": "rules", "critic_max_reviews": 2})
    outputs = [action("final_answer", answer="27"), action("final_answer", answer="27"), action("final_answer", answer="27")]
    result, model = run(config, outputs, TASK)
    assert result.status == "rejected" and result.answer == "27" and not result.ok
    assert result.steps == 2 and len(model.calls) == 2, "the second rejection is the last review: no third answer is asked for"
    assert "appears in no output" in result.error


def test_the_critic_reviews_within_the_step_limit(config: Config) -> None:
    config = config.model_copy(update={"critic": "rules", "critic_max_reviews": 5, "max_steps": 2})
    outputs = [action("final_answer", answer="27"), action("final_answer", answer="27"), action("final_answer", answer="27")]
    result, _ = run(config, outputs, TASK)
    # Steps 1 and 2 answer and are rejected; the limit's last call answers again and is rejected for good.
    assert result.status == "rejected" and result.steps == 3 and result.last_call == "max_steps"


def test_an_accepted_last_call_answer_is_not_a_guess(config: Config) -> None:
    (config.workspace / "notes.txt").write_text("a\nb\nc\n")
    outputs = [action("shell", command="wc -l < notes.txt"), action("shell", command="cat notes.txt"), action("final_answer", answer="3")]
    guessed, _ = run(config.model_copy(update={"max_steps": 2}), outputs, TASK)
    assert guessed.status == "answered" and guessed.last_call == "max_steps" and guessed.guessed
    reviewed, _ = run(config.model_copy(update={"max_steps": 2, "critic": "rules"}), outputs, TASK)
    assert reviewed.review == "accepted" and not reviewed.guessed


def test_the_model_critic_gives_a_schema_constrained_verdict(config: Config) -> None:
    config = config.model_copy(update={"critic": "model"})
    outputs = [
        action("final_answer", answer="5"),
        "I think it is wrong",  # not JSON: repaired
        json.dumps({"accept": False, "critique": "You did not count the lines."}),
        action("shell", command="wc -l < notes.txt"),
        action("final_answer", answer="0"),
        json.dumps({"accept": True, "critique": ""}),
    ]
    result, model = run(config, outputs, TASK)
    assert result.status == "answered" and result.answer == "0" and result.review == "accepted"
    assert model.constraints[1].schema["properties"]["critique"]["maxLength"] == 300
    assert model.calls[1][:-1] == model.calls[0] + [{"role": "assistant", "content": outputs[0]}], "the review extends the run's transcript"
    assert "You did not count the lines." in model.calls[3][-1]["content"]
    reviews = [event["review"] for event in read_events(result.trace_path) if event["type"] == "step" and "review" in event]
    assert reviews[0]["accept"] is False and reviews[0]["usage"]["completion_tokens"] > 0
    assert result.usage.completion_tokens == sum(len(text.split()) for text in outputs), "review tokens count for the run"


def test_a_model_critic_that_cannot_decide_lets_the_answer_stand(config: Config) -> None:
    config = config.model_copy(update={"critic": "model"})
    result, _ = run(config, [action("final_answer", answer="5"), "no", "still no", "nope"], TASK)
    assert result.status == "answered" and result.review is None
    review = next(event["review"] for event in read_events(result.trace_path) if event["type"] == "step")
    assert review["accept"] is None and "no valid reply" in review["error"]


TASK_ON_FILES = "How many lines does notes.txt have? Answer with the number only."


@pytest.mark.slow
@pytest.mark.parametrize("critic", ["rules", "model"])
def test_the_embedded_model_with_a_critic_ends_with_a_status(config: Config, local_model, critic: str) -> None:
    (config.workspace / "notes.txt").write_text("one\ntwo\nthree\n")
    config = config.model_copy(update={"critic": critic, "max_steps": 4, "sandbox": "off"})
    result = run_task(TASK_ON_FILES, config, model=local_model)
    assert result.status in {"answered", "rejected", "max_steps", "stuck", "invalid_output"}, result.error
    reviews = [event["review"] for event in read_events(result.trace_path) if event["type"] == "step" and "review" in event]
    if result.status in {"answered", "rejected"}:
        assert reviews and reviews[-1]["critic"].startswith(critic)
    assert len(reviews) <= config.critic_max_reviews


@pytest.mark.slow
@pytest.mark.parametrize("critic", ["rules", "model"])
def test_a_critic_over_the_server_ends_with_a_status(config: Config, llama_server: str, critic: str) -> None:
    from picoagent.models.openai_compat import OpenAIModel

    (config.workspace / "notes.txt").write_text("one\ntwo\nthree\n")
    config = config.model_copy(update={"critic": critic, "max_steps": 3, "actions": "json", "sandbox": "off"})
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    result = run_task(TASK_ON_FILES, config, model=model)
    assert result.status in {"answered", "rejected", "max_steps", "stuck", "invalid_output"}, result.error
    reviews = [event["review"] for event in read_events(result.trace_path) if event["type"] == "step" and "review" in event]
    if critic == "model" and reviews:
        assert all(review["accept"] is not None for review in reviews), "the server enforces the verdict's schema"

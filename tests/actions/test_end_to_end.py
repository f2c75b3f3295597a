"""Whole runs in code and text modes with a scripted model, through the same loop as JSON runs."""

from __future__ import annotations

import pytest

from picoagent.actions import FORMAT_NAMES, make_format
from picoagent.agent.session import default_action_format, run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.models.scripted import ScriptedModel
from picoagent.tools.registry import ToolRegistry

CODE_RUN = [
    "I will write the data.\n```python\nwrite_file('data.csv', 'a,1\\nb,2\\nc,3\\n')\nrows = [line.split(',') for line in read_file('data.csv').splitlines()[1:]]\nlen(rows)\n```",
    "Now sum the second column; `rows` is still defined.\n```python\ntotal = sum(int(value) for _, value in rows)\nprint(total)\n```",
    "A typo first.\n```python\nprint(totl)\n```",
    "Done.\n```python\nfinal_answer(total)\n```",
]


@pytest.mark.slow
def test_code_run_keeps_state_across_steps_and_answers(config: Config) -> None:
    model = ScriptedModel(CODE_RUN)
    result = run_task("Sum the numbers.", config.model_copy(update={"actions": "code"}), model=model)
    assert (result.status, result.answer, result.steps) == ("answered", "6", 4)
    shown = [call[-1]["content"] for call in model.calls[1:]]
    assert shown[0] == "Output:\nOut: 3"
    assert shown[1] == "Output:\n6"
    assert shown[2].startswith("Error:\n") and "NameError: name 'totl' is not defined" in shown[2]
    assert "def read_file(" in model.calls[0][0]["content"], "the system prompt shows tools as Python functions"


@pytest.mark.slow
def test_the_same_failing_code_is_a_repeat_although_the_cell_number_changes(config: Config) -> None:
    broken = "Try again.\n```python\nprint(shell('a 'b'))\n```"
    model = ScriptedModel([broken] * 3 + ["I give up.\n```python\nfinal_answer('unknown')\n```"])
    result = run_task("Do it.", config.model_copy(update={"actions": "code"}), model=model)
    shown = [call[-1]["content"] for call in model.calls[1:3]]
    assert "Cell In[" in shown[0] and shown[0] != shown[1], "the model sees each traceback with its cell number"
    assert (result.status, result.answer, result.steps) == ("answered", "unknown", 4), "the third identical failure asks for the answer"
    assert "You keep repeating the same action" in model.calls[3][-1]["content"]


def test_text_run_calls_tools_and_finishes_with_a_final_answer(config: Config) -> None:
    model = ScriptedModel(
        [
            'Thought: I will write the file.\nAction: write_file\nAction Input: {"path": "a.txt", "content": "hello"}',
            "Thought: Check it.\nAction: shell\nAction Input: cat a.txt\nObservation: hello",
            "I am sure now.\nFinal Answer: hello",
        ]
    )
    result = run_task("Write hello to a.txt and report it.", config.model_copy(update={"actions": "text"}), model=model)
    assert (result.status, result.answer, result.steps) == ("answered", "hello", 3)
    assert model.calls[1][-1]["content"] == "Observation: wrote 5 characters to a.txt"
    assert model.calls[2][-1]["content"] == "Observation: hello\n[exit code 0]"


def test_text_run_repairs_a_malformed_action(config: Config) -> None:
    model = ScriptedModel(["Thought: hmm, let me think.", "Final Answer: 7"])
    result = run_task("What is 3 + 4?", config.model_copy(update={"actions": "text"}), model=model)
    assert (result.status, result.answer, result.invalid_actions) == ("answered", "7", 1)
    assert "no action" in model.calls[1][-1]["content"]


def test_default_format_is_code_over_the_api_and_json_for_the_embedded_model() -> None:
    assert default_action_format(ScriptedModel([], name="openai:gpt-4o-mini")) == "code"
    assert default_action_format(ScriptedModel([], name="local:gemma-3-270m.gguf")) == "json"


def test_every_format_name_is_registered_and_unknown_ones_are_a_one_line_error(config: Config, tmp_path) -> None:
    registry = ToolRegistry()
    assert {make_format(name, registry, workspace=tmp_path, config=config).name for name in FORMAT_NAMES} == {"json", "code", "text", "plan", "dag"}
    with pytest.raises(ConfigError, match="unknown action format 'yaml': use one of json, code, text, plan, dag"):
        make_format("yaml", registry, workspace=tmp_path, config=config)


@pytest.mark.slow
def test_a_last_call_whose_code_fails_ends_with_a_status_that_names_the_error(config: Config) -> None:
    # Over a server that takes no grammar, the model can still write final_answer(answer).
    model = ScriptedModel(["Look.\n```python\nprint(1)\n```", "Answer.\n```python\nfinal_answer(answer)\n```"])
    result = run_task("Do it.", config.model_copy(update={"actions": "code", "max_steps": 1}), model=model)
    assert result.status == "max_steps" and result.answer is None
    assert "its code failed: NameError: name 'answer' is not defined" in result.error


@pytest.mark.slow
def test_the_embedded_model_forced_to_answer_in_code_mode_answers(config: Config, local_model) -> None:
    (config.workspace / "notes.txt").write_text("one\ntwo\nthree\n")
    code = config.model_copy(update={"actions": "code", "max_steps": 1, "sandbox": "off"})
    result = run_task("How many lines does notes.txt have?", code, model=local_model)
    if result.last_call is not None:  # the model did not answer in its one step: the last call must
        assert result.status == "answered" and result.guessed, result.error

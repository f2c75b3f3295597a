"""Worked examples: the shipped library is well-formed, selection finds the closest tasks, every format renders them."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions import FORMAT_NAMES, make_format
from picoagent.actions.base import ToolCall
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.memory.context import Context
from picoagent.memory.examples import DEFAULT_LIBRARY, Example, ExampleLibrary, default_library, demonstration
from picoagent.models.scripted import ScriptedModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events
from tests.conftest import action
from tests.heldout import names_in, suite_names_among

BUILTINS = ["shell", "read_file", "write_file", "edit_file", "final_answer"]


def example(task: str, tool: str = "shell") -> Example:
    return Example.model_validate(
        {
            "task": task,
            "steps": [
                {"thought": "look", "tool": tool, "args": {"command": "ls"}, "observation": "a.txt\n[exit code 0]"},
                {"thought": "done", "tool": "final_answer", "args": {"answer": "a.txt"}},
            ],
        }
    )


def test_every_shipped_example_is_a_valid_solved_task(tmp_path: Path) -> None:
    registry = ToolRegistry(builtin_tools(tmp_path))
    library = default_library()
    assert len(library.examples) >= 20
    for item in library.examples:
        *actions, answer = item.steps
        assert answer.tool == "final_answer" and answer.observation is None, item.task
        for step in actions:
            tool = registry.get(step.tool)
            assert tool is not None and not tool.ends_run, item.task
            tool.args_model.model_validate(step.args)  # raises on arguments the tool would refuse
            assert step.observation, item.task
            if step.tool == "shell":
                assert step.observation.endswith(("[exit code 0]", "[exit code 1]")), f"{item.task}: not what shell prints"
        registry.get("final_answer").args_model.model_validate(answer.args)


def test_no_example_uses_a_file_or_folder_name_of_the_eval_suites() -> None:
    # The eval baselines are measured with the examples on: an example that names a suite's
    # file would hand the model that task's command.
    names = names_in(DEFAULT_LIBRARY.read_text())
    assert len(names) > 30
    assert suite_names_among(names) == []


def test_selection_prefers_rare_shared_words_and_puts_the_best_last() -> None:
    library = ExampleLibrary([example("How many lines does notes.txt have?"), example("How many words are in a.txt?"), example("Sort the csv file")])
    chosen = library.select("How many lines does /etc/passwd have?", 2, tools=BUILTINS)
    assert [item.task for item in chosen] == ["How many words are in a.txt?", "How many lines does notes.txt have?"]


def test_selection_skips_unrelated_tasks_and_missing_tools() -> None:
    library = ExampleLibrary([example("Open the web page", tool="open_url"), example("Count the lines of a file")])
    assert library.select("What is it about?", 2, tools=BUILTINS) == [], "stop words alone never match"
    assert library.select("Open the web page and count its lines", 2, tools=BUILTINS) == [library.examples[1]]
    assert library.select("Count the lines", 0, tools=BUILTINS) == []


def test_a_broken_library_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text("- task: no steps\n")
    with pytest.raises(ConfigError, match="cannot load worked examples"):
        ExampleLibrary.load(path)


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_each_format_reads_back_the_calls_it_renders(tmp_path: Path, name: str) -> None:
    action_format = make_format(name, ToolRegistry(builtin_tools(tmp_path)), workspace=tmp_path, config=Config())
    call = ToolCall(thought="Sum the column.", tool="shell", args={"command": "awk -F, '{s+=$2} END {print s}' \"a b.csv\""})
    parsed = action_format.parse(action_format.render_call(call))
    if name == "code":
        assert parsed.thought == call.thought
        assert parsed.code == "print(shell('awk -F, \\'{s+=$2} END {print s}\\' \"a b.csv\"'))"
        assert action_format.render_call(ToolCall(thought="Done.", tool="final_answer", args={"answer": "7"})).endswith("final_answer('7')\n```")
    elif name == "plan":  # the step in words; the arguments are the caller's to write
        assert (parsed.thought, parsed.task, parsed.tool) == (call.thought, call.thought, call.tool)
    elif name == "dag":
        assert [(item.id, item.tool, item.args, item.after) for item in parsed.calls] == [(1, call.tool, call.args, [])]
    else:
        assert (parsed.thought, parsed.tool, parsed.args) == (call.thought, call.tool, call.args)


def test_demonstration_turns_sit_between_the_instructions_and_the_task(tmp_path: Path) -> None:
    action_format = make_format("json", ToolRegistry(builtin_tools(tmp_path)), workspace=tmp_path, config=Config())
    turns = demonstration([example("List the files")], action_format)
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[0]["content"] == "List the files" and turns[2]["content"] == "Observation:\na.txt\n[exit code 0]"
    context = Context("system", "the task", budget_tokens=100, keep_recent=0, examples=[*turns[:2], {"role": "user", "content": "x" * 5000}, turns[3]])
    assert context.messages[-1]["content"] == "the task"
    context.append("assistant", "step")
    context.append("user", "y" * 5000)
    rewritten = context.condense()
    assert [item["index"] for item in rewritten] == [7], "only the run's own observations are condensed, never an example"


def test_the_embedded_model_gets_examples_by_default_and_none_on_request(config: Config) -> None:
    answer = [action("final_answer", answer="3")]
    model = ScriptedModel(answer, name="local:tiny.gguf")
    result = run_task("How many lines does the file notes.txt have?", config, model=model)
    first_prompt = model.calls[0]
    assert len(first_prompt) > 2 and first_prompt[-1]["content"] == "How many lines does the file notes.txt have?"
    start = next(event for event in read_events(result.trace_path) if event["type"] == "run_start")
    assert len(start["examples"]) == 2 and "How many lines does the file todo.md have?" in start["examples"]

    config.examples = 0
    model = ScriptedModel(answer, name="local:tiny.gguf")
    run_task("How many lines does the file notes.txt have?", config, model=model)
    assert [message["role"] for message in model.calls[0]] == ["system", "user"]


def test_other_models_get_no_examples_unless_asked(config: Config) -> None:
    model = ScriptedModel([action("final_answer", answer="3")], name="openai:big")
    run_task("How many lines does the file notes.txt have?", config, model=model)
    assert len(model.calls[0]) == 2
    config.examples = 1
    model = ScriptedModel([action("final_answer", answer="3")], name="openai:big")
    run_task("How many lines does the file notes.txt have?", config, model=model)
    assert len(model.calls[0]) > 2


def test_a_task_with_its_own_tools_gets_only_examples_that_use_them() -> None:
    library = ExampleLibrary([example("What is the price of item A?", tool="get_price"), example("What is the total of the price column?")])
    tools = [*BUILTINS, "get_price", "get_stock"]
    assert library.select("What is the total price of item A?", 2, tools=tools, own_tools=["get_price", "get_stock"]) == [library.examples[0]]
    assert library.select("What is the stock of item A?", 2, tools=tools, own_tools=["get_stock"]) == [], "no shell example instead"
    assert len(library.select("What is the total price of item A?", 2, tools=tools)) == 2


def test_a_run_with_custom_tools_shows_no_builtin_only_examples(config: Config) -> None:
    def get_price(sku: str) -> float:
        """Price of one unit of an item.

        Args:
            sku: The item code.
        """
        return 3.2

    model = ScriptedModel([action("final_answer", answer="3.2")], name="local:tiny.gguf")
    result = run_task("How many lines does the file notes.txt have? Use the price tool.", config, model=model, extra_tools=[get_price])
    start = next(event for event in read_events(result.trace_path) if event["type"] == "run_start")
    assert start["examples"] == [] and len(model.calls[0]) == 2

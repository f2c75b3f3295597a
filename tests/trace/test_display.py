"""How a recorded step is shown, live and in `runs show`."""

from __future__ import annotations

from rich.console import Console

from picoagent.trace.display import EventPrinter


def test_a_step_cut_off_at_the_deadline_is_shown_as_such_not_as_an_invalid_action() -> None:
    console = Console(record=True, width=120)
    step = {
        "step": 3, "raw": '{"thought": "write the sto', "usage": {}, "timings": {"total_s": 1.2},
        "cut_off": True, "error": "the time limit came during the model call; no action was run",
    }
    EventPrinter(console)("step", step)
    text = console.export_text()
    assert "model output, cut off" in text and "write the sto" in text
    assert "no action was run" in text and "invalid action" not in text


def _shown(trace_path: str) -> str:
    from picoagent.trace.recorder import read_events

    console = Console(record=True, width=160)
    printer = EventPrinter(console)
    for event in read_events(trace_path):
        printer(event["type"], event)
    return console.export_text()


def test_runs_show_displays_the_plan_step_the_repaired_caller_and_its_arguments(config) -> None:
    import json

    from picoagent.agent.session import run_task
    from picoagent.models.scripted import ScriptedModel

    model = ScriptedModel(
        [
            json.dumps({"thought": "look", "task": "List the files.", "tool": "shell"}),
            '{"cmd": "ls"}',
            '{"command": "ls -1"}',
            json.dumps({"thought": "done", "task": "Give the final answer: none", "tool": "final_answer"}),
            '{"answer": "none"}',
        ]
    )
    result = run_task("List files", config.model_copy(update={"actions": "plan"}), model=model)
    text = _shown(result.trace_path)
    assert "plan: List the files. with shell" in text
    assert 'caller wrote (invalid, repaired): {"cmd": "ls"}' in text
    assert 'shell {"command": "ls -1"}  caller scripted' in text and "2 tries" in text
    assert "answer: none" in text


def test_runs_show_displays_a_dag_batch_with_a_timeline_per_call(config) -> None:
    import json

    from picoagent.agent.session import run_task
    from picoagent.models.scripted import ScriptedModel

    calls = [
        {"id": 1, "tool": "shell", "args": {"command": "sleep 0.3; echo a"}, "after": []},
        {"id": 2, "tool": "shell", "args": {"command": "echo $1"}, "after": [1]},
    ]
    model = ScriptedModel([json.dumps({"thought": "go", "calls": calls}), json.dumps({"thought": "ok", "calls": [{"id": 1, "tool": "final_answer", "args": {"answer": "a"}, "after": []}]})])
    result = run_task("Echo", config.model_copy(update={"actions": "dag"}), model=model)
    lines = _shown(result.trace_path).splitlines()
    first = next(line for line in lines if line.startswith("[1] shell"))
    second = next(line for line in lines if line.startswith("[2] shell"))
    assert '{"command": "echo a"} after 1' in second, "the arguments as run, with the reference filled in"
    assert first.index("█") < second.index("█"), "the second call's bar starts where the first one's ends"


def test_a_step_that_queued_for_a_shared_model_says_how_long_apart_from_its_own_time() -> None:
    console = Console(record=True, width=120)
    printer = EventPrinter(console)
    printer("step", {"step": 1, "raw": "", "usage": {}, "timings": {"total_s": 0.4, "wait_s": 2.5}})
    printer("step", {"step": 2, "raw": "", "usage": {}, "timings": {"total_s": 0.4, "wait_s": 0.0}})
    first, second = [line for line in console.export_text().splitlines() if line.startswith("step ")]
    assert "0.4s after waiting 2.5s for the model" in first
    assert "waiting" not in second

"""`picoagent chat --confirm` driven through a real terminal (pexpect): follow-ups, approval, refusal."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from picoagent.trace.recorder import list_runs, read_events
from tests.conftest import action

CHOICES = r"\[y\]es / \[n\]o / \[e\]dit / \[a\]lways\? "


def spawn_chat(*args: str, runs_dir: Path, timeout: float = 60) -> pexpect.spawn:
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir), "TERM": "dumb", "COLUMNS": "120"}
    env.pop("VISUAL", None), env.pop("EDITOR", None)
    return pexpect.spawn(sys.executable, ["-m", "picoagent.cli", "chat", *args], env=env, encoding="utf-8", timeout=timeout, dimensions=(40, 120))


def traces(runs_dir: Path) -> list[list[dict]]:
    """Each run's events, oldest run first."""
    return [read_events(runs_dir / item["id"] / "trace.jsonl") for item in reversed(list_runs(runs_dir))]


def test_two_turns_with_approval_a_refusal_and_an_edit(tmp_path: Path, runs_dir: Path) -> None:
    workspace = tmp_path / "ws"
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                # Turn 1: approved.
                action("shell", thought="write the events", command="printf 'launch 2024-03-01\\nkickoff 2024-01-05\\n' > events.txt"),
                action("final_answer", answer="I wrote events.txt"),
                # Turn 2, a follow-up: the first command is refused, the second edited before it runs.
                action("shell", thought="clean up first", command="rm -f events.txt"),
                action("shell", thought="sort it", command="sort -k2 events.txt > sorted.txt"),
                action("final_answer", answer="sorted by date"),
            ]
        )
    )
    chat = spawn_chat("--confirm", "--model", f"scripted:{script}", "--workspace", str(workspace), "--sandbox", "off", runs_dir=runs_dir)
    chat.expect_exact("> ")
    chat.sendline("write two dated events to events.txt")
    chat.expect("run this shell command")
    chat.expect(CHOICES)
    chat.sendline("y")
    chat.expect_exact("answer: I wrote events.txt")
    chat.expect_exact("> ")
    chat.sendline("now sort it by date")
    chat.expect("rm -f events.txt")
    chat.expect(CHOICES)
    chat.sendline("n")
    chat.expect("refused")
    chat.expect("sort -k2 events.txt")
    chat.expect(CHOICES)
    chat.sendline("e")
    chat.expect_exact("edit: ")
    chat.send("\x15")  # Ctrl-U clears the prefilled command
    chat.sendline("sort -k2 events.txt > by_date.txt")
    chat.expect_exact("answer: sorted by date")
    chat.expect_exact("> ")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0

    # Both turns worked in one workspace; the edited command ran, the refused one did not.
    assert (workspace / "by_date.txt").read_text() == "kickoff 2024-01-05\nlaunch 2024-03-01\n"
    assert (workspace / "events.txt").exists() and not (workspace / "sorted.txt").exists()

    first, second = traces(runs_dir)
    assert first[-1]["result"]["status"] == second[-1]["result"]["status"] == "answered"
    assert second[0]["type"] == "workspace" and second[0]["follows"] == first[-1]["result"]["run_id"]
    steps = [event for event in second if event["type"] == "step"]
    # The follow-up's prompt continues the first run's: its task, its actions and answer, then the new task.
    prompt = [message["content"] for message in steps[0]["messages"]]
    first_prompt = [message["content"] for message in next(e for e in first if e["type"] == "step")["messages"]]
    assert prompt[: len(first_prompt)] == first_prompt
    assert "I wrote events.txt" in prompt[-2] and prompt[-1] == "now sort it by date"
    assert "refused" in steps[0]["observation"]["text"] and steps[0]["observation"]["is_error"]
    assert "It ran as:\nsort -k2 events.txt > by_date.txt" in steps[1]["observation"]["text"]


def test_always_stops_asking_and_end_of_input_ends_the_chat(tmp_path: Path, runs_dir: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([action("shell", command="echo one"), action("shell", command="echo two"), action("final_answer", answer="done")]))
    chat = spawn_chat("--confirm", "--model", f"scripted:{script}", "--workspace", str(tmp_path), "--sandbox", "off", runs_dir=runs_dir)
    chat.expect_exact("> ")
    chat.sendline("echo twice")
    chat.expect(CHOICES)
    chat.sendline("a")
    chat.expect_exact("answer: done")
    assert "echo two" in chat.before and "[a]lways" not in chat.before  # the second command ran unasked
    chat.expect_exact("> ")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_a_bad_option_is_one_line(tmp_path: Path, runs_dir: Path) -> None:
    chat = spawn_chat("--model", "gpt5", runs_dir=runs_dir)
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 2
    assert "unknown model spec 'gpt5'" in chat.before and "Traceback" not in chat.before
    assert list_runs(runs_dir) == []


@pytest.mark.slow
def test_the_embedded_model_streams_and_hears_a_refusal(tmp_path: Path, runs_dir: Path) -> None:
    """Gemma 3 270M through two turns: its tokens stream, the first command is refused, later ones run."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("alpha beta\ngamma\ndelta epsilon zeta\n")
    chat = spawn_chat("--confirm", "--model", "local", "--workspace", str(workspace), "--max-steps", "2", "--sandbox", "off", runs_dir=runs_dir, timeout=400)
    answers = iter(["n"])  # refuse the first command, then approve
    for task in ("How many lines does notes.txt have?", "Now count the words in notes.txt."):
        chat.expect_exact("> ")
        chat.sendline(task)
        while chat.expect([CHOICES, r"steps, [\d.]+s, run "]) == 0:
            assert '"thought"' in chat.before  # the action streamed before it was shown for approval
            chat.sendline(next(answers, "y"))
    chat.expect_exact("> ")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0
    first, second = traces(runs_dir)
    observations = [event["observation"]["text"] for event in first + second if event["type"] == "step" and "observation" in event]
    shell_steps = [event for event in first + second if event["type"] == "step" and (event.get("action") or {}).get("tool") == "shell"]
    assert shell_steps, "the model ran no command in either turn"
    assert shell_steps[0]["observation"]["text"].startswith("The user refused")
    assert second[0]["follows"] == first[-1]["result"]["run_id"] and len(observations) >= 1

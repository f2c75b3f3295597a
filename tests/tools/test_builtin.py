"""The built-in tools on a real filesystem and real bash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry


@pytest.fixture
def registry(tmp_path: Path) -> ToolRegistry:
    return ToolRegistry(builtin_tools(tmp_path, shell_timeout_s=2, output_limit=1000), output_limit=1000)


def test_shell_reports_output_and_exit_code(registry: ToolRegistry, tmp_path: Path) -> None:
    text = registry.call("shell", {"command": "pwd; echo err >&2; exit 3"}).text
    assert str(tmp_path) in text and "err" in text and "[exit code 3]" in text


def test_shell_timeout_kills_the_command_and_its_children(registry: ToolRegistry, tmp_path: Path) -> None:
    text = registry.call("shell", {"command": "(sleep 30; touch late) & sleep 30"}).text
    assert "timed out after 2s" in text

    time.sleep(0.5)
    assert not (tmp_path / "late").exists()


def test_shell_output_is_bounded_even_when_huge(registry: ToolRegistry) -> None:
    text = registry.call("shell", {"command": "yes | head -c 50000000; echo END"}).text
    assert len(text) < 1500
    assert text.startswith("y\ny") and "END" in text and "omitted" in text


def test_shell_gets_no_stdin(registry: ToolRegistry) -> None:
    text = registry.call("shell", {"command": "read x; echo got:$x"}).text
    assert "got:" in text and "[exit code 0]" in text


def test_read_file_ranges(registry: ToolRegistry, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("\n".join(f"l{i}" for i in range(1, 11)))
    text = registry.call("read_file", {"path": "f.txt", "start_line": 3, "end_line": 4}).text
    assert text == "[f.txt: lines 3-4 of 10]\nl3\nl4"
    assert "has only 10 lines" in registry.call("read_file", {"path": "f.txt", "start_line": 50}).text
    missing = registry.call("read_file", {"path": "nope.txt"})
    assert missing.is_error and "no such file: nope.txt" in missing.text


def test_write_then_edit(registry: ToolRegistry, tmp_path: Path) -> None:
    registry.call("write_file", {"path": "sub/a.py", "content": "x = 1\ny = 1\n"})
    assert (tmp_path / "sub/a.py").read_text() == "x = 1\ny = 1\n"
    ambiguous = registry.call("edit_file", {"path": "sub/a.py", "old_text": "= 1", "new_text": "= 2"})
    assert ambiguous.is_error and "occurs 2 times" in ambiguous.text
    assert (tmp_path / "sub/a.py").read_text() == "x = 1\ny = 1\n", "a refused edit changes nothing"
    assert not registry.call("edit_file", {"path": "sub/a.py", "old_text": "y = 1", "new_text": "y = 2"}).is_error
    assert (tmp_path / "sub/a.py").read_text() == "x = 1\ny = 2\n"
    registry.call("edit_file", {"path": "sub/a.py", "old_text": " = ", "new_text": "=", "replace_all": True})
    assert (tmp_path / "sub/a.py").read_text() == "x=1\ny=2\n"
    absent = registry.call("edit_file", {"path": "sub/a.py", "old_text": "zzz", "new_text": "q"})
    assert absent.is_error and "not found" in absent.text


def test_writes_outside_the_workspace_are_refused(registry: ToolRegistry, tmp_path: Path) -> None:
    outside = tmp_path.parent / "escape.txt"
    for path in (str(outside), "../escape.txt"):
        observation = registry.call("write_file", {"path": path, "content": "x"})
        assert observation.is_error and "outside the workspace" in observation.text
    assert not outside.exists()


def test_final_answer_ends_the_run(registry: ToolRegistry) -> None:
    observation = registry.call("final_answer", {"answer": "42"})
    assert observation.final_answer == "42"


def test_a_hard_link_to_a_file_outside_is_not_written(registry: ToolRegistry, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    outside.write_text("keep me")
    os.link(outside, tmp_path / "linked.txt")
    for tool, args in (("write_file", {"content": "pwned"}), ("edit_file", {"old_text": "keep", "new_text": "lose"})):
        observation = registry.call(tool, {"path": "linked.txt", **args})
        assert observation.is_error and "hard links" in observation.text
    assert outside.read_text() == "keep me"


def test_symlinks_in_the_workspace_are_not_followed(registry: ToolRegistry, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "f.txt").write_text("keep me")
    (tmp_path / "file-link").symlink_to(outside / "f.txt")
    (tmp_path / "dir-link").symlink_to(outside)
    for path in ("file-link", "dir-link/f.txt", "dir-link/new.txt"):
        observation = registry.call("write_file", {"path": path, "content": "pwned"})
        assert observation.is_error and "symbolic link" in observation.text, observation.text
    assert registry.call("edit_file", {"path": "dir-link/f.txt", "old_text": "keep", "new_text": "lose"}).is_error
    assert (outside / "f.txt").read_text() == "keep me" and not (outside / "new.txt").exists()


# Swaps a workspace folder for a link to `outside` and back, a few microseconds apart.
FLIP = """
import os, sys
folder, outside = sys.argv[1:]
for turn in range(10**9):
    try:
        if os.path.islink(folder):
            os.unlink(folder)
            os.mkdir(folder)
        else:
            os.rename(folder, f"{folder}-{turn}")
            os.symlink(outside, folder)
    except OSError:
        pass
"""


def test_a_symlink_swapped_in_during_writes_never_gets_through(registry: ToolRegistry, tmp_path: Path) -> None:
    """The check-then-write race: another process flips a folder between real and a link to outside."""
    outside = tmp_path.parent / f"{tmp_path.name}-target"
    outside.mkdir()
    flipper = subprocess.Popen([sys.executable, "-c", FLIP, str(tmp_path / "d"), str(outside)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcomes = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(outcomes) < 400 or min(sum(outcomes), len(outcomes) - sum(outcomes)) < 20):
            outcomes.append(registry.call("write_file", {"path": f"d/f{len(outcomes)}.txt", "content": "x"}).is_error)
    finally:
        flipper.kill()
        flipper.wait()
    assert list(outside.iterdir()) == []
    assert 0 < sum(outcomes) < len(outcomes), "the race ran: some writes met the link, some the folder"


def test_writes_keep_line_endings_and_create_folders(registry: ToolRegistry, tmp_path: Path) -> None:
    registry.call("write_file", {"path": "a/b/c.txt", "content": "one\r\ntwo\r\n"})
    assert (tmp_path / "a/b/c.txt").read_bytes() == b"one\r\ntwo\r\n"
    registry.call("edit_file", {"path": str(tmp_path / "a/b/c.txt"), "old_text": "two", "new_text": "2"})
    assert (tmp_path / "a/b/c.txt").read_bytes() == b"one\r\n2\r\n"
    assert registry.call("write_file", {"path": "x/../../escape.txt", "content": "x"}).is_error


def test_the_names_config_accepts_are_the_built_in_tools(tmp_path: Path) -> None:
    from picoagent.config import BUILTIN_TOOLS

    assert [tool.name for tool in builtin_tools(tmp_path)] == [*BUILTIN_TOOLS, "final_answer"]
    assert [tool.name for tool in builtin_tools(tmp_path, only=["read_file"])] == ["read_file", "final_answer"]
    assert [tool.name for tool in builtin_tools(tmp_path, only=[])] == ["final_answer"]

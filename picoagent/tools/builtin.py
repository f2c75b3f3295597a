"""The built-in tools: shell, files, final_answer. Bound to one run's workspace."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import Field

from picoagent.exec.processes import ProcessLimits
from picoagent.exec.sandbox import Sandbox
from picoagent.exec.shell import run_shell
from picoagent.tools.registry import Tool
from picoagent.tools.workspace_files import open_for_writing

READ_LINES_DEFAULT = 400
# File contents and answers run longer than other arguments; a reply this long needs about 1,000 tokens.
LongText = Annotated[str, Field(max_length=4000)]


def _resolve(workspace: Path, path: str) -> Path:
    return (workspace / Path(path).expanduser()).resolve()


def final_answer_tool() -> Tool:
    def final_answer(answer: LongText) -> str:
        """Give the final answer to the task and stop. Call this as soon as you know the answer.

        Args:
            answer: The answer, complete and self-contained.
        """
        return answer

    return Tool.from_function(final_answer, ends_run=True)


def shell_tool(
    workspace: Path,
    *,
    timeout_s: float = 30.0,
    output_limit: int = 6000,
    limits: ProcessLimits = ProcessLimits(),
    sandbox: Sandbox | None = None,
) -> Tool:
    def shell(command: str) -> str:
        """Run a bash command in the workspace and return its output and exit code.

        Args:
            command: The bash command line to run, e.g. `ls -la` or `wc -l data.csv`.
        """
        return run_shell(command, workspace, timeout_s=timeout_s, output_limit=output_limit, limits=limits, sandbox=sandbox).describe()

    return Tool.from_function(shell)


def file_tools(workspace: Path) -> list[Tool]:
    def read_file(path: str, start_line: int = 1, end_line: int | None = None) -> str:
        """Read a text file, or a range of its lines (numbered from 1).

        Args:
            path: File path, relative to the workspace or absolute.
            start_line: First line to read.
            end_line: Last line to read (inclusive); omit to read up to 400 lines.
        """
        target = _resolve(workspace, path)
        if not target.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        lines = target.read_text(errors="replace").splitlines()
        first = max(start_line, 1)
        last = min(end_line if end_line is not None else first + READ_LINES_DEFAULT - 1, len(lines))
        if first > len(lines):
            return f"{path} has only {len(lines)} lines"
        header = f"[{path}: lines {first}-{last} of {len(lines)}]"
        return header + "\n" + "\n".join(lines[first - 1 : last])

    def write_file(path: str, content: LongText) -> str:
        """Create or overwrite a file in the workspace with the given content.

        Args:
            path: File path inside the workspace; missing folders are created.
            content: The full text to write.
        """
        with open_for_writing(workspace, path, create=True) as file:
            file.truncate()
            file.write(content)
        return f"wrote {len(content)} characters to {path}"

    def edit_file(path: str, old_text: LongText, new_text: LongText, replace_all: bool = False) -> str:
        """Replace an exact piece of text in a file. The old text must occur exactly once unless replace_all is true.

        Args:
            path: File path inside the workspace.
            old_text: The exact text to find, including whitespace and indentation.
            new_text: The text to put in its place.
            replace_all: Replace every occurrence instead of requiring a unique one.
        """
        with open_for_writing(workspace, path, create=False) as file:
            text = file.read()
            count = text.count(old_text) if old_text else 0
            if count == 0:
                raise ValueError(f"old_text was not found in {path}; read the file and copy the text exactly")
            if count > 1 and not replace_all:
                raise ValueError(f"old_text occurs {count} times in {path}; include more surrounding lines to make it unique, or set replace_all")
            file.seek(0)
            file.truncate()
            file.write(text.replace(old_text, new_text) if replace_all else text.replace(old_text, new_text, 1))
        return f"replaced {count if replace_all else 1} occurrence(s) in {path}"

    return [Tool.from_function(fn) for fn in (read_file, write_file, edit_file)]


def builtin_tools(
    workspace: Path,
    *,
    shell_timeout_s: float = 30.0,
    output_limit: int = 6000,
    shell_limits: ProcessLimits = ProcessLimits(),
    sandbox: Sandbox | None = None,
    only: Iterable[str] | None = None,
) -> list[Tool]:
    """The built-in tools, or those named in `only` (see config.BUILTIN_TOOLS), plus final_answer, which ends a run."""
    tools = [shell_tool(workspace, timeout_s=shell_timeout_s, output_limit=output_limit, limits=shell_limits, sandbox=sandbox), *file_tools(workspace)]
    chosen = None if only is None else set(only)
    return [*(tool for tool in tools if chosen is None or tool.name in chosen), final_answer_tool()]

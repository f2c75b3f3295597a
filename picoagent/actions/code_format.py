"""CodeAct: the model reasons, then writes one Python block that runs in the run's kernel."""

from __future__ import annotations

import re
from pathlib import Path

from picoagent.actions.base import ActionParseError, CodeAction, ToolCall
from picoagent.actions.code_blocks import (
    PYTHON_TAGS,
    SHELL_TAGS,
    fenced_blocks,
    looks_like_python,
)
from picoagent.actions.code_executor import CodeExecutor
from picoagent.actions.python_tools import python_name, python_prompt
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.exec.kernel import KernelLimits
from picoagent.exec.sandbox import Sandbox
from picoagent.models.base import Constraint
from picoagent.observation import Observation
from picoagent.tools.registry import ToolRegistry

THOUGHT_MAX = 600
CODE_MAX_LINES = 60
CODE_LINE_MAX = 240


def code_grammar(final: str | None = None) -> str:
    """Reasoning without backticks, then one python block; generation ends at the closing fence.

    Code lines may not start with a backtick, so the only way out of the block is the fence.
    With `final` (the tool that ends the run), the block is that one call with a string
    literal: a forced last call cannot name a variable the kernel lacks (NameError) or pass
    two arguments (TypeError), so it ends with an answer.
    """
    if final:
        body = f'"{final}(\\"" literal{{0,{ANSWER_LITERAL_MAX}}} "\\")\\n"'
    else:
        body = f"line{{1,{CODE_MAX_LINES}}}"
    return f"""root ::= thought "```python\\n" {body} "```"
thought ::= [^`]{{1,{THOUGHT_MAX}}} "\\n"
line ::= [^`\\n] [^\\n]{{0,{CODE_LINE_MAX}}} "\\n" | "\\n"
literal ::= [^"\\\\\\n`] | "\\\\" ["\\\\nt]
"""


# Characters of the string a forced final_answer("...") may hold.
ANSWER_LITERAL_MAX = 400
# Where a reply ends when the backend cannot take the grammar: the line after the closing
# fence. (A bare ``` opening fence would end it too early; the instructions ask for ```python.)
CLOSING_FENCE = "\n```\n"


# ```python x = 1``` on one line, which the line-based fence search does not see.
INLINE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*([^`\n]+?)```")

REPAIR_HINT = "Reply with your reasoning, then exactly one block:\n```python\n# your code\n```"


class CodeFormat:
    name = "code"

    def __init__(self, registry: ToolRegistry, *, workspace: Path, config: Config, sandbox: Sandbox | None = None):
        # Tools named like Python's built-ins get an alias here (python_name); two tools must not share one.
        seen: dict[str, str] = {}
        for tool in registry:
            other = seen.setdefault(python_name(tool), tool.name)
            if other != tool.name:
                raise ConfigError(f"tools {other!r} and {tool.name!r} would both be the Python function {python_name(tool)}() in code mode: rename one")
        self.registry = registry
        self.workspace = workspace
        self.config = config
        self.sandbox = sandbox

    def instructions(self) -> str:
        tools = "\n".join(python_prompt(tool) for tool in self.registry)
        final = self.registry.final_tool
        finish = f"{python_name(final)}(answer)" if final else "the tool that ends the task"
        shell = '!ls, or shell("ls")' if "shell" in self.registry else "!ls"
        return (
            "You are an agent that completes tasks by writing Python code, one step per reply.\n"
            "In each reply, first say briefly what you will do next, then write exactly one code block:\n"
            "```python\n# your code\n```\n"
            "The code runs in a Jupyter kernel whose working directory is the workspace. Variables, imports and "
            "functions persist between steps. You see what the code prints, the value of its last line, and any "
            f"error. Shell commands work too: {shell}.\n"
            "Besides the standard library, these functions are defined:\n\n"
            f"{tools}\n\n"
            f"A tool that fails raises ToolError. When you know the answer, call {finish} in your code.\n\n"
            "Example reply:\n"
            "I will count the lines of data.csv.\n"
            '```python\nlines = open("data.csv").read().splitlines()\nprint(len(lines))\n```'
        )

    def constraint(self, *, finish: bool = False) -> Constraint:
        final = self.registry.final_tool
        return Constraint(grammar=code_grammar(python_name(final) if finish and final else None), stop=(CLOSING_FENCE,))

    def parse(self, text: str) -> CodeAction:
        blocks = fenced_blocks(text)
        block = next((b for b in blocks if b.language in PYTHON_TAGS and b.code.strip()), None)
        if block is not None:
            return CodeAction(thought=text[: block.start].strip(), code=block.code.strip("\n"))
        shell = next((b for b in blocks if b.language in SHELL_TAGS and b.code.strip()), None)
        if shell is not None:  # small models often answer with a shell block; run it as one
            return CodeAction(thought=text[: shell.start].strip(), code="%%bash\n" + shell.code.strip("\n"))
        if inline := INLINE_BLOCK.search(text):
            return CodeAction(thought=text[: inline.start()].strip(), code=inline.group(1).strip())
        if not blocks and looks_like_python(text.strip()):
            return CodeAction(thought="", code=text.strip())
        if blocks:
            raise ActionParseError(f"Your code block is empty or not Python. {REPAIR_HINT}")
        raise ActionParseError(f"Your reply has no Python code block. {REPAIR_HINT}")

    def render_call(self, call: ToolCall) -> str:
        """The call as Python: printed so its result shows, or final_answer(...) as the last line."""
        values = list(call.args.values())
        arguments = repr(values[0]) if len(values) == 1 else ", ".join(f"{name}={value!r}" for name, value in call.args.items())
        tool = self.registry.get(call.tool)
        function = python_name(tool) if tool is not None else call.tool
        code = f"{function}({arguments})" if tool is not None and tool.ends_run else f"print({function}({arguments}))"
        return f"{call.thought}\n```python\n{code}\n```"

    def render_observation(self, observation: Observation) -> str:
        label = "Error" if observation.is_error else "Output"
        return f"{label}:\n{observation.text}"

    def executor(self) -> CodeExecutor:
        limits = KernelLimits(
            timeout_s=self.config.kernel_timeout_s,
            interrupt_grace_s=self.config.kernel_interrupt_grace_s,
            start_timeout_s=self.config.kernel_start_timeout_s,
            memory_mb=self.config.kernel_memory_mb,
            cpu_s=self.config.kernel_cpu_s,
            max_processes=self.config.kernel_max_processes,
            max_file_mb=self.config.max_file_mb,
            output_limit=self.config.output_limit_chars,
        )
        return CodeExecutor(self.registry, self.workspace, limits, sandbox=self.sandbox)

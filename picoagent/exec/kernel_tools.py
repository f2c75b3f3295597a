"""The kernel side of tool calls: Python source that defines each tool as a function in the kernel.

Each function has the tool's signature and docstring (so `help(read_file)` works) and
sends its arguments to the engine's ToolBridge. A failed call raises ToolError with the
engine's message; a call that ends the run stops the code block with FinalAnswerGiven,
which derives from BaseException so that `except Exception` in the model's code cannot
swallow it. The functions live in a module compiled under the name <picoagent-tools>,
and mark their frames hidden, so tracebacks show the model's line, not the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CLIENT_SOURCE = '''
from __future__ import annotations

import json
import socket


class ToolError(Exception):
    """A tool call failed; the message is the engine's explanation."""


class FinalAnswerGiven(BaseException):
    """The run's answer was given: the rest of the code block does not run."""


def as_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def decoded(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def call_tool(name, args):
    __tracebackhide__ = True
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(SOCKET_PATH)
        request = {"token": TOKEN, "tool": name, "args": args}
        connection.sendall(json.dumps(request, default=str).encode() + b"\\n")
        line = connection.makefile("rb").readline()
    if not line:
        raise ToolError(f"the engine did not answer the call to {name}")
    reply = json.loads(line)
    if reply["is_error"]:
        raise ToolError(reply["text"])
    return reply
'''

# Names the client above defines for itself: a tool function may not take them.
CLIENT_NAMES = frozenset({"json", "socket", "annotations", "ToolError", "FinalAnswerGiven", "as_text", "decoded", "call_tool", "SOCKET_PATH", "TOKEN"})

INSTALL_SOURCE = """
import sys as _sys, types as _types
_picoagent_tools = _types.ModuleType("_picoagent_tools")
exec(compile({source!r}, "<picoagent-tools>", "exec"), _picoagent_tools.__dict__)
_sys.modules["_picoagent_tools"] = _picoagent_tools
get_ipython().user_ns.update({{name: getattr(_picoagent_tools, name) for name in {exported!r}}})
del _sys, _types, _picoagent_tools
"""


@dataclass(frozen=True)
class ToolStub:
    """What the kernel needs to know to define one tool as a Python function."""

    name: str
    # What the code calls it: the name, or an alias where the name clashes with Python's own.
    function_name: str
    # Python source of the signature, e.g. "(path: str, start_line: int = 1) -> str".
    signature: str
    parameters: tuple[str, ...]
    doc: str
    ends_run: bool = False
    # Whether the tool returns text; any other result arrives as JSON text and is decoded.
    returns_text: bool = True

    def source(self) -> str:
        if self.ends_run:  # final_answer(42) means the answer "42", not a type error
            args = ", ".join(f"{name!r}: as_text({name})" for name in self.parameters)
            body = f"call_tool({self.name!r}, {{{args}}})\n    raise FinalAnswerGiven({self.name!r})"
        else:
            args = ", ".join(f"{name!r}: {name}" for name in self.parameters)
            result = f"call_tool({self.name!r}, {{{args}}})['text']"
            body = f"return {result}" if self.returns_text else f"return decoded({result})"
        return f"def {self.function_name}{self.signature}:\n    {self.doc!r}\n    __tracebackhide__ = True\n    {body}\n"


def kernel_tools_source(stubs: list[ToolStub], socket_path: Path, token: str) -> str:
    """Code that, run once in a fresh kernel, defines the tools and ToolError in the user namespace."""
    source = "\n\n".join(
        [CLIENT_SOURCE, f"SOCKET_PATH = {str(socket_path)!r}\nTOKEN = {token!r}", *(stub.source() for stub in stubs)]
    )
    exported = ["ToolError", *(stub.function_name for stub in stubs)]
    return INSTALL_SOURCE.format(source=source, exported=exported)

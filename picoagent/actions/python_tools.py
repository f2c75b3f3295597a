"""Registered tools seen as Python functions: the kernel's stubs and the code format's prompt text."""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import textwrap
import typing

from picoagent.exec.kernel_tools import CLIENT_NAMES, ToolStub
from picoagent.tools.registry import Tool, ToolDefinitionError


def python_name(tool: Tool) -> str:
    """The tool's name as a kernel function: `max_` for a tool named `max`.

    A function named like a built-in (`max`, `sum`, `open`) would replace it in the kernel
    and break ordinary code the model writes, and a keyword cannot be a function name; so
    such a tool gets a trailing underscore in code mode, as PEP 8 suggests, and keeps its
    own name everywhere else. So do names the kernel's tool client uses itself.
    """
    clashes = keyword.iskeyword(tool.name) or keyword.issoftkeyword(tool.name) or hasattr(builtins, tool.name) or tool.name in CLIENT_NAMES
    return f"{tool.name}_" if clashes else tool.name


def _signature(tool: Tool) -> inspect.Signature:
    """The tool function's signature with resolved types and without Annotated metadata."""
    hints = typing.get_type_hints(tool.function)
    signature = inspect.signature(tool.function)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.default is not inspect.Parameter.empty:
            try:
                ast.literal_eval(repr(parameter.default))
            except (ValueError, SyntaxError):
                raise ToolDefinitionError(
                    f"tool {tool.name!r}: the default of {parameter.name!r} ({parameter.default!r}) is not a Python literal"
                ) from None
        parameters.append(parameter.replace(annotation=hints.get(parameter.name, inspect.Parameter.empty)))
    return signature.replace(parameters=parameters, return_annotation=hints.get("return", inspect.Signature.empty))


def tool_stub(tool: Tool) -> ToolStub:
    signature = _signature(tool)
    return ToolStub(
        name=tool.name,
        function_name=python_name(tool),
        signature=str(signature),
        parameters=tuple(signature.parameters),
        doc=inspect.getdoc(tool.function) or tool.description,
        ends_run=tool.ends_run,
        returns_text=signature.return_annotation in (str, inspect.Signature.empty),
    )


def python_prompt(tool: Tool) -> str:
    """The tool as the model should picture it: a def line, what it does, and each argument."""
    lines = [f"def {python_name(tool)}{_signature(tool)}:", textwrap.indent(tool.description, "    ")]
    for name, field in tool.args_model.model_fields.items():
        lines.append(f"    {name}: {field.description}")
    return "\n".join(lines)

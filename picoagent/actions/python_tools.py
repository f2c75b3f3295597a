"""Registered tools seen as Python functions: the kernel's stubs and the code format's prompt text."""

from __future__ import annotations

import ast
import inspect
import textwrap
import typing

from picoagent.exec.kernel_tools import ToolStub
from picoagent.tools.registry import Tool, ToolDefinitionError


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
        signature=str(signature),
        parameters=tuple(signature.parameters),
        doc=inspect.getdoc(tool.function) or tool.description,
        ends_run=tool.ends_run,
        returns_text=signature.return_annotation in (str, inspect.Signature.empty),
    )


def python_prompt(tool: Tool) -> str:
    """The tool as the model should picture it: a def line, what it does, and each argument."""
    lines = [f"def {tool.name}{_signature(tool)}:", textwrap.indent(tool.description, "    ")]
    for name, field in tool.args_model.model_fields.items():
        lines.append(f"    {name}: {field.description}")
    return "\n".join(lines)

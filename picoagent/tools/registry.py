"""Tools are typed, documented Python functions; the registry derives everything else.

From one function it derives the tool's name, description, argument model (pydantic,
hence validation and JSON Schema) and the text shown in prompts. A parameter without
a type hint or without a line in the docstring's Args section is refused at
registration, because the model can only use what it is told about. `*args` becomes
one list argument; `**kwargs` is refused (take a dict argument instead).
"""

from __future__ import annotations

import inspect
import json
import re
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from picoagent.errors import ConfigError
from picoagent.exec.limits import truncate_middle
from picoagent.observation import Observation

# Bound on any string argument a tool did not bound itself: a degenerate small model
# otherwise fills the whole completion with one string. Small enough that an action with
# a thought and such an argument fits Config.step_max_tokens even at one token per
# character (runs of digits); tools that take whole files bound their own fields.
DEFAULT_MAX_STRING = 600


class ToolDefinitionError(ConfigError):
    """A function cannot become a tool (missing type, missing description, bad name)."""


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and per-argument texts."""
    description: list[str] = []
    args: dict[str, str] = {}
    section = "description"
    current: str | None = None
    arg_indent: int | None = None  # indentation of the first argument line
    for line in inspect.cleandoc(doc or "").splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if re.fullmatch(r"(Args|Arguments|Parameters):", stripped):
            section, current, arg_indent = "args", None, None
        elif re.fullmatch(r"(Returns|Raises|Yields|Examples?|Notes?):", stripped):
            section, current = "other", None
        elif section == "description":
            description.append(line)
        elif section == "args" and stripped:
            match = re.match(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", stripped)
            if match and (arg_indent is None or indent <= arg_indent):
                arg_indent = indent if arg_indent is None else arg_indent
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current:  # a continuation line of the current argument
                args[current] = f"{args[current]} {stripped}".strip()
    return "\n".join(description).strip(), args


def _type_text(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_text(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " | ".join(repr(value) for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join("None" if arg is type(None) else _type_text(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_text(arg) for arg in typing.get_args(annotation))
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{args}]" if args else name
    return getattr(annotation, "__name__", str(annotation))


@dataclass
class Tool:
    name: str
    description: str
    function: Callable[..., Any]
    args_model: type[BaseModel]
    signature_text: str
    # True for final_answer: calling it ends the run with its argument as the answer.
    ends_run: bool = False
    # The name of the function's *args parameter, which the model fills as one list argument.
    varargs: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """A decorated function stays callable as itself."""
        return self.function(*args, **kwargs)

    @classmethod
    def from_function(cls, function: Callable[..., Any], *, name: str | None = None, ends_run: bool = False) -> Tool:
        tool_name = name or function.__name__
        if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", tool_name):
            raise ToolDefinitionError(f"tool name {tool_name!r} is not a valid identifier")
        description, arg_docs = parse_docstring(function.__doc__ or "")
        if not description:
            raise ToolDefinitionError(f"tool {tool_name!r} has no docstring description")
        hints = typing.get_type_hints(function, include_extras=True)
        fields: dict[str, Any] = {}
        rendered: list[str] = []
        varargs: str | None = None
        for param in inspect.signature(function).parameters.values():
            if param.kind is param.VAR_KEYWORD:
                raise ToolDefinitionError(f"tool {tool_name!r}: **{param.name} is not allowed: take a dict parameter instead")
            if param.name not in hints:
                raise ToolDefinitionError(f"tool {tool_name!r}: parameter {param.name!r} has no type hint")
            if not arg_docs.get(param.name):
                raise ToolDefinitionError(f"tool {tool_name!r}: parameter {param.name!r} has no description in the docstring's Args section")
            annotation = hints[param.name]
            constraints: dict[str, Any] = {"description": arg_docs[param.name]}
            if annotation is str:
                constraints["max_length"] = DEFAULT_MAX_STRING
            default = ... if param.default is inspect.Parameter.empty else param.default
            if param.kind is param.VAR_POSITIONAL:  # total(*numbers: float) takes {"numbers": [1, 2]}
                varargs, annotation, default = param.name, list[annotation], []  # type: ignore[valid-type]
            fields[param.name] = (annotation, Field(default, **constraints))
            rendered.append(f"{param.name}: {_type_text(annotation)}" + ("" if default is ... else f" = {default!r}"))
        args_model = create_model(
            f"{tool_name}_args",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        return cls(
            name=tool_name,
            description=description,
            function=function,
            args_model=args_model,
            signature_text=f"{tool_name}({', '.join(rendered)})",
            ends_run=ends_run,
            varargs=varargs,
        )

    def invoke(self, arguments: dict[str, Any]) -> Any:
        """Call the function with validated arguments, spreading the *args list back out."""
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        params = list(inspect.signature(self.function).parameters.values())
        has_varargs = any(param.kind is param.VAR_POSITIONAL for param in params)
        for param in params:
            if param.kind is param.VAR_POSITIONAL:
                positional.extend(arguments[param.name])
            elif param.kind is param.POSITIONAL_ONLY or (param.kind is param.POSITIONAL_OR_KEYWORD and has_varargs):
                positional.append(arguments[param.name])  # before *args, only a position reaches them
            else:  # by name, which also suits a function whose __signature__ fronts **kwargs (MCP tools)
                keywords[param.name] = arguments[param.name]
        return self.function(*positional, **keywords)

    def parameters_schema(self) -> dict[str, Any]:
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def prompt_text(self) -> str:
        lines = [f"- {self.signature_text}: {self.description}"]
        for field_name, field in self.args_model.model_fields.items():
            lines.append(f"    {field_name}: {field.description}")
        return "\n".join(lines)


def format_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def result_text(value: Any) -> str:
    if value is None:
        return "(no output)"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


class ToolRegistry:
    """The tools one run may use, by name; calling goes through validation."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = (), *, output_limit: int = 6000):
        self._tools: dict[str, Tool] = {}
        self._cleanups: list[Callable[[], None]] = []
        self.output_limit = output_limit
        for tool in tools:
            self.register(tool)

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` when the run ends (close a browser, a connection), even after a crash."""
        self._cleanups.append(cleanup)

    def close(self) -> None:
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except Exception:  # one failing cleanup must not keep the others from running
                pass

    def register(self, tool: Tool | Callable[..., Any]) -> Tool:
        tool = tool if isinstance(tool, Tool) else Tool.from_function(tool)
        if tool.name in self._tools:
            raise ToolDefinitionError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def final_tool(self) -> Tool | None:
        """The tool whose call ends the run (final_answer), if one is registered."""
        return next((tool for tool in self if tool.ends_run), None)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def prompt_text(self) -> str:
        return "\n".join(tool.prompt_text() for tool in self)

    def call(self, name: str, args: Any) -> Observation:
        """Validate and run one tool call. Never raises for anything the model sent."""
        started = time.perf_counter()
        record: dict[str, Any] = {"tool": name, "args": args}
        tool = self._tools.get(name)
        if tool is None:
            text = f"Unknown tool {name!r}. Available tools: {', '.join(self._tools)}."
            return Observation(text=text, is_error=True, tool_calls=[{**record, "error": text}])
        if not isinstance(args, dict):
            text = f"Arguments for {name!r} must be a JSON object. Usage: {tool.signature_text}"
            return Observation(text=text, is_error=True, tool_calls=[{**record, "error": text}])
        try:
            validated = tool.args_model.model_validate(args)
        except ValidationError as exc:
            text = f"Invalid arguments for {name!r}: {format_validation_error(exc)}. Usage: {tool.signature_text}"
            return Observation(text=text, is_error=True, tool_calls=[{**record, "error": text}])
        kwargs = {field_name: getattr(validated, field_name) for field_name in tool.args_model.model_fields}
        try:
            value = tool.invoke(kwargs)
        except Exception as exc:  # a tool failing is an observation, never the end of the run
            text = f"Tool {name!r} failed: {type(exc).__name__}: {exc}"
            return Observation(text=truncate_middle(text, self.output_limit), is_error=True, tool_calls=[{**record, "error": text}])
        record["duration_s"] = round(time.perf_counter() - started, 4)
        if tool.ends_run:
            answer = result_text(value)
            return Observation(text=f"Final answer: {answer}", final_answer=answer, tool_calls=[record])
        text = truncate_middle(result_text(value), self.output_limit)
        return Observation(text=text, tool_calls=[{**record, "result": text[:2000]}])

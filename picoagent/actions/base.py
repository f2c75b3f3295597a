"""The ActionFormat contract: how a model expresses an action, and the Executor that runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from picoagent.deadline import Deadline
from picoagent.models.base import Constraint
from picoagent.observation import Observation


class ActionParseError(Exception):
    """The model's output is not a valid action. The message is shown to the model to repair it."""


@dataclass
class ToolCall:
    """Call one registered tool with arguments (json and text formats)."""

    thought: str
    tool: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "tool_call", "thought": self.thought, "tool": self.tool, "args": self.args}

    def key(self) -> str:
        """Identity for repeated-action detection: the same call, whatever the thought."""
        import json

        return json.dumps({"tool": self.tool, "args": self.args}, sort_keys=True, default=str)


@dataclass
class CodeAction:
    """Run a Python block in the run's kernel (code format)."""

    thought: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "code", "thought": self.thought, "code": self.code}

    def key(self) -> str:
        return self.code.strip()


@dataclass
class PlanStep:
    """Say what to do next and with which tool; a caller writes the arguments (plan format)."""

    thought: str
    task: str
    tool: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "plan_step", "thought": self.thought, "task": self.task, "tool": self.tool}

    def key(self) -> str:
        return f"{self.tool}\n{self.task.strip()}"


@dataclass
class DagCall:
    """One call of a DAG plan: `args` may hold `$N`, the result of call N, which it then waits for."""

    id: int
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    after: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tool": self.tool, "args": self.args, "after": self.after}


@dataclass
class DagPlan:
    """Several tool calls with dependencies; the independent ones run at once (dag format)."""

    thought: str
    calls: list[DagCall]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "dag", "thought": self.thought, "calls": [call.to_dict() for call in self.calls]}

    def key(self) -> str:
        import json

        return json.dumps([call.to_dict() for call in self.calls], sort_keys=True, default=str)


Action = ToolCall | CodeAction | PlanStep | DagPlan


class Executor(Protocol):
    """Runs parsed actions for one run; owns whatever process state that needs.

    Whatever an action starts ends by the run's `deadline`: its tools get their own timeout,
    or the time left when that is less.
    """

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation: ...

    def close(self) -> None: ...


class ActionFormat(Protocol):
    name: str

    def instructions(self) -> str:
        """System-prompt text: how to act, and the tools available."""

    def constraint(self, *, finish: bool = False) -> Constraint | None:
        """A schema or grammar the backend can enforce while generating, if one exists.

        With `finish`, the reply may only give the final answer: the loop asks for that once
        when a run would otherwise end at its step limit or stuck.
        """

    def parse(self, text: str) -> Action:
        """The action in the model's output; ActionParseError if there is none."""

    def render_call(self, call: ToolCall) -> str:
        """How a model reply making this tool call looks in this format (for worked examples)."""

    def render_observation(self, observation: Observation) -> str:
        """The user-turn text that shows the model what its action did."""

    def executor(self) -> Executor:
        """A fresh executor for one run (closed by the agent at the end)."""

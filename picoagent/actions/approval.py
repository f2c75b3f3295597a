"""Ask a person before each shell command or code block runs (`picoagent chat --confirm`).

An Executor around the run's executor: actions that run commands or code go to an
Approver first, which lets them run, runs an edited version, or refuses. A refusal is an
observation like any other, so the model sees it and can choose another way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from picoagent.actions.base import Action, CodeAction, Executor, ToolCall
from picoagent.deadline import Deadline
from picoagent.observation import Observation

# Tools whose calls run arbitrary commands; code blocks always need approval.
COMMAND_TOOLS = ("shell",)

REFUSED = "The user refused to run this {what}. Do not run it again: try another way, or ask the user with final_answer."
EDITED = "The user edited your {what} before it ran. It ran as:\n{source}\n\n"

# Given an action that needs approval: the action to run (the same one, or an edited copy),
# or None to refuse it.
Approver = Callable[[Action], Action | None]


def needs_approval(action: Action) -> bool:
    return isinstance(action, CodeAction) or (isinstance(action, ToolCall) and action.tool in COMMAND_TOOLS)


def describe(action: Action) -> tuple[str, str]:
    """What the action is called in a question to the user, and the source they approve or edit."""
    if isinstance(action, CodeAction):
        return "code block", action.code
    return f"{action.tool} command", str(action.args.get("command", ""))


def with_source(action: Action, source: str) -> Action:
    """A copy of `action` running `source` instead (an edit by the user)."""
    if isinstance(action, CodeAction):
        return replace(action, code=source)
    return replace(action, args={**action.args, "command": source})


class ApprovingExecutor:
    """Runs each action through `inner`, once `approve` allows it."""

    def __init__(self, inner: Executor, approve: Approver):
        self.inner = inner
        self.approve = approve

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation:
        if not needs_approval(action):
            return self.inner.execute(action, deadline=deadline)
        what, source = describe(action)
        approved = self.approve(action)
        if approved is None:
            return Observation(text=REFUSED.format(what=what), is_error=True)
        observation = self.inner.execute(approved, deadline=deadline)
        edited = describe(approved)[1]
        if edited != source:
            observation.text = EDITED.format(what=what, source=edited) + observation.text
        return observation

    def close(self) -> None:
        self.inner.close()

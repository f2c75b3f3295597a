"""Reflexion: after a failed run, the model writes a short lesson for its next attempt at the task.

The lesson is written from the run's trace (what it did, what it saw, how it ended), never
from the checks, so it cannot carry the expected answer. Lessons are kept per task by
picoagent/memory/lessons.py and shown after the task in the next run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from picoagent.agent.structured import structured_reply
from picoagent.deadline import Deadline
from picoagent.models.base import Model, Usage
from picoagent.trace.recorder import read_events

LESSON_MAX = 300
# What the lesson prompt shows of the run: its last steps, each observation clipped.
SHOWN_STEPS = 8
SHOWN_OBSERVATION = 300

REFLECT_PROMPT = (
    "You tried the task below and did not succeed.\n"
    "Task: {task}\n"
    "What you did:\n{steps}\n"
    "How it ended: {ending}\n\n"
    "Write one short lesson for your next attempt at this same task: what to do differently. "
    'Reply with a JSON object: {{"lesson": "..."}}'
)


class Lesson(BaseModel):
    lesson: str = Field(min_length=1, max_length=LESSON_MAX)


@dataclass
class Reflection:
    lesson: str | None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_run(events: list[dict[str, Any]]) -> tuple[str, str]:
    """The run's steps as numbered lines (action, then what it showed), and how it ended."""
    steps = [event for event in events if event.get("type") == "step"]
    lines = []
    for step in steps[-SHOWN_STEPS:]:
        action = step.get("action")
        if action is None:
            lines.append(f"{step['step']}. (no valid action: {_clip(step.get('error', ''), 120)})")
            continue
        did = action["code"] if action["kind"] == "code" else f"{action['tool']} {json.dumps(action.get('args', {}), ensure_ascii=False)}"
        shown = _clip(step.get("observation", {}).get("text", ""), SHOWN_OBSERVATION)
        lines.append(f"{step['step']}. {_clip(did, 300)}\n   -> {shown}")
    end = next((event["result"] for event in events if event.get("type") == "run_end"), {})
    if end.get("answer") is not None:
        ending = f"you answered {json.dumps(end['answer'], ensure_ascii=False)}, and that answer was wrong"
    else:
        ending = f"no answer ({end.get('status', 'unknown')}: {end.get('error') or 'no reason recorded'})"
    return "\n".join(lines) or "(no steps)", ending


def write_lesson(model: Model, task: str, trace_path: str | Path, *, deadline: Deadline | None = None) -> Reflection:
    """Ask `model` for a lesson from the failed run recorded at `trace_path`."""
    try:
        events = read_events(Path(trace_path))
    except OSError as exc:
        return Reflection(None, error=f"cannot read the trace: {exc.strerror or exc}")
    steps, ending = describe_run(events)
    prompt = REFLECT_PROMPT.format(task=task, steps=steps, ending=ending)
    reply = structured_reply(model, [{"role": "user", "content": prompt}], Lesson, max_tokens=160, deadline=deadline)
    return Reflection(reply.value.lesson.strip() if reply.value else None, usage=reply.usage, error=reply.error)

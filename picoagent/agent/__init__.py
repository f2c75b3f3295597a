"""The agent loop and the wiring that sets up one run."""

from picoagent.agent.loop import Agent, Result
from picoagent.agent.session import default_action_format, run_task

__all__ = ["Agent", "Result", "default_action_format", "run_task"]

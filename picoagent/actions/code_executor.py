"""Runs code actions in the run's kernel, with every registered tool callable from the code."""

from __future__ import annotations

import re
from pathlib import Path

from picoagent.actions.base import Action, CodeAction
from picoagent.actions.python_tools import tool_stub
from picoagent.deadline import Deadline
from picoagent.exec.kernel import Execution, Kernel, KernelLimits
from picoagent.exec.kernel_output import Image
from picoagent.exec.kernel_tools import kernel_tools_source
from picoagent.exec.limits import truncate_middle
from picoagent.exec.sandbox import Sandbox
from picoagent.exec.tool_bridge import ToolBridge
from picoagent.observation import Observation
from picoagent.tools.registry import ToolRegistry

# Rich outputs are saved here, inside the workspace, so that later code can open them.
OUTPUTS_DIR = "outputs"
NO_OUTPUT = "(no output: print() what you want to see, or end the block with an expression)"
# Traceback frames name cells by the kernel's execution counter, so the same failing code
# gives a different text every step; without the counter, a repeat is recognized.
CELL_NUMBER = re.compile(r"Cell In\[\d+\]")


class CodeExecutor:
    """One kernel and one tool bridge per run; close() ends both and everything they started."""

    def __init__(self, registry: ToolRegistry, workspace: Path, limits: KernelLimits, *, sandbox: Sandbox | None = None):
        self.workspace = workspace
        self.limits = limits
        self._bridge = ToolBridge(registry.call)
        setup_code = kernel_tools_source([tool_stub(tool) for tool in registry], self._bridge.socket_path, self._bridge.token)
        try:
            # Launching returns at once: the kernel boots while the model writes its first action.
            # In the sandbox the kernel reaches the tool bridge's socket through a shared folder.
            sandbox = sandbox.sharing(self._bridge.socket_path.parent) if sandbox else None
            self._kernel = Kernel(workspace, limits, setup_code=setup_code, sandbox=sandbox)
        except BaseException:
            self._bridge.close()
            raise
        self._images = 0

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation:
        if not isinstance(action, CodeAction):
            return Observation(text="This format runs Python code blocks only.", is_error=True)
        step = (deadline or Deadline()).within(self.limits.timeout_s, limit="the step's time limit")
        self._bridge.set_deadline(step)  # tools called from the code end with the step
        execution = self._kernel.execute(action.code, step.remaining())
        if execution.timed_out and deadline is not None and deadline.expired():
            execution.notes.append("The run's time limit, not the step's own timeout, cut this step short.")
        calls, answer = self._bridge.take()
        files = [self._save_image(image) for image in execution.output.images]
        if answer is not None:
            return Observation(text=f"Final answer: {answer}", final_answer=answer, tool_calls=calls, files=files)
        text = truncate_middle(describe(execution, files), self.limits.output_limit)
        return Observation(text=text, is_error=execution.failed, tool_calls=calls, files=files, repeat_key=CELL_NUMBER.sub("Cell", text))

    def _save_image(self, image: Image) -> str:
        self._images += 1
        relative = f"{OUTPUTS_DIR}/image-{self._images}.{image.extension}"
        target = self.workspace / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(image.data)
        return relative

    def close(self) -> None:
        self._kernel.close()
        self._bridge.close()


def describe(execution: Execution, files: list[str]) -> str:
    """What the model is told an execution did: output, values, images, error, then the engine's notes."""
    output = execution.output
    parts = [output.stream.rstrip("\n")] if output.stream.strip() else []
    parts += output.displays
    parts += [f"[image saved to {path}]" for path in files]
    if output.value is not None:
        parts.append(f"Out: {output.value}")
    if output.error:
        parts.append(output.error)
    parts += execution.notes
    return "\n".join(parts) if parts else NO_OUTPUT

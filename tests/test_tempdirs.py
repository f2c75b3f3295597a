"""Temporary directories whose owner was killed are removed by the next process that makes one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from picoagent.tempdirs import OWNER_SUFFIX, owned_temp_dir, remove_temp_dir, sweep_orphans


def test_a_killed_owners_directory_goes_at_the_next_one_and_a_live_owners_stays(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from picoagent.tempdirs import owned_temp_dir; "
         "d = owned_temp_dir('picoagent-eval-doomed-', Path(sys.argv[1])); (d / 'work.txt').write_text('x'); print(d, flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    orphan = Path(child.stdout.readline().strip())
    assert (orphan / "work.txt").is_file() and Path(f"{orphan}{OWNER_SUFFIX}").is_file()
    assert sweep_orphans(tmp_path) == [], "its owner is alive"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert orphan.is_dir(), "a killed process cleans up nothing"

    mine = owned_temp_dir("picoagent-kernel-", tmp_path)
    assert not orphan.exists() and not Path(f"{orphan}{OWNER_SUFFIX}").exists(), "making a directory swept the orphan"
    assert mine.is_dir() and mine.name.startswith("picoagent-kernel-")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, mine.name + OWNER_SUFFIX], "the sidecar sits beside it, not inside"
    assert list(mine.iterdir()) == []
    remove_temp_dir(mine)
    assert list(tmp_path.iterdir()) == []


def test_a_reused_pid_does_not_keep_a_dead_owners_directory_and_an_unreadable_or_foreign_mark_is_left(tmp_path: Path) -> None:
    reused = tmp_path / "picoagent-eval-t2-abc"
    reused.mkdir()
    namespace = os.readlink("/proc/self/ns/pid")
    Path(f"{reused}{OWNER_SUFFIX}").write_text(f"{os.getpid()} 1 {namespace}\n")  # our pid, another process's start time
    elsewhere = tmp_path / "picoagent-eval-t3-jkl"
    elsewhere.mkdir()
    Path(f"{elsewhere}{OWNER_SUFFIX}").write_text("999999999 1 pid:[1]\n")  # a pid of another container's namespace
    half_written = tmp_path / "picoagent-eval-t1-def"
    half_written.mkdir()
    Path(f"{half_written}{OWNER_SUFFIX}").write_text("")
    foreign = tmp_path / "other-tool-ghi"
    foreign.mkdir()
    Path(f"{foreign}{OWNER_SUFFIX}").write_text(f"999999999 1 {namespace}\n")
    assert sweep_orphans(tmp_path) == [reused]
    assert half_written.is_dir() and foreign.is_dir() and elsewhere.is_dir() and not reused.exists()

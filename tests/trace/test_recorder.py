"""The recorder writes every event as valid UTF-8 JSON, whatever is in it."""

from __future__ import annotations

import sys
from pathlib import Path

from picoagent.trace.recorder import Recorder, list_runs, read_events


def test_lone_surrogates_are_recorded_as_replacement_characters(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    recorder.event("step", raw="reply \ud800 here", nested={"args": ["\udcff"]})
    recorder.close()
    (event,) = read_events(recorder.path)
    assert event["raw"] == "reply \ufffd here" and event["nested"] == {"args": ["\ufffd"]}


def test_an_unprintable_value_is_recorded_as_such_instead_of_crashing(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    limit = sys.get_int_max_str_digits()
    recorder.event("step", value=10 ** (limit + 10))
    recorder.event("run_end", ok=True)
    recorder.close()
    first, second = read_events(recorder.path)
    assert first["type"] == "step" and "unrecordable" in first
    assert second["ok"] is True


def test_discard_removes_a_run_that_never_started(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    (recorder.run_dir / "workspace").mkdir()
    recorder.event("workspace", path="x")
    assert not recorder.started
    recorder.discard()
    assert not recorder.run_dir.exists() and list_runs(tmp_path) == []

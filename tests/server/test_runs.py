"""The run manager: models loaded once per spec and shared; the embedded model serialized across workers."""

from __future__ import annotations

import pytest

from picoagent.server.runs import RunManager
from tests.server.conftest import running_server, server_config
from tests.server.test_api import follow


def test_models_are_loaded_once_but_scripts_start_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    script = tmp_path / "s.json"
    script.write_text('["a"]')
    manager = RunManager(server_config(tmp_path))
    try:
        assert manager.model("openai:m", 4096) is manager.model("openai:m", 4096)
        assert manager.model("openai:m", 4096) is not manager.model("openai:n", 4096)
        assert manager.model(f"scripted:{script}", 4096) is not manager.model(f"scripted:{script}", 4096)  # a script replays from its start
    finally:
        manager.close()


def generations(trace_events: list[dict]) -> list[tuple[float, float]]:
    """(start, end) of each model call's token generation, from the step events (a step is stamped
    after its action ran; a call's total time includes waiting for the model, generation does not)."""
    spans = []
    for event in trace_events:
        if event["type"] == "step" and event["timings"].get("generation_s"):
            end = event["time"] - event.get("exec_s", 0.0) - event.get("engine_s", 0.0)
            spans.append((end - event["timings"]["generation_s"], end))
    return spans


@pytest.mark.slow
def test_two_embedded_runs_at_once_share_one_model_and_take_turns(tmp_path):
    with running_server(server_config(tmp_path, model="local", context_tokens=4096, serve_workers=2), tmp_path) as server, server.client(timeout=600) as client:
        ids = [client.post("/api/runs", json={"task": task, "max_steps": 1}).json()["id"] for task in ("How many lines does /etc/hostname have?", "Print the current date.")]
        streams = {run_id: follow(client, run_id) for run_id in ids}
        assert list(server.app.state.runs._models) == [("local", 4096)]  # loaded once, for both
    for run_id, received in streams.items():
        assert received[-1][0] == "end" and received[-1][1]["status"] != "error", received[-1]
    spans = [generations([data for name, data, _ in streams[run_id] if name == "message"]) for run_id in ids]
    assert spans[0] and spans[1]
    for a_start, a_end in spans[0]:  # one llama.cpp context: no generation of one run overlaps one of the other
        for b_start, b_end in spans[1]:
            assert a_end <= b_start + 0.05 or b_end <= a_start + 0.05, spans

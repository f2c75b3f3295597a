"""The HTTP API on 127.0.0.1 through httpx: runs over SSE, cancel, feedback, bad requests, the token, evals."""

from __future__ import annotations

import json
import time

import psutil
import pytest

from picoagent.errors import ConfigError
from picoagent.server.runs import RunManager
from picoagent.server.serve import check_bind
from picoagent.trace.recorder import read_events
from tests.conftest import action
from tests.server.conftest import make_eval, running_server, server_config, sse_events


def follow(client, run_id: str) -> list[tuple[str, dict, float]]:
    """Every SSE event of a run, each with the time it arrived, until the stream closes."""
    received = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for name, data in sse_events(response):
            received.append((name, data, time.time()))
    return received


def test_a_run_streams_its_events_live_and_in_order(server):
    steps = [action("shell", command=f"sleep 0.3; echo step{n}") for n in range(3)] + [action("final_answer", answer="done")]
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "echo three times", "model": server.script(steps)}).json()["id"]
        received = follow(client, run_id)
    names = [name for name, _, _ in received]
    events = [data for name, data, _ in received if name == "message"]
    assert names[-1] == "end" and names.count("end") == 1
    assert received[-1][1] == {"status": "answered", "answer": "done", "error": None}
    assert [e["type"] for e in events] == ["workspace", "run_start", "step", "step", "step", "step", "run_end"]
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    assert "step1" in events[3]["observation"]["text"]
    # Live: the first step arrived while the run was still going, long before it ended.
    first_step_arrived = next(at for name, data, at in received if data.get("type") == "step")
    assert first_step_arrived < events[-1]["time"] - 0.3
    # The stream is the trace: the same events, in the same order.
    trace = read_events(server.config.runs_dir / run_id / "trace.jsonl")
    assert events == trace


def test_a_finished_run_streams_its_whole_trace_then_closes(server):
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "answer", "model": server.script([action("final_answer", answer="42")])}).json()["id"]
        follow(client, run_id)  # until it has finished
        again = follow(client, run_id)
        resumed = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": "1"}).text
        raw = client.get(f"/api/runs/{run_id}/trace.jsonl")
        run = client.get(f"/api/runs/{run_id}").json()
    assert [data.get("type") for _, data, _ in again] == ["workspace", "run_start", "step", "run_end", None]
    assert resumed.count("data:") == 3 and resumed.startswith("id: 2\n")  # after event 1: step, run_end, end
    assert run["status"] == "answered" and run["result"]["answer"] == "42" and run["live"] is False
    assert raw.content == (server.config.runs_dir / run_id / "trace.jsonl").read_bytes()


def no_sleepers(marker: str) -> bool:
    return not any(marker in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))


def test_cancel_stops_a_slow_run_and_what_it_started(server):
    script = server.script([action("shell", command="sleep 47.25"), action("final_answer", answer="too late")])
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "wait a long time", "model": script}).json()["id"]
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            for name, data in sse_events(response):
                if data.get("type") == "run_start":
                    break
        deadline = time.monotonic() + 10
        while no_sleepers("47.25") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not no_sleepers("47.25")  # the command is running
        cancelled_at = time.monotonic()
        assert client.post(f"/api/runs/{run_id}/cancel").json() == {"id": run_id, "cancelled": True}
        end = follow(client, run_id)[-1][1]
        stopped_in = time.monotonic() - cancelled_at
        again = client.post(f"/api/runs/{run_id}/cancel")
    assert end["status"] == "timeout" and end["error"] == "the run was cancelled"
    assert stopped_in < 5
    assert no_sleepers("47.25")
    assert again.status_code == 409 and "already finished" in again.json()["detail"]


def test_cancel_reaches_a_run_still_waiting_for_a_worker(tmp_path):
    with running_server(server_config(tmp_path, serve_workers=1), tmp_path) as server, server.client() as client:
        slow = client.post("/api/runs", json={"task": "slow", "model": server.script([action("shell", command="sleep 31.5")], "slow.json")}).json()["id"]
        queued = client.post("/api/runs", json={"task": "queued", "model": server.script([action("final_answer", answer="x")], "q.json")}).json()["id"]
        assert client.get(f"/api/runs/{queued}").json()["status"] == "queued"
        assert [r["id"] for r in client.get("/api/runs", params={"status": "queued"}).json()] == [queued]
        client.post(f"/api/runs/{queued}/cancel")
        client.post(f"/api/runs/{slow}/cancel")
        end = follow(client, queued)[-1][1]
    assert end["status"] == "timeout" and end["error"] == "the run was cancelled"  # it started, saw the cancel, and stopped with a trace


def test_the_queue_is_bounded(tmp_path):
    config = server_config(tmp_path, serve_workers=1)
    with running_server(config, tmp_path, manager=RunManager(config, max_queued=1)) as server, server.client() as client:
        slow = server.script([action("shell", command="sleep 29.5")], "slow.json")
        first = client.post("/api/runs", json={"task": "slow", "model": slow}).json()["id"]
        while client.get(f"/api/runs/{first}").json()["status"] == "queued":  # until the one worker has taken it
            time.sleep(0.02)
        second = client.post("/api/runs", json={"task": "waits", "model": slow}).json()["id"]
        refused = client.post("/api/runs", json={"task": "one too many", "model": slow})
        for run_id in (second, first):
            client.post(f"/api/runs/{run_id}/cancel")
    assert refused.status_code == 429 and "1 runs are already waiting for a worker" in refused.json()["detail"]


def test_a_run_refused_before_it_starts_says_why(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    config = server_config(tmp_path).model_copy(update={"runs_dir": tmp_path / "a-file" / "runs"})
    with running_server(config, tmp_path) as server, server.client() as client:
        run_id = client.post("/api/runs", json={"task": "x", "model": server.script([action("final_answer", answer="1")])}).json()["id"]
        end = follow(client, run_id)[-1]
        run = client.get(f"/api/runs/{run_id}").json()
    assert end[0] == "end" and end[1]["status"] == "error" and "cannot record runs in" in end[1]["error"]
    assert run["status"] == "error" and run["error"] == end[1]["error"] and run["result"] is None


def test_workspace_files_are_served_and_nothing_outside_it(server):
    script = server.script([action("shell", command="echo made > made.txt; ln -s /etc/passwd leak"), action("final_answer", answer="ok")])
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "make files", "model": script}).json()["id"]
        follow(client, run_id)
        made = client.get(f"/api/runs/{run_id}/files/made.txt")
        leak = client.get(f"/api/runs/{run_id}/files/leak")
        up = client.get(f"/api/runs/{run_id}/files/%2E%2E/trace.jsonl")
    assert made.status_code == 200 and made.text == "made\n" and "sandbox" in made.headers["content-security-policy"]
    assert leak.status_code == 404 and up.status_code == 404 and "no file" in up.json()["detail"]


def test_feedback_is_stored_beside_the_trace_and_listed(server):
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "answer", "model": server.script([action("final_answer", answer="1")])}).json()["id"]
        follow(client, run_id)
        assert client.post(f"/api/runs/{run_id}/feedback", json={"rating": "down", "note": "wrong"}).status_code == 200
        stored = client.post(f"/api/runs/{run_id}/feedback", json={"rating": "up", "note": "right after all 👍"}).json()
        run = client.get(f"/api/runs/{run_id}").json()
        listed = client.get("/api/runs").json()
    lines = [json.loads(line) for line in (server.config.runs_dir / run_id / "feedback.jsonl").read_text().splitlines()]
    assert [line["rating"] for line in lines] == ["down", "up"]
    assert run["feedback"]["rating"] == "up" and run["feedback"]["note"] == "right after all 👍" == stored["note"]
    assert listed[0]["feedback"] == "up"


def test_runs_are_listed_with_filters(server):
    with server.client() as client:
        ids = {}
        for task, answer in (("count the apples", "3"), ("name the pears", None)):
            script = [action("final_answer", answer=answer)] if answer else ["not an action"] * 3
            ids[task] = client.post("/api/runs", json={"task": task, "model": server.script(script, f"{task}.json")}).json()["id"]
            follow(client, ids[task])
        assert [r["id"] for r in client.get("/api/runs", params={"q": "APPLES"}).json()] == [ids["count the apples"]]
        assert [r["id"] for r in client.get("/api/runs", params={"status": "invalid_output"}).json()] == [ids["name the pears"]]
        assert len(client.get("/api/runs", params={"limit": 1}).json()) == 1


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the requests that change nothing."""
    tmp = tmp_path_factory.mktemp("shared")
    with running_server(server_config(tmp), tmp) as running:
        yield running


@pytest.mark.parametrize(
    "method, path, body, status, words",
    [
        ("post", "/api/runs", {}, 422, "task: Field required"),
        ("post", "/api/runs", {"task": "   "}, 422, "the task is empty"),
        ("post", "/api/runs", {"task": "x", "max_steps": "ten"}, 422, "max_steps"),
        ("post", "/api/runs", {"task": "x", "max_steps": 0}, 422, "max_steps: Input should be greater than or equal to 1"),
        ("post", "/api/runs", {"task": "x", "colour": "red"}, 422, "colour: Extra inputs are not permitted"),
        ("post", "/api/runs", {"task": "x", "tools": ["telepathy"]}, 422, "unknown tool set 'telepathy'"),
        ("post", "/api/runs", {"task": "x", "actions": "yaml"}, 422, "actions"),
        ("post", "/api/runs", {"task": "x", "model": "gpt9"}, 400, "unknown model spec 'gpt9'"),
        ("post", "/api/runs", {"task": "x", "model": "scripted:/nowhere.json"}, 400, "scripted model file not found"),
        ("post", "/api/runs", b'{"task": ', 422, "body: not valid JSON"),
        ("get", "/api/runs/20990101-000000-abcdef", None, 404, "no run '20990101-000000-abcdef'"),
        ("get", "/api/runs/..hidden", None, 404, "no run"),
        ("post", "/api/runs/20990101-000000-abcdef/cancel", None, 404, "no run"),
        ("post", "/api/runs/20990101-000000-abcdef/feedback", {"rating": "up"}, 404, "no run"),
        ("get", "/api/runs", {"limit": 0}, 422, "limit"),
        ("get", "/api/evals/nothing", None, 404, "no eval 'nothing'"),
        ("get", "/api/evals/compare", {"a": "x"}, 422, "b: Field required"),
    ],
)
def test_bad_requests_get_a_4xx_with_one_clear_line(shared_server, method, path, body, status, words):
    with shared_server.client() as client:
        if method == "get":
            response = client.get(path, params=body)
        elif isinstance(body, bytes):
            response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        else:
            response = client.post(path, json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and words in detail and "\n" not in detail


def test_bad_feedback_is_refused(server):
    with server.client() as client:
        run_id = client.post("/api/runs", json={"task": "answer", "model": server.script([action("final_answer", answer="1")])}).json()["id"]
        follow(client, run_id)
        response = client.post(f"/api/runs/{run_id}/feedback", json={"rating": "meh"})
    assert response.status_code == 422 and "rating: Input should be 'up' or 'down'" in response.json()["detail"]
    assert not (server.config.runs_dir / run_id / "feedback.jsonl").exists()


def test_with_a_token_every_request_needs_it(tmp_path):
    with running_server(server_config(tmp_path, serve_token="s3cret-token"), tmp_path) as server:
        with server.client() as client:
            for path in ("/api/runs", "/", "/static/app.js", "/openapi.json", "/docs", "/api/evals"):
                response = client.get(path)
                assert response.status_code == 401 and "token is required" in response.json()["detail"], path
            assert client.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert client.post("/api/runs", json={"task": "x"}).status_code == 401
            assert client.get("/api/runs", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        with server.client() as browser:  # the page opened once with ?token=, then the cookie carries it
            assert browser.get("/", params={"token": "s3cret-token"}).status_code == 200
            assert browser.get("/api/runs").status_code == 200


def test_any_bind_but_loopback_needs_a_token(tmp_path):
    with pytest.raises(ConfigError, match="set a token"):
        check_bind(server_config(tmp_path, serve_host="0.0.0.0"))
    check_bind(server_config(tmp_path, serve_host="0.0.0.0", serve_token="t"))
    check_bind(server_config(tmp_path))


def test_evals_are_listed_with_what_ran_failures_and_trace_links(server):
    make_eval(server.config.evals_dir, "first")
    make_eval(server.config.evals_dir, "second", right_answer="5")
    with server.client() as client:
        listed = client.get("/api/evals").json()
        summary = client.get("/api/evals/first").json()
        report = client.get("/api/evals/first/report").text
        comparison = client.get("/api/evals/compare", params={"a": "first", "b": "second"}).json()
        failed = summary["failures"][0]
        trace = client.get(f"/api/runs/{failed['run_id']}").json()  # an eval's run opens like any other
    assert sorted(e["name"] for e in listed) == ["first", "second"]
    assert summary["meta"]["model"] == "local" and summary["ran"] == {"model": "per-task", "actions": "json"}
    assert [(f["task"], f["reason"]) for f in summary["failures"]] == [("s/guess", "numeric check failed: expected 3.0 ± 1e-06, got '4'")]
    assert trace["task"].startswith("[guess]") and trace["status"] == "answered"
    assert "per-task (asked for local)" in report and "json (asked for default)" in report
    assert f"href='/#/runs/{failed['run_id']}'" in report and "got &#x27;4&#x27;" in report
    pass_rate = {d["name"]: d for d in comparison["suites"] if d["metric"] == "pass rate"}
    assert pass_rate["s"]["a"] == "50%" and pass_rate["s"]["b"] == "0%" and comparison["chart"].startswith("<svg")

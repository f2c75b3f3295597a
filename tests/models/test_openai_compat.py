"""The OpenAI-compatible backend against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from picoagent.actions.json_format import JsonFormat
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, ModelError
from picoagent.models.base import DEADLINE_REACHED
from picoagent.models.openai_compat import OpenAIModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events
from tests.conftest import send_chat_completion, SlowChatServer, serving


@pytest.mark.slow
def test_completion_from_a_real_llama_cpp_server(llama_server: str) -> None:
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    completion = model.complete([{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Say hello."}], max_tokens=16)
    assert completion.text
    assert completion.usage.prompt_tokens > 5 and 0 < completion.usage.completion_tokens <= 16
    assert completion.timings.total_s > 0


@pytest.mark.slow
def test_the_server_enforces_the_action_schema(llama_server: str, tmp_path: Path) -> None:
    registry = ToolRegistry(builtin_tools(tmp_path))
    json_format = JsonFormat(registry)
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    messages = [{"role": "system", "content": json_format.instructions()}, {"role": "user", "content": "List the files here."}]
    completion = model.complete(messages, constraint=json_format.constraint(), max_tokens=200)
    action = json_format.parse(completion.text)
    registry.get(action.tool).args_model.model_validate(action.args)
    assert model._schema_style_index == 1, "llama-cpp-python's server refuses json_schema and takes our GBNF grammar"
    assert completion.usage.prompt_tokens > 300, "the system prompt was folded in, not dropped by the gemma template"


@pytest.mark.slow
def test_an_agent_run_over_the_server(llama_server: str, tmp_path: Path) -> None:
    config = Config(model="openai:gemma-3-270m", actions="json", runs_dir=tmp_path / "runs", workspace=tmp_path, max_steps=3)
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    result = run_task("How many files are in this folder?", config, model=model)
    assert result.status in {"answered", "max_steps", "stuck", "invalid_output"}
    assert result.steps >= 1 and result.usage.prompt_tokens > 0


class FlakyServer(BaseHTTPRequestHandler):
    """Fails with 503 a set number of times, then answers like a chat server."""

    failures_left = 0
    requests = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).requests += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "overloaded"}}')
            return
        send_chat_completion(self, "pong")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky_server():
    FlakyServer.requests = 0
    with serving(FlakyServer) as url:
        yield f"{url}/v1"


def test_transient_errors_are_retried_with_backoff(flaky_server) -> None:
    url = flaky_server
    FlakyServer.failures_left = 2
    completion = OpenAIModel("m", base_url=url, max_retries=3).complete([{"role": "user", "content": "ping"}])
    assert completion.text == "pong"
    assert FlakyServer.requests == 3


def test_persistent_server_errors_become_one_clear_error(flaky_server) -> None:
    url = flaky_server
    FlakyServer.failures_left = 10
    with pytest.raises(ModelError, match=rf"server at {url} failed with HTTP 503"):
        OpenAIModel("m", base_url=url, max_retries=1).complete([{"role": "user", "content": "ping"}])


def test_unreachable_server_names_the_url() -> None:
    with pytest.raises(ModelError, match=r"cannot reach the OpenAI-compatible server at http://127.0.0.1:9/v1"):
        OpenAIModel("m", base_url="http://127.0.0.1:9/v1", max_retries=0).complete([{"role": "user", "content": "ping"}])


def test_base_url_comes_from_either_environment_variable(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:1234/v1")
    assert OpenAIModel("m").base_url == "http://127.0.0.1:1234/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:5678/v1")
    assert OpenAIModel("m").base_url == "http://127.0.0.1:5678/v1"


class OddServer(BaseHTTPRequestHandler):
    """Answers 200 with whatever body the test sets."""

    body = b""
    content_type = "application/json"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", type(self).content_type)
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}', "application/json"),
        (b"<html>gateway says hello</html>", "text/html"),
        (b"not json at all", "application/json"),
        (b'{"choices": [{"message": null}]}', "application/json"),
        (b'{"choices": [{"message": {"content": 5}}]}', "application/json"),
    ],
)
def test_a_reply_that_is_not_a_chat_completion_is_a_model_error(body: bytes, content_type: str) -> None:
    OddServer.body, OddServer.content_type = body, content_type
    with serving(OddServer) as url:
        with pytest.raises(ModelError, match=r"sent a reply that is not a chat completion"):
            OpenAIModel("m", base_url=f"{url}/v1", max_retries=0).complete([{"role": "user", "content": "ping"}])


def test_lone_surrogates_in_a_reply_do_not_crash_the_run(tmp_path: Path) -> None:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "CONTENT"}, "finish_reason": "stop"}]}
    reply = '{"thought": "\\ud800", "tool": "final_answer", "args": {"answer": "a\\udcffb"}}'
    OddServer.body = json.dumps(body).replace('"CONTENT"', json.dumps(reply)).encode()
    OddServer.content_type = "application/json"
    with serving(OddServer) as url:
        model = OpenAIModel("m", base_url=f"{url}/v1", max_retries=0)
        config = Config(model="openai:m", actions="json", runs_dir=tmp_path / "runs", workspace=tmp_path)
        result = run_task("answer", config, model=model)
    assert result.status == "answered" and result.answer == "a\ufffdb"


def test_no_base_url_is_an_error_not_the_hosted_api(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    with pytest.raises(ConfigError, match=r"needs a server address: set OPENAI_BASE_URL"):
        OpenAIModel("m")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    assert OpenAIModel("m").base_url == "https://api.openai.com/v1"


def test_the_deadline_is_the_request_timeout_and_the_request_is_closed(slow_chat_server: str) -> None:
    model = OpenAIModel("m", base_url=slow_chat_server, max_retries=3)
    started = time.monotonic()
    completion = model.complete([{"role": "user", "content": "ping"}], deadline=Deadline(0.5))
    assert completion.finish_reason == DEADLINE_REACHED and completion.text == ""
    assert time.monotonic() - started < 1.2
    time.sleep(0.3)  # the server looks at the connection every 20 ms
    [request] = SlowChatServer.requests  # a timeout at the deadline is not retried
    assert request["gone"] is not None and request["gone"] - request["arrived"] < 1.0, "the server saw the client hang up"


def test_retries_stop_at_the_deadline(flaky_server) -> None:
    FlakyServer.failures_left = 100
    started = time.monotonic()
    with pytest.raises(ModelError, match="failed with HTTP 503"):
        OpenAIModel("m", base_url=flaky_server, max_retries=10).complete([{"role": "user", "content": "ping"}], deadline=Deadline(0.7))
    assert time.monotonic() - started < 0.7, "a retry whose backoff would end past the deadline is not waited for"
    assert FlakyServer.requests == 2, "the first retry fits in the deadline, the second does not"


@pytest.mark.slow
def test_a_run_over_a_slow_server_ends_on_time_with_a_complete_trace(slow_chat_server: str, tmp_path: Path) -> None:
    config = Config(model="openai:m", runs_dir=tmp_path / "runs", workspace=tmp_path, max_wall_s=1.0)
    result = run_task("Say hi.", config, model=OpenAIModel("m", base_url=slow_chat_server))
    assert result.status == "timeout" and result.wall_s < 1.5
    events = read_events(Path(result.trace_path))
    assert [e["type"] for e in events][-2:] == ["step", "run_end"]
    assert events[-2]["cut_off"] is True


def test_a_read_timeout_says_the_server_did_not_answer_in_time(slow_chat_server: str) -> None:
    model = OpenAIModel("m", base_url=slow_chat_server, timeout_s=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ModelError) as raised:
        model.complete([{"role": "user", "content": "ping"}])
    assert time.monotonic() - started < 2.0
    message = str(raised.value)
    assert f"the server at {slow_chat_server} sent no reply within the read timeout of 0.3s" in message
    assert "--api-timeout" in message and "cannot reach" not in message


@pytest.mark.slow
def test_a_streamed_completion_from_a_real_llama_cpp_server(llama_server: str) -> None:
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    messages = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name three colours."}]
    pieces: list[str] = []
    streamed = model.complete(messages, max_tokens=24, on_text=pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == streamed.text == model.complete(messages, max_tokens=24).text
    assert streamed.usage.completion_tokens > 0 and streamed.finish_reason in ("stop", "length")


class GrammarRefusingServer(BaseHTTPRequestHandler):
    """Refuses a request that carries a `grammar` as hosted APIs do (400), answers others; keeps each body."""

    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        if "grammar" in body:
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "Unrecognized request argument supplied: grammar"}}')
            return
        send_chat_completion(self, "I will look.\n```python\nprint(1)")

    def log_message(self, *args) -> None:
        pass


def test_code_mode_sends_the_grammar_and_stops_at_the_closing_fence_where_it_is_refused(tmp_path: Path) -> None:
    from picoagent.actions.code_format import CLOSING_FENCE, CodeFormat

    code_format = CodeFormat(ToolRegistry(builtin_tools(tmp_path)), workspace=tmp_path, config=Config())
    GrammarRefusingServer.bodies = []
    with serving(GrammarRefusingServer) as url:
        model = OpenAIModel("m", base_url=f"{url}/v1", max_retries=0)
        for _ in range(2):
            completion = model.complete([{"role": "user", "content": "count"}], constraint=code_format.constraint(), max_tokens=1024)
    first, retry, second = GrammarRefusingServer.bodies
    assert first["grammar"] == code_format.constraint().grammar and first["stop"] == [CLOSING_FENCE]
    assert "grammar" not in retry and retry["stop"] == [CLOSING_FENCE], "refused, the grammar goes and the stop string stays"
    assert "grammar" not in second, "the refusal is remembered"
    assert code_format.parse(completion.text).code == "print(1)", "a reply cut at the closing fence still parses"


@pytest.mark.slow
def test_code_mode_over_the_server_ends_each_step_at_the_fence(llama_server: str, tmp_path: Path) -> None:
    config = Config(model="openai:gemma-3-270m", actions="code", runs_dir=tmp_path / "runs", workspace=tmp_path, max_steps=2, sandbox="off")
    model = OpenAIModel("gemma-3-270m", base_url=llama_server)
    result = run_task("How many files are in this folder?", config, model=model)
    assert result.status in {"answered", "max_steps", "stuck", "invalid_output"} and model._takes_grammar
    steps = [event for event in read_events(result.trace_path) if event["type"] == "step"]
    for step in steps:
        assert step["raw"].rstrip().endswith("```"), "the grammar ends the reply at the closing fence"
        assert step["usage"]["completion_tokens"] < 1024
    if result.last_call:  # the forced last call is final_answer with a literal: an answer, not a NameError
        assert result.status == "answered" and steps[-1]["action"]["code"].startswith('final_answer("')

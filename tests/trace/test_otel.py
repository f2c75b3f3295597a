"""OpenTelemetry spans from a run's recorder events, captured with the SDK's in-memory exporter."""

from __future__ import annotations


import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.models.scripted import ScriptedModel
from tests.conftest import action

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The process's tracer provider (set once: OpenTelemetry allows no second), emptied per test."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    return EXPORTER


def test_run_step_model_and_tool_spans_with_token_usage(config: Config, spans: InMemorySpanExporter) -> None:
    config = config.model_copy(update={"otel": True, "sandbox": "off"})
    model = ScriptedModel([action("shell", command="echo one two three"), action("read_file", path="missing.txt"), action("final_answer", answer="three")])
    result = run_task("count words", config, model=model)
    assert result.ok

    finished = spans.get_finished_spans()
    by_name = {span.name: span for span in finished}
    run = by_name["invoke_agent picoagent"]
    assert run.parent is None and run.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert run.attributes["gen_ai.request.model"] == "scripted" and run.attributes["picoagent.run_id"] == result.run_id
    assert run.attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens > 0
    assert run.attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens > 0

    steps = sorted((span for span in finished if span.name.startswith("step ")), key=lambda span: span.attributes["picoagent.step"])
    assert [span.name for span in steps] == ["step 1", "step 2", "step 3"]
    assert all(span.parent.span_id == run.context.span_id and span.context.trace_id == run.context.trace_id for span in steps)
    assert sum(span.attributes["gen_ai.usage.input_tokens"] for span in steps) == result.usage.prompt_tokens

    def children(parent) -> list:
        return [span for span in finished if span.parent is not None and span.parent.span_id == parent.context.span_id]

    for step in steps:
        model_calls = [span for span in children(step) if span.name == "chat scripted"]
        assert len(model_calls) == 1 and model_calls[0].attributes["gen_ai.usage.output_tokens"] == step.attributes["gen_ai.usage.output_tokens"]
        assert run.start_time <= step.start_time <= model_calls[0].start_time <= model_calls[0].end_time <= step.end_time <= run.end_time
    tools = [[span for span in children(step) if span.name.startswith("execute_tool")] for step in steps]
    assert [[span.attributes["gen_ai.tool.name"] for span in group] for group in tools] == [["shell"], ["read_file"], ["final_answer"]]
    assert tools[0][0].status.status_code != StatusCode.ERROR and tools[1][0].status.status_code == StatusCode.ERROR


def test_code_blocks_have_their_tool_calls_as_children(spans: InMemorySpanExporter) -> None:
    """The span structure for the code format, from recorded events alone (no kernel needed)."""
    from picoagent.trace.otel import SpanBuilder

    builder = SpanBuilder(trace.get_tracer("test"))
    step = {
        "type": "step", "time": 100.0, "step": 1, "usage": {"prompt_tokens": 50, "completion_tokens": 9},
        "timings": {"total_s": 2.0}, "exec_s": 1.0, "engine_s": 0.001,
        "action": {"kind": "code", "code": "print(shell('ls'))"},
        "observation": {"text": "a.txt", "is_error": False, "tool_calls": [{"tool": "shell", "args": {}, "duration_s": 0.25}]},
    }
    for event in ({"type": "run_start", "time": 97.0, "model": "local:gemma.gguf", "task": "t"}, step, {"type": "run_end", "time": 100.1, "result": {"status": "max_steps", "usage": {"prompt_tokens": 50, "completion_tokens": 9}}}):
        builder(event)
    by_name = {span.name: span for span in spans.get_finished_spans()}
    code, shell = by_name["execute_code"], by_name["execute_tool shell"]
    assert shell.parent.span_id == code.context.span_id and code.parent.span_id == by_name["step 1"].context.span_id
    assert by_name["chat local:gemma.gguf"].attributes["gen_ai.provider.name"] == "llama.cpp"
    assert (code.end_time - code.start_time) == pytest.approx(1e9, rel=1e-6) and (shell.end_time - shell.start_time) == pytest.approx(0.25e9, rel=1e-6)
    assert by_name["invoke_agent picoagent"].status.status_code == StatusCode.ERROR  # no answer


def test_without_the_sdk_installed_otel_is_one_line(monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    import sys

    from picoagent.errors import ConfigError

    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(ConfigError, match=r"pip install 'picoagent\[otel\]'"):
        run_task("x", config.model_copy(update={"otel": True}), model=ScriptedModel([]))

"""OpenTelemetry spans built from the events the Recorder writes (`--otel`; the `otel` extra).

A recorder listener, not instrumentation in the loop: the trace already holds what each
step did, how long the model call and the action took, and the tokens used. Each run is one
span, each step a child, and each step's model call and tool calls its children. Step events
arrive when a step ends, so the spans get explicit start and end times worked back from the
step's own timings. Token usage is in the GenAI semantic-convention attributes
(gen_ai.usage.input_tokens, gen_ai.usage.output_tokens).
"""

from __future__ import annotations

from typing import Any

from picoagent.errors import ConfigError

NS = 1_000_000_000


def otel_tracer() -> Any:
    """The tracer runs report to: the application's, if it set up a TracerProvider, else one that
    exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318)."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        raise ConfigError("--otel needs OpenTelemetry: pip install 'picoagent[otel]'") from None
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": "picoagent"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # flushed at exit
        trace.set_tracer_provider(provider)
    return trace.get_tracer("picoagent")


def provider_name(model: str) -> str:
    """gen_ai.provider.name for a model spec."""
    kind = model.partition(":")[0]
    return {"local": "llama.cpp", "openai": "openai"}.get(kind, f"picoagent.{kind}")


class SpanBuilder:
    """Listens to one run's recorder events and emits its spans: run > step > model call, tool calls."""

    def __init__(self, tracer: Any):
        self.tracer = tracer
        self._run: Any = None
        self._model = ""
        self._workspace: dict[str, Any] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "workspace":
            self._workspace = event
        elif kind == "run_start":
            self._start_run(event)
        elif kind == "step" and self._run is not None:
            self._step(event)
        elif kind == "run_end" and self._run is not None:
            self._end_run(event)

    def _start_run(self, event: dict[str, Any]) -> None:
        self._model = event.get("model", "")
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "picoagent",
            "gen_ai.request.model": self._model,
            "gen_ai.provider.name": provider_name(self._model),
            "picoagent.task": event.get("task", ""),
            "picoagent.actions": event.get("actions", ""),
            "picoagent.sandbox": self._workspace.get("sandbox", ""),
        }
        if self._workspace.get("follows"):
            attributes["picoagent.follows"] = self._workspace["follows"]
        self._run = self.tracer.start_span("invoke_agent picoagent", attributes=attributes, start_time=_ns(event["time"]))

    def _child(self, parent: Any, name: str, start: int, attributes: dict[str, Any]) -> Any:
        from opentelemetry import trace

        return self.tracer.start_span(name, context=trace.set_span_in_context(parent), start_time=start, attributes=attributes)

    def _step(self, event: dict[str, Any]) -> None:
        from opentelemetry.trace import Status, StatusCode

        timings, usage = event.get("timings") or {}, event.get("usage") or {}
        model_s = (timings.get("total_s") or 0.0) + (timings.get("wait_s") or 0.0)  # as the caller saw it, queueing included
        exec_s = event.get("exec_s") or 0.0
        end = _ns(event["time"])
        start = end - int((model_s + exec_s + (event.get("engine_s") or 0.0)) * NS)
        tokens = {"gen_ai.usage.input_tokens": usage.get("prompt_tokens") or 0, "gen_ai.usage.output_tokens": usage.get("completion_tokens") or 0}
        step = self._child(self._run, f"step {event.get('step')}", start, {"picoagent.step": event.get("step", 0), **tokens})
        if event.get("error"):
            step.set_status(Status(StatusCode.ERROR, event["error"][:200]))
        model_end = start + int(model_s * NS)
        model_attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": self._model,
            "gen_ai.provider.name": provider_name(self._model),
            **tokens,
        }
        if usage.get("prompt_tokens_evaluated") is not None:
            model_attributes["picoagent.usage.input_tokens_evaluated"] = usage["prompt_tokens_evaluated"]
        model_span = self._child(step, f"chat {self._model}", start, model_attributes)
        model_span.end(end_time=model_end)
        action = event.get("action")
        if action is not None:
            self._action(step, action, (event.get("observation") or {}), model_end, model_end + int(exec_s * NS))
        step.end(end_time=end)

    def _action(self, step: Any, action: dict[str, Any], observation: dict[str, Any], start: int, end: int) -> None:
        """A tool call's span; a code block's span, with a child for each tool its code called."""
        from opentelemetry.trace import Status, StatusCode

        calls = observation.get("tool_calls") or []
        if action.get("kind") == "code":
            span = self._child(step, "execute_code", start, {"gen_ai.operation.name": "execute_code"})
            at = start
            for call in calls:
                took = int((call.get("duration_s") or 0.0) * NS)
                child = self._child(span, f"execute_tool {call.get('tool')}", at, _tool_attributes(call))
                if call.get("error"):
                    child.set_status(Status(StatusCode.ERROR, str(call["error"])[:200]))
                child.end(end_time=at + took)
                at += took
        else:
            span = self._child(step, f"execute_tool {action.get('tool')}", start, _tool_attributes({"tool": action.get("tool")}))
        if observation.get("is_error"):
            span.set_status(Status(StatusCode.ERROR, str(observation.get("text", ""))[:200]))
        span.end(end_time=end)

    def _end_run(self, event: dict[str, Any]) -> None:
        from opentelemetry.trace import Status, StatusCode

        result = event.get("result") or {}
        usage = result.get("usage") or {}
        self._run.set_attributes(
            {
                "gen_ai.usage.input_tokens": usage.get("prompt_tokens") or 0,
                "gen_ai.usage.output_tokens": usage.get("completion_tokens") or 0,
                "picoagent.status": result.get("status", ""),
                "picoagent.steps": result.get("steps", 0),
                "picoagent.run_id": result.get("run_id") or "",
            }
        )
        if result.get("status") != "answered":
            self._run.set_status(Status(StatusCode.ERROR, result.get("error") or result.get("status", "")))
        self._run.end(end_time=_ns(event["time"]))
        self._run = None


def _tool_attributes(call: dict[str, Any]) -> dict[str, Any]:
    return {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": str(call.get("tool"))}


def _ns(seconds: float) -> int:
    return int(seconds * NS)

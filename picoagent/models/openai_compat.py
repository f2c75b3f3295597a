"""Any OpenAI-compatible chat server: llama.cpp server, vLLM, Ollama, hosted APIs."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx
import openai

from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, ModelError
from picoagent.models.base import (
    DEADLINE_REACHED,
    Completion,
    Constraint,
    Message,
    TextSink,
    Timings,
    Usage,
)
from picoagent.models.grammar import schema_to_gbnf
from picoagent.models.templates import merge_turns

NO_SERVER = (
    "--model openai:{name} needs a server address: set OPENAI_BASE_URL, e.g. "
    "OPENAI_BASE_URL=http://127.0.0.1:8080/v1 for a local llama.cpp server, or "
    "OPENAI_BASE_URL=https://api.openai.com/v1 for OpenAI's hosted API"
)

# How to ask the server to enforce a JSON Schema, most specific first. Servers differ:
# OpenAI, vLLM and llama.cpp's llama-server take `response_format: json_schema`;
# llama-cpp-python's server refuses it but takes a GBNF `grammar`, which we write
# ourselves because its own schema converter builds grammars llama.cpp rejects for
# bounded strings. The first style a server accepts is remembered; if none is, the
# engine validates and repairs on its side.
_SCHEMA_STYLES = ("json_schema", "grammar", None)

# Retries of transient errors (connection, 408, 409, 429, 5xx), as the openai client does
# them: exponential backoff from RETRY_FIRST_S, at most RETRY_MAX_S. They are done here
# because the client's own cannot see a deadline: each attempt would get the full timeout.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 8.0


def _constraint_fields(style: str | None, schema: dict[str, Any]) -> dict[str, Any]:
    if style == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": "action", "schema": schema, "strict": False}}}
    if style == "grammar":
        return {"extra_body": {"grammar": schema_to_gbnf(schema)}}
    return {}


class OpenAIModel:
    """A chat model behind an OpenAI-compatible HTTP API.

    The base URL comes from OPENAI_BASE_URL or OPENAI_API_BASE, the key from
    OPENAI_API_KEY. Transient errors (connection, 5xx, 429) are retried with backoff;
    what remains becomes one ModelError naming the URL. Each request's timeout is the
    call's deadline, when that is sooner than `timeout_s`.
    """

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        fold_system: bool | None = None,
    ):
        if not name:
            raise ConfigError("openai model spec needs a model name: --model openai:NAME")
        self.model_name = name
        self.name = f"openai:{name}"
        # No default: a run meant for a local server must not send the task to a hosted API.
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
        if not self.base_url:
            raise ConfigError(NO_SERVER.format(name=name))
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=timeout_s,
            max_retries=0,
        )
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        # Gemma's chat templates have no system role (some servers drop it silently).
        self.fold_system = "gemma" in name.lower() if fold_system is None else fold_system
        self._schema_style_index = 0
        # Whether the server takes a GBNF `grammar` (llama.cpp's servers do); a refusal turns it off.
        self._takes_grammar = True

    def _payload_messages(self, messages: list[Message]) -> list[dict[str, str]]:
        chosen = merge_turns(messages) if self.fold_system else messages
        return [{"role": m["role"], "content": m["content"]} for m in chosen]

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        try:
            return self._complete(messages, **kwargs)
        except openai.AuthenticationError:
            raise ModelError(f"server at {self.base_url} refused the API key: set OPENAI_API_KEY") from None
        except openai.NotFoundError as exc:
            raise ModelError(f"server at {self.base_url} has no model {self.model_name!r} or no chat endpoint: {_short(exc)}") from None
        except openai.APIStatusError as exc:
            raise ModelError(f"server at {self.base_url} failed with HTTP {exc.status_code}: {_short(exc)}") from None

    def _complete(
        self,
        messages: list[Message],
        *,
        constraint: Constraint | None = None,
        stop: list[str] | None = None,
        max_tokens: int = 512,
        deadline: Deadline | None = None,
        on_text: TextSink | None = None,
    ) -> Completion:
        deadline = deadline or Deadline()
        schema = constraint.schema if constraint is not None else None
        grammar = constraint.grammar if constraint is not None and not schema else None
        stop = [*(stop or []), *(constraint.stop if constraint is not None else ())]
        while True:
            style = _SCHEMA_STYLES[self._schema_style_index] if schema else None
            request: dict[str, Any] = {
                "model": self.model_name,
                "messages": self._payload_messages(messages),
                "max_tokens": max_tokens,
                "temperature": 0.0,
            }
            if stop:
                request["stop"] = stop
            if on_text is not None:  # usage comes in the last chunk
                request.update(stream=True, stream_options={"include_usage": True})
            if schema:
                constrained = _constraint_fields(style, schema)
            else:
                constrained = {"extra_body": {"grammar": grammar}} if grammar and self._takes_grammar else {}
            request.update(constrained)
            started = time.perf_counter()
            try:
                response = self._create(request, deadline)
                break
            except openai.APIStatusError as exc:
                if constrained and _refuses_constraint(exc) and schema and self._schema_style_index < len(_SCHEMA_STYLES) - 1:
                    self._schema_style_index += 1  # the server refused this schema style: try the next
                    continue
                if constrained and _refuses_constraint(exc) and grammar:
                    self._takes_grammar = False  # the stop strings still end the reply
                    continue
                if isinstance(exc, openai.BadRequestError):
                    raise ModelError(f"server at {self.base_url} rejected the request: {_short(exc)}") from None
                raise
            except openai.APITimeoutError:  # the server took the request and did not answer in time
                raise ModelError(
                    f"the server at {self.base_url} sent no reply within the read timeout of {self.timeout_s:g}s "
                    "(raise it with --api-timeout or PICOAGENT_API_TIMEOUT_S)"
                ) from None
            except openai.APIConnectionError as exc:
                raise ModelError(f"cannot reach the OpenAI-compatible server at {self.base_url}: {_short(exc.__cause__ or exc)}") from None
            except ValueError as exc:  # a body sent as JSON that is not
                raise ModelError(f"server at {self.base_url} sent a reply that is not a chat completion: {_short(exc)}") from None
        if response is not None and on_text is not None:
            return self._read_stream(response, on_text, deadline, started)
        elapsed = time.perf_counter() - started
        if response is None:
            return Completion(text="", timings=Timings(total_s=elapsed), finish_reason=DEADLINE_REACHED)
        # A server can answer 200 with anything: a body that is not JSON (the client then
        # returns a str), no choices, or fields of the wrong type.
        choices = getattr(response, "choices", None)
        message = getattr(choices[0], "message", None) if isinstance(choices, list) and choices else None
        text = getattr(message, "content", None)
        if message is None or not isinstance(text, (str, type(None))):
            raise ModelError(f"server at {self.base_url} sent a reply that is not a chat completion: {repr(response)[:200]}")
        usage = Usage(prompt_tokens=_count(response, "prompt_tokens"), completion_tokens=_count(response, "completion_tokens"))
        details = getattr(getattr(response, "usage", None), "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) if details else None
        if isinstance(cached, int):
            usage.prompt_tokens_evaluated = usage.prompt_tokens - cached
        finish_reason = getattr(choices[0], "finish_reason", None)
        return Completion(
            text=text or "",
            usage=usage,
            timings=Timings(total_s=elapsed),
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        )

    def _read_stream(self, stream: Any, on_text: TextSink, deadline: Deadline, started: float) -> Completion:
        """A streamed reply, passing each piece of text on; cut off at the deadline with what came."""
        pieces: list[str] = []
        usage, finish_reason, first_at = None, None, None
        try:
            for chunk in stream:
                choices = getattr(chunk, "choices", None) or []
                delta = getattr(choices[0], "delta", None) if choices else None
                piece = getattr(delta, "content", None)
                if isinstance(piece, str) and piece:
                    first_at = first_at or time.perf_counter()
                    pieces.append(piece)
                    on_text(piece)
                if choices and isinstance(getattr(choices[0], "finish_reason", None), str):
                    finish_reason = choices[0].finish_reason
                if getattr(chunk, "usage", None) is not None:
                    usage = Usage(prompt_tokens=_count(chunk, "prompt_tokens"), completion_tokens=_count(chunk, "completion_tokens"))
                if finish_reason is None and deadline.expired():
                    finish_reason = DEADLINE_REACHED
                    break
        except (openai.APITimeoutError, httpx.TimeoutException):  # a read timeout is the deadline
            finish_reason = DEADLINE_REACHED
        except (openai.APIError, ValueError) as exc:
            raise ModelError(f"server at {self.base_url} broke off a streamed reply: {_short(exc)}") from None
        finally:
            stream.close()
        if usage is None:  # a server that ignores stream_options (llama-cpp-python's): a chunk is about a token
            usage = Usage(completion_tokens=len(pieces))
        ended = time.perf_counter()
        first_at = first_at or ended
        timings = Timings(total_s=ended - started, prompt_s=first_at - started, generation_s=ended - first_at)
        return Completion(text="".join(pieces), usage=usage, timings=timings, finish_reason=finish_reason)

    def _create(self, request: dict[str, Any], deadline: Deadline) -> Any | None:
        """The server's response, retrying transient errors within the deadline; None when the
        deadline came first (the request in flight is then closed by its timeout)."""
        attempt = 0
        while not deadline.expired():
            try:
                return self.client.chat.completions.create(**request, timeout=min(self.timeout_s, deadline.remaining()))
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                if isinstance(exc, openai.APITimeoutError) and deadline.expired():
                    return None
                backoff = min(RETRY_FIRST_S * 2**attempt, RETRY_MAX_S)
                if attempt == self.max_retries or not _transient(exc) or deadline.remaining() <= backoff:
                    raise
                deadline.sleep(backoff)  # a cancelled deadline ends the wait
                attempt += 1
        return None


def _transient(exc: openai.APIError) -> bool:
    """Worth retrying: the openai client's own rule (connection errors, 408, 409, 429, 5xx)."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return True


def _count(response: Any, field: str) -> int:
    value = getattr(getattr(response, "usage", None), field, 0)
    return value if isinstance(value, int) else 0


def _refuses_constraint(exc: openai.APIStatusError) -> bool:
    """Whether the server refused how we asked for structure (servers say so with 400, 422 or even 500)."""
    return exc.status_code in (400, 422) or any(word in str(exc) for word in ("response_format", "json_schema", "grammar"))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]

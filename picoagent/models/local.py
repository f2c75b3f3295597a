"""The embedded backend: llama.cpp in-process through llama-cpp-python, any GGUF."""

from __future__ import annotations

import json
import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from picoagent.deadline import Deadline
from picoagent.errors import ModelError
from picoagent.models.base import (
    DEADLINE_REACHED,
    Completion,
    Constraint,
    ContextOverflowError,
    Message,
    TextSink,
    Timings,
    Usage,
)
from picoagent.models.constrained import runaway_tokens
from picoagent.models.templates import GEMMA_STOP, merge_turns, render_gemma
from picoagent.models.weights import check_adapter_base

# Prompt evaluation looks at the deadline between batches. Far from it, a batch is n_batch
# tokens (fastest); near it, only as many as fit in half the time left at the speed measured
# so far (speed varies on a shared machine), but at least PREFILL_MIN_BATCH. The first
# estimate is deliberately slow.
PREFILL_MIN_BATCH = 8
PREFILL_SHARE_OF_TIME_LEFT = 0.5
FIRST_PREFILL_S_PER_TOKEN = 1 / 50


@lru_cache(maxsize=1)
def _silence_llama_logs() -> Any:
    """Route llama.cpp's own logging to nowhere: it writes setup chatter to stderr even when
    verbose=False, which garbles live output. Load failures still surface as ModelError."""
    import llama_cpp

    @llama_cpp.llama_log_callback
    def _discard(level: int, text: bytes, user_data: Any) -> None:
        pass

    llama_cpp.llama_log_set(_discard, None)
    return _discard  # cached, so the ctypes callback is never garbage-collected


def _check_gguf(path: Path, what: str) -> None:
    if not path.is_file():
        raise ModelError(f"{what} file not found: {path}")
    with path.open("rb") as file:
        if file.read(4) != b"GGUF":
            raise ModelError(f"not a GGUF {what} file: {path}")


def _load_llama(path: Path, n_ctx: int, n_batch: int, n_threads: int, *, adapter: Path | None = None, vocab_only: bool = False) -> Any:
    from llama_cpp import Llama

    _silence_llama_logs()
    _check_gguf(path, "model")
    if adapter is not None:
        _check_gguf(adapter, "adapter")
        check_adapter_base(adapter, path)
    try:
        return Llama(
            model_path=str(path),
            lora_path=str(adapter) if adapter else None,
            vocab_only=vocab_only,
            n_ctx=n_ctx,
            n_batch=n_batch,
            n_ubatch=n_batch,
            n_threads=n_threads,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        what = f"with the adapter {adapter}" if adapter else ""
        raise ModelError(f"could not load GGUF model {path} {what}: {exc}".replace("  ", " ")) from None


def load_vocabulary(path: str | Path) -> Any:
    """The model's tokenizer alone (no weights): tokenizes exactly as LocalModel.render does."""
    return _load_llama(Path(path).expanduser(), 512, 64, 1, vocab_only=True)


@lru_cache(maxsize=16)
def _schema_gbnf(schema_json: str) -> str:
    from picoagent.models.grammar import schema_to_gbnf

    return schema_to_gbnf(json.loads(schema_json))


class LocalModel:
    """A GGUF model loaded in this process.

    Prompts are rendered here and passed as tokens, so the prompt size is known before
    generation and the prefix shared with the previous call is measured: llama.cpp keeps
    it in its KV cache and only evaluates the new tokens. Calls are serialized by a lock
    because one llama.cpp context serves one sequence at a time.
    """

    def __init__(self, path: str | Path, *, adapter: str | Path | None = None, n_ctx: int = 8192, n_batch: int = 256, n_threads: int | None = None):
        """`adapter`: a LoRA GGUF (picoagent train export) applied on top of the model."""
        self.path = Path(path).expanduser()
        self.adapter = Path(adapter).expanduser() if adapter else None
        self.name = f"local:{self.path.name}" + (f"+adapter:{self.adapter.name}" if self.adapter else "")
        self.n_ctx = n_ctx
        self.llm = _load_llama(self.path, n_ctx, n_batch, n_threads or os.cpu_count() or 1, adapter=self.adapter)
        # Constrained generation breaks degenerate token loops (off: pure greedy decoding).
        self.runaway_guard = True
        self._lock = threading.Lock()
        self._prefill_s_per_token = FIRST_PREFILL_S_PER_TOKEN
        self._sibling: LocalModel | None = None
        metadata = self.llm.metadata or {}
        self._is_gemma = metadata.get("general.architecture", "").startswith("gemma")
        template = metadata.get("tokenizer.chat_template")
        self._formatter = None
        if template and not self._is_gemma:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos = self.llm.detokenize([self.llm.token_eos()]).decode(errors="ignore")
            bos = self.llm.detokenize([self.llm.token_bos()]).decode(errors="ignore")
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def sibling(self, *, n_ctx: int) -> LocalModel:
        """The same weights (and adapter) in a second llama.cpp context with its own KV cache,
        made once and kept: a second role (the plan format's caller) then never evicts this
        model's cached prefix, nor this model its. It is a second load: llama.cpp repacks the
        quantized weights for the CPU, so they take memory again (370 MB for the default model)."""
        with self._lock:
            if self._sibling is None or self._sibling.n_ctx != n_ctx:
                self._sibling = LocalModel(self.path, adapter=self.adapter, n_ctx=n_ctx, n_batch=self.llm.n_batch, n_threads=self.llm.n_threads)
            return self._sibling

    def render(self, messages: list[Message]) -> tuple[list[int], list[str]]:
        """Prompt tokens and stop strings for these messages."""
        if self._formatter is not None:
            rendered = self._formatter(messages=merge_turns(messages))
            prompt, stop = rendered.prompt, list(rendered.stop or []) if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
            bos_text = self.llm.detokenize([self.llm.token_bos()]).decode(errors="ignore")
            add_bos = not (bos_text and prompt.startswith(bos_text))
        elif self._is_gemma:
            prompt, stop, add_bos = render_gemma(messages), list(GEMMA_STOP), True
        else:  # no template anywhere: a plain transcript is the least surprising fallback
            prompt = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
            stop, add_bos = ["\nuser:"], True
        return self.llm.tokenize(prompt.encode(), add_bos=add_bos, special=True), stop

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def _cached_prefix(self, tokens: list[int]) -> int:
        """How many leading prompt tokens are already in the KV cache (at least one is re-evaluated)."""
        cached = 0
        for cached_token, token in zip(self.llm._input_ids[: self.llm.n_tokens], tokens[:-1]):
            if cached_token != token:
                break
            cached += 1
        return cached

    def _acquire(self, deadline: Deadline) -> bool:
        """Take the model (one sequence at a time), waiting no longer than the deadline."""
        while not self._lock.acquire(timeout=0.1):
            if deadline.expired():
                return False
        return True

    def _prefill(self, tokens: list[int], cached: int, deadline: Deadline) -> bool:
        """Evaluate tokens[cached:] into the KV cache, looking at the deadline between batches;
        False when it came first. Equivalent to one llm.eval of the whole suffix."""
        llm = self.llm
        llm.n_tokens = cached
        begin = cached
        while begin < len(tokens):
            left = deadline.remaining()
            if left <= 0:
                return False
            size = int(max(PREFILL_MIN_BATCH, min(llm.n_batch, left * PREFILL_SHARE_OF_TIME_LEFT / self._prefill_s_per_token)))
            batch = tokens[begin : begin + size]
            started = time.perf_counter()
            llm.eval(batch)
            self._prefill_s_per_token = (time.perf_counter() - started) / len(batch)
            begin += len(batch)
        return True

    def _generate_free(
        self, tokens: list[int], cached: int, max_tokens: int, stop: list[str], deadline: Deadline, on_text: TextSink | None
    ) -> tuple[float | None, list[str], str | None]:
        # All but the last prompt token first, where the deadline can stop it; llama-cpp-python
        # then finds them cached and evaluates only the last one before generating.
        if not self._prefill(tokens[:-1], cached, deadline):
            return None, [], DEADLINE_REACHED
        first_token_at, pieces, finish_reason = None, [], None
        stream = self.llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0, stop=stop, stream=True)
        try:
            for chunk in stream:
                first_token_at = first_token_at or time.perf_counter()
                choice = chunk["choices"][0]
                pieces.append(choice["text"])
                if on_text is not None and choice["text"]:
                    on_text(choice["text"])
                finish_reason = choice.get("finish_reason") or finish_reason
                if finish_reason is None and deadline.expired():
                    finish_reason = DEADLINE_REACHED
                    break
        finally:
            stream.close()
        return first_token_at, pieces, finish_reason

    def _generate_constrained(
        self, tokens: list[int], cached: int, gbnf: str, max_tokens: int, deadline: Deadline, on_text: TextSink | None
    ) -> tuple[float | None, list[str], str | None]:
        """Greedy generation through GrammarDecoder; keeps llama-cpp-python's cache bookkeeping valid."""
        import codecs

        import llama_cpp
        import numpy as np

        from picoagent.models.constrained import GrammarDecoder

        llm = self.llm
        decoder = GrammarDecoder(llm, gbnf)
        try:
            if not self._prefill(tokens, cached, deadline):
                return None, [], DEADLINE_REACHED
            first_token_at = time.perf_counter()
            generated: list[int] = []
            finish_reason = "length"
            # A token can end inside a UTF-8 character: streamed text is decoded across tokens.
            stream = codecs.getincrementaldecoder("utf-8")(errors="replace")
            for _ in range(max_tokens):
                if deadline.expired():
                    finish_reason = DEADLINE_REACHED
                    break
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(decoder.n_vocab,))
                token = decoder.choose(logits, banned=runaway_tokens(generated) if self.runaway_guard else set())
                if token is None or llama_cpp.llama_vocab_is_eog(decoder.vocab, token):
                    finish_reason = "stop"
                    break
                decoder.accept(token)
                generated.append(token)
                if on_text is not None and (piece := stream.decode(llm.detokenize([token]))):
                    on_text(piece)
                llm.eval([token])
        finally:
            decoder.close()
        return first_token_at, [llm.detokenize(generated).decode(errors="replace")], finish_reason

    def complete(
        self,
        messages: list[Message],
        *,
        constraint: Constraint | None = None,
        stop: list[str] | None = None,
        max_tokens: int = 512,
        deadline: Deadline | None = None,
        on_text: TextSink | None = None,
    ) -> Completion:
        tokens, template_stop = self.render(messages)
        if len(tokens) + max_tokens > self.n_ctx:
            raise ContextOverflowError(
                f"prompt of {len(tokens)} tokens plus {max_tokens} to generate exceeds the context of {self.n_ctx} tokens"
            )
        gbnf = None
        if constraint is not None and constraint.grammar:
            gbnf = constraint.grammar
        elif constraint is not None and constraint.schema:
            gbnf = _schema_gbnf(json.dumps(constraint.schema))  # key order matters: thoughts first

        deadline = deadline or Deadline()
        waiting = started = time.perf_counter()
        # Until the model is free, nothing is evaluated: a call that never gets it is cut off empty.
        cached, first_token_at, pieces, finish_reason = len(tokens), None, [], DEADLINE_REACHED
        if self._acquire(deadline):
            try:
                cached = self._cached_prefix(tokens)
                started = time.perf_counter()
                if gbnf is None:
                    stops = [*template_stop, *(stop or [])]
                    first_token_at, pieces, finish_reason = self._generate_free(tokens, cached, max_tokens, stops, deadline, on_text)
                else:
                    first_token_at, pieces, finish_reason = self._generate_constrained(tokens, cached, gbnf, max_tokens, deadline, on_text)
            finally:
                self._lock.release()
        ended = time.perf_counter()

        first_token_at = first_token_at or ended
        text = "".join(pieces)
        completion_tokens = self.count_tokens(text) if text else 0
        usage = Usage(prompt_tokens=len(tokens), completion_tokens=completion_tokens, prompt_tokens_evaluated=len(tokens) - cached)
        timings = Timings(total_s=ended - started, prompt_s=first_token_at - started, generation_s=ended - first_token_at, wait_s=started - waiting)
        return Completion(text=text, usage=usage, timings=timings, finish_reason=finish_reason)

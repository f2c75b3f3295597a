"""The transcript the model sees: append-only, condensed in place when the budget runs short.

Append-only keeps every call's prompt a prefix of the next one, so llama.cpp's KV cache
(or a server's prefix cache) only evaluates the new tokens. When the transcript nears
the token budget, the oldest long observations are replaced by a short digest that
says what was cut; that rewrites the prefix once, and appending resumes.
"""

from __future__ import annotations

from collections.abc import Sequence

from picoagent.models.base import Message
from picoagent.safetext import clean_text

DIGEST_CHARS = 300


class Context:
    def __init__(self, system: str, task: str, *, budget_tokens: int, keep_recent: int = 4, examples: Sequence[Message] = ()):
        """`examples` are worked-example turns shown between the instructions and the task."""
        self.messages: list[Message] = [{"role": "system", "content": system}, *examples, {"role": "user", "content": task}]
        self._first_step = len(self.messages)  # instructions, examples and task are never condensed
        self.budget_tokens = budget_tokens
        self.keep_recent = keep_recent
        self._condensed: set[int] = set()
        self._recorded = 0  # messages already written to the trace

    def follow_up(self, task: str) -> Context:
        """This conversation continued with a new task (picoagent chat): the whole transcript so
        far, then the task. The next prompt extends the last one, so a KV or prefix cache is
        reused; the follow-up's trace records the whole prompt again, so each run stands alone."""
        continued = Context.__new__(Context)
        continued.messages = [*self.messages, {"role": "user", "content": clean_text(task)}]
        continued._first_step = self._first_step
        continued.budget_tokens = self.budget_tokens
        continued.keep_recent = self.keep_recent
        continued._condensed = {*self._condensed, len(self.messages)}  # the new task is never condensed
        continued._recorded = 0
        return continued

    def append(self, role: str, content: str) -> None:
        # Whatever a tool returned, the prompt must be valid Unicode to be tokenized or sent.
        self.messages.append({"role": role, "content": clean_text(content)})  # type: ignore[typeddict-item]

    def new_messages(self) -> list[Message]:
        """Messages added since the last call, so the trace stores each message once."""
        fresh = self.messages[self._recorded :]
        self._recorded = len(self.messages)
        return fresh

    @staticmethod
    def estimate_tokens(text: str) -> int:
        return len(text) // 3 + 1

    def fits(self, last_prompt_tokens: int, reserve: int) -> bool:
        """Whether the next prompt fits: the last prompt's real size plus an estimate of what came since."""
        pending = sum(self.estimate_tokens(m["content"]) for m in self.messages[self._recorded :])
        return last_prompt_tokens + pending + reserve <= self.budget_tokens

    def condense(self) -> list[dict[str, object]]:
        """Digest the oldest long observations in place; returns each rewrite (index and new text)."""
        rewritten: list[dict[str, object]] = []
        last_protected = len(self.messages) - self.keep_recent * 2
        for index in range(self._first_step, max(last_protected, self._first_step)):
            message = self.messages[index]
            if index in self._condensed or message["role"] != "user" or len(message["content"]) <= DIGEST_CHARS * 2:
                continue
            text = message["content"]
            digest = f"{text[:DIGEST_CHARS]}\n[... observation condensed: {len(text) - DIGEST_CHARS} characters removed to save context ...]"
            self.messages[index] = {"role": "user", "content": digest}
            self._condensed.add(index)
            rewritten.append({"index": index, "content": digest})
        return rewritten

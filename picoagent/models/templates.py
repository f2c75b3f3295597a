"""Prompt templates for the embedded backend.

Gemma has no system role, and the Gemma 3 GGUF we ship has no chat template in its
metadata; llama-cpp-python's own `gemma` format silently drops system messages. So
we render Gemma prompts ourselves, folding the system prompt into the first user turn.
"""

from __future__ import annotations

from picoagent.models.base import Message

GEMMA_STOP = ["<end_of_turn>"]


def merge_turns(messages: list[Message]) -> list[Message]:
    """Fold system messages into the following user turn and merge same-role neighbours.

    Templates that require strictly alternating user/assistant turns accept the result.
    """
    merged: list[Message] = []
    pending_system: list[str] = []
    for message in messages:
        if message["role"] == "system":
            pending_system.append(message["content"])
            continue
        content = message["content"]
        if pending_system and message["role"] == "user":
            content = "\n\n".join([*pending_system, content])
            pending_system = []
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {"role": message["role"], "content": merged[-1]["content"] + "\n\n" + content}
        else:
            merged.append({"role": message["role"], "content": content})
    if pending_system:  # a system prompt with no user turn after it still reaches the model
        merged.append({"role": "user", "content": "\n\n".join(pending_system)})
    return merged


def gemma_parts(messages: list[Message]) -> list[tuple[str, str]]:
    """The Gemma prompt of a finished conversation as (kind, text) parts, in order.

    kind is "frame" for template text and "user" or "model" for a turn's content; joined,
    the parts are the prompt. The dataset builder uses the kinds to find the model's
    replies, so training sees exactly the text inference renders.
    """
    parts: list[tuple[str, str]] = []
    for message in merge_turns(messages):
        role = "model" if message["role"] == "assistant" else "user"
        parts += [("frame", f"<start_of_turn>{role}\n"), (role, message["content"]), ("frame", "<end_of_turn>"), ("frame", "\n")]
    return parts


def render_gemma(messages: list[Message]) -> str:
    """The Gemma turn format, ending with an open model turn. BOS is added by the tokenizer."""
    return "".join(text for _, text in gemma_parts(messages)) + "<start_of_turn>model\n"

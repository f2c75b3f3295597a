"""Greedy decoding under a GBNF grammar, asking the grammar about the model's top choice first.

llama-cpp-python puts the grammar sampler in front of greedy selection, so llama.cpp
checks every one of Gemma's 262,144 vocabulary entries against the grammar on every
token. That is most of the cost of constrained generation. With greedy decoding the
result only depends on the highest-scoring token the grammar allows, so we ask the
grammar about the argmax first (almost always allowed inside a string), then about the
next best candidates, and fall back to the whole vocabulary only when none of those fit.
The output is token for token what the full scan would have chosen.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from picoagent.errors import ModelError

# Candidates checked at once when the top choice is refused, before the full vocabulary.
SHORTLIST = 512
# Runaway guard: small models fall into loops the grammar allows up to a field's length
# bound ("1000000…", "_e_d_i_t_o_l_e_d_i_t_o…") and, with long fields, past the step's token
# budget, which leaves unparseable JSON. When the last tokens repeat one cycle of at most
# RUNAWAY_MAX_PERIOD tokens, at least RUNAWAY_CYCLES times and over RUNAWAY_MIN_SPAN tokens,
# the cycle's tokens are banned for the next pick so the string can close.
RUNAWAY_MAX_PERIOD = 16
RUNAWAY_CYCLES = 3
RUNAWAY_MIN_SPAN = 24


def runaway_tokens(generated: list[int]) -> set[int]:
    """The tokens of a cycle repeating at the end of `generated`, or an empty set."""
    for period in range(1, RUNAWAY_MAX_PERIOD + 1):
        span = max(RUNAWAY_MIN_SPAN, period * RUNAWAY_CYCLES)
        if len(generated) < span:
            continue
        tail = generated[-span:]
        if tail[period:] == tail[:-period]:
            return set(tail[-period:])
    return set()


_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class GrammarDecoder:
    """One generation's grammar state: ask which tokens are allowed, then accept the chosen one."""

    def __init__(self, llm: Any, gbnf: str):
        import llama_cpp

        self._llama_cpp = llama_cpp
        self.vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        self.n_vocab = llm.n_vocab()
        self.sampler = llama_cpp.llama_sampler_init_grammar(self.vocab, gbnf.encode(), b"root")
        if not self.sampler:
            raise ModelError("llama.cpp could not parse the output grammar")

    def _allowed(self, ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Mask of the candidate ids the grammar accepts next."""
        llama_cpp = self._llama_cpp
        data = np.empty(len(ids), dtype=_TOKEN_DATA)
        data["id"] = ids
        data["logit"] = logits
        data["p"] = 0.0
        array = llama_cpp.llama_token_data_array(
            data=ctypes.cast(data.ctypes.data, llama_cpp.llama_token_data_p), size=len(ids), selected=-1, sorted=False
        )
        llama_cpp.llama_sampler_apply(self.sampler, ctypes.byref(array))
        return np.isfinite(data["logit"])

    def choose(self, logits: np.ndarray, banned: set[int] = frozenset()) -> int | None:
        """The highest-scoring allowed token not in `banned`, or None when the grammar allows nothing."""
        if banned:
            logits = logits.copy()
            logits[list(banned)] = -np.inf
        top = int(np.argmax(logits))
        if self._allowed(np.array([top], dtype=np.int32), logits[top : top + 1])[0]:
            return top
        shortlist = np.argpartition(-logits, SHORTLIST)[:SHORTLIST]
        shortlist = shortlist[np.argsort(-logits[shortlist], kind="stable")].astype(np.int32)
        allowed = self._allowed(shortlist, logits[shortlist])
        if allowed.any():
            return int(shortlist[int(np.argmax(allowed))])
        everything = np.arange(self.n_vocab, dtype=np.int32)
        allowed = self._allowed(everything, logits)
        if not allowed.any():
            return None
        masked = np.where(allowed, logits, -np.inf)
        return int(np.argmax(masked))

    def accept(self, token: int) -> None:
        self._llama_cpp.llama_sampler_accept(self.sampler, token)

    def follows(self, tokens: list[int]) -> bool:
        """Whether the grammar allows exactly these tokens, in order (an end-of-generation token
        is allowed only where the grammar is complete). Consumes the decoder's state."""
        zero = np.zeros(1, dtype=np.float32)
        for token in tokens:
            if not self._allowed(np.array([token], dtype=np.int32), zero)[0]:
                return False
            self.accept(token)
        return True

    def close(self) -> None:
        if self.sampler:
            self._llama_cpp.llama_sampler_free(self.sampler)
            self.sampler = None

"""Embedded model speed on this machine: prompt and generation tokens/s, unconstrained vs
schema-constrained (the llama.cpp grammar for a JSON action), and what that costs per step.

"constrained" is picoagent's top-choice-first decoder; "constrained-ref" is
llama-cpp-python's own grammar sampler on the same GBNF, which scans the whole vocabulary
on every token. Both produce the same greedy text.

    .venv/bin/python benchmarks/bench_local_model.py [--model-path PATH] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from llama_cpp import LlamaGrammar

from picoagent.actions.json_format import JsonFormat
from picoagent.models import load_model
from picoagent.models.grammar import schema_to_gbnf
from picoagent.models.local import LocalModel
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry

TASKS = [
    "How many lines does /etc/passwd have?",
    "Create a file named notes.txt containing the word hello.",
    "Which Python version is installed?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = LocalModel(args.model_path) if args.model_path else load_model("local")
    json_format = JsonFormat(ToolRegistry(builtin_tools(Path(tempfile.gettempdir()))))

    reference_grammar = LlamaGrammar.from_string(schema_to_gbnf(json_format.constraint().schema), verbose=False)
    prompt_rates, rows = [], {"unconstrained": [], "constrained": [], "constrained-ref": []}
    for repeat in range(args.repeats):
        for task in TASKS:
            # A distinct first line defeats the prefix cache so prompt speed is measured cold;
            # the later calls on the same prompt find it cached, so their time is generation.
            messages = [{"role": "system", "content": f"Run {repeat}.\n" + json_format.instructions()}, {"role": "user", "content": task}]
            for mode in ("unconstrained", "constrained"):
                constraint = json_format.constraint() if mode == "constrained" else None
                completion = model.complete(messages, constraint=constraint, max_tokens=96)
                if mode == "unconstrained":
                    prompt_rates.append(completion.usage.prompt_tokens_evaluated / completion.timings.prompt_s)
                generated = completion.usage.completion_tokens
                rows[mode].append((generated / completion.timings.generation_s if completion.timings.generation_s else 0.0, completion.timings.total_s, generated))
            tokens, _ = model.render(messages)
            started = time.perf_counter()
            reference = model.llm.create_completion(tokens, max_tokens=96, temperature=0.0, grammar=reference_grammar)
            elapsed = time.perf_counter() - started
            generated = reference["usage"]["completion_tokens"]
            rows["constrained-ref"].append((generated / elapsed, elapsed, generated))

    print(f"model: {model.name}, n_ctx {model.n_ctx}, {args.repeats} repeats x {len(TASKS)} prompts, max 96 new tokens")
    print(f"prompt evaluation: median {statistics.median(prompt_rates):.0f} tokens/s")
    for mode, values in rows.items():
        rates = [rate for rate, _, _ in values]
        totals = [total for _, total, _ in values]
        tokens = [count for _, _, count in values]
        print(f"{mode:>13}: generation median {statistics.median(rates):.1f} tokens/s; per call median {statistics.median(totals):.2f} s for median {statistics.median(tokens):.0f} tokens")
    unconstrained = statistics.median(rate for rate, _, _ in rows["unconstrained"])
    constrained = statistics.median(rate for rate, _, _ in rows["constrained"])
    reference_rate = statistics.median(rate for rate, _, _ in rows["constrained-ref"])
    print(f"grammar cost: constrained/unconstrained generation speed = {constrained / unconstrained:.2f} "
          f"(llama-cpp-python's sampler: {reference_rate / unconstrained:.2f}; picoagent's decoder is {constrained / reference_rate:.1f}x faster)")
    print(f"a typical 60-token JSON action: {60 / unconstrained:.1f} s unconstrained, {60 / constrained:.1f} s constrained, "
          f"{60 / reference_rate:.1f} s with llama-cpp-python's sampler")


if __name__ == "__main__":
    main()

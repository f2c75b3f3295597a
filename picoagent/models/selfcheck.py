"""`python -m picoagent.models.selfcheck`: the default model is in place and llama.cpp runs it.

setup.sh calls this so that a broken install (missing chunks, a llama.cpp build that
crashes on this CPU) shows up at setup, with a name, rather than in the first agent run.
"""

from __future__ import annotations

import sys
import time

from picoagent.errors import ModelError


def main() -> int:
    from picoagent.models import load_model

    try:
        model = load_model("local", n_ctx=1024)
        started = time.perf_counter()
        completion = model.complete([{"role": "user", "content": "Say hello."}], max_tokens=8)
    except ModelError as exc:
        print(f"selfcheck: {exc}", file=sys.stderr)
        return 1
    if completion.usage.completion_tokens == 0:
        print("selfcheck: the embedded model generated nothing", file=sys.stderr)
        return 1
    print(f"selfcheck: {model.name} generated {completion.usage.completion_tokens} tokens in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The kernel side of bounded output: Python source that caps what the kernel sends the engine.

The engine keeps only the head and tail of a step's output, but it receives whole
messages: one `print` of 150 MB, or one `display()` of a 150 MB payload, is a 150 MB
message, decoded whole in the engine. So the kernel cuts output before it is sent:
- stdout and stderr pass through up to `limit` characters per execution; after that only
  the last `limit` are kept, and sent with an omission marker when the execution ends;
- display payloads keep text/plain cut to head and tail and images up to `image_chars`
  (base64); other formats are dropped, since the engine reads only those.
Model code can undo this (it is not a security boundary); the engine's own collector
stays bounded in any case (picoagent/exec/kernel_output.py).
"""

from __future__ import annotations

BOUNDS_SOURCE = '''
def _picoagent_bound_output(limit, image_chars, image_mimes):
    import sys

    shell = get_ipython()
    state = {"passed": 0, "omitted": 0, "tail": [], "tail_chars": 0}

    def cut(text):  # head and tail, the marker included within `limit`
        if len(text) <= limit:
            return text
        keep = limit - 100
        return text[: keep // 2] + f"\\n[... {len(text) - keep} characters omitted ...]\\n" + text[-(keep - keep // 2):]

    def bounded(stream):
        write = stream.write

        def bounded_write(text):
            if not isinstance(text, str):
                return write(text)  # the stream's own TypeError
            room = limit - state["passed"]
            if room > 0:
                state["passed"] += min(room, len(text))
                write(text[:room])
            rest = text[max(room, 0):]
            if rest:
                kept = rest[-limit:]
                state["omitted"] += len(rest) - len(kept)
                state["tail"].append((write, kept))
                state["tail_chars"] += len(kept)
                while state["tail_chars"] - len(state["tail"][0][1]) >= limit:
                    state["omitted"] += len(state["tail"][0][1])
                    state["tail_chars"] -= len(state["tail"].pop(0)[1])
            return len(text)

        stream.write = bounded_write

    def start(*args):
        state.update(passed=0, omitted=0, tail=[], tail_chars=0)

    def finish(*args):
        tail, omitted = state["tail"], state["omitted"]
        start()
        if tail:  # written with the streams' own write, past the bound
            if omitted:
                tail[0][0](f"\\n[... {omitted} characters omitted ...]\\n")
            for write, text in tail:
                write(text)

    def bounded_data(data):
        if not isinstance(data, dict):
            return data
        # Images are bytes here (the session encodes them as base64 on sending) or base64 text.
        images = {mime: data[mime] for mime in image_mimes if isinstance(data.get(mime), (str, bytes))}
        large = [mime for mime, value in images.items() if len(value) > image_chars]
        kept = {mime: value for mime, value in images.items() if mime not in large}
        text = f"[a {large[0]} image too large to show ({len(data[large[0]])} characters)]" if large else data.get("text/plain")
        if isinstance(text, str):
            kept["text/plain"] = cut(text)
        return kept

    for stream in (sys.stdout, sys.stderr):
        bounded(stream)
    shell.events.register("pre_run_cell", start)
    shell.events.register("post_run_cell", finish)
    publish = shell.display_pub.publish
    shell.display_pub.publish = lambda data, *args, **kwargs: publish(bounded_data(data), *args, **kwargs)
    write_format_data = shell.displayhook.write_format_data
    shell.displayhook.write_format_data = lambda data, *args, **kwargs: write_format_data(bounded_data(data), *args, **kwargs)


_picoagent_bound_output(LIMIT, IMAGE_CHARS, IMAGE_MIMES)
del _picoagent_bound_output
'''

# An image of up to 5 MB (or its base64 text): far more than any plot needs.
IMAGE_CHARS = 5_000_000


def output_bounds_source(limit: int, image_mimes: list[str]) -> str:
    """Setup code for a kernel: stream output and display payloads capped at `limit` characters."""
    call = f"_picoagent_bound_output({int(limit)}, {IMAGE_CHARS}, {sorted(image_mimes)!r})"
    return BOUNDS_SOURCE.replace("_picoagent_bound_output(LIMIT, IMAGE_CHARS, IMAGE_MIMES)", call)
